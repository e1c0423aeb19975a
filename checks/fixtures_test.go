package checks

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubelab/kubelab/report"
)

// A fixture is one namespace as the grader would gather it, and what one
// check must decide on it. Fixtures live in testdata/<check id>/<case>.yaml,
// the way polaris keeps pass/fail fixtures beside each check; this one test
// picks them all up.
type fixture struct {
	// Image is the image the student hands in.
	Image  string         `yaml:"image"`
	Params map[string]any `yaml:"params"`
	Want   report.Status  `yaml:"want"`
	// Fraction of the points, checked when set.
	Fraction float64 `yaml:"fraction"`
	// Words the English message must contain ("hint:..." for the hint).
	Words []string `yaml:"words"`
	// Evidence values that must appear among the evidence.
	Evidence []string `yaml:"evidence"`
	// Errors makes listing a kind fail (deployments, pods, replicasets).
	Errors  map[string]ErrKind `yaml:"errors"`
	Objects []yaml.Node        `yaml:"objects"`
}

// fixtureChecks must each have at least one pass and one fail fixture.
var fixtureChecks = []string{"deployment.replicas", "rollout.revision", "rollout.image", "probes.present"}

func TestCheckFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[report.Status]bool{}
	for _, file := range files {
		id := filepath.Base(filepath.Dir(file))
		name := id + "/" + strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, ok := Lookup(id)
			if !ok {
				t.Fatalf("directory %s names no check", id)
			}
			fx, ns := loadFixture(t, file)
			if seen[id] == nil {
				seen[id] = map[report.Status]bool{}
			}
			seen[id][fx.Want] = true
			s := &Snapshot{Cluster: &ClusterInfo{}, NS: ns, Target: Discover(ns, fx.Image, "")}
			params := map[string]any{}
			for k, v := range fx.Params {
				known := false
				for _, p := range c.Params {
					known = known || p.Name == k
				}
				if !known {
					t.Fatalf("fixture sets param %q, which %s does not take", k, id)
				}
				params[k] = v
			}
			j := judgeSafely(c, s, withDefaults(c, params))
			if j.Status != fx.Want {
				t.Fatalf("status %s, want %s: %s (hint %q, evidence %v)", j.Status, fx.Want, j.Message.En, j.Hint.En, j.Evidence)
			}
			if fx.Fraction != 0 && math.Abs(j.Fraction-fx.Fraction) > 0.01 {
				t.Errorf("fraction %.2f, want %.2f", j.Fraction, fx.Fraction)
			}
			for _, w := range fx.Words {
				if h, isHint := strings.CutPrefix(w, "hint:"); isHint {
					if !strings.Contains(j.Hint.En, h) {
						t.Errorf("hint %q lacks %q", j.Hint.En, h)
					}
				} else if !strings.Contains(j.Message.En, w) {
					t.Errorf("message %q lacks %q", j.Message.En, w)
				}
			}
			var ev []string
			for _, f := range j.Evidence {
				ev = append(ev, f.Value)
			}
			for _, w := range fx.Evidence {
				if !strings.Contains(strings.Join(ev, "\n"), w) {
					t.Errorf("evidence %q lacks %q", ev, w)
				}
			}
			// Every message and hint is given in both languages.
			if j.Message.En == "" || j.Message.Id == "" || j.Message.En == j.Message.Id {
				t.Errorf("message not in both languages: %+v", j.Message)
			}
			if j.Hint.En != "" && (j.Hint.Id == "" || j.Hint.Id == j.Hint.En) {
				t.Errorf("hint not in both languages: %+v", j.Hint)
			}
		})
	}
	for _, id := range fixtureChecks {
		if !seen[id][report.Pass] || !seen[id][report.Fail] {
			t.Errorf("check %s needs at least a pass and a fail fixture in testdata/%s (has %v)", id, id, seen[id])
		}
	}
}

// loadFixture reads a fixture and builds the namespace it describes.
func loadFixture(t *testing.T, file string) (*fixture, *Namespace) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&fx); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ns := &Namespace{Name: "lab"}
	for i := range fx.Objects {
		raw, err := yaml.Marshal(&fx.Objects[i])
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw, nil, nil)
		if err != nil {
			t.Fatalf("%s: object %d: %v", file, i, err)
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			ns.Deployments = append(ns.Deployments, *o)
		case *appsv1.ReplicaSet:
			ns.ReplicaSets = append(ns.ReplicaSets, *o)
		case *corev1.Pod:
			ns.Pods = append(ns.Pods, *o)
		case *corev1.Service:
			ns.Services = append(ns.Services, *o)
		case *discoveryv1.EndpointSlice:
			ns.EndpointSlices = append(ns.EndpointSlices, *o)
		case *corev1.Event:
			ns.Events = append(ns.Events, *o)
		default:
			t.Fatalf("%s: object %d: kind %T not supported in fixtures", file, i, obj)
		}
	}
	for kind, k := range fx.Errors {
		ge := &GatherError{Kind: k, What: "list " + kind + " in namespace lab", Detail: string(k)}
		switch kind {
		case "deployments":
			ns.Deployments, ns.DeploymentsErr = nil, ge
		case "pods":
			ns.Pods, ns.PodsErr = nil, ge
		case "replicasets":
			ns.ReplicaSets, ns.ReplicaSetsErr = nil, ge
		default:
			t.Fatalf("%s: errors: unknown kind %q", file, kind)
		}
	}
	return &fx, ns
}
