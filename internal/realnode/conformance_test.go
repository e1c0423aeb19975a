package realnode

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
)

// realScenarios are the simulator's scenarios a real node can produce.
// ("nothing" is included: an empty namespace is the same everywhere.)
var realScenarios = []string{
	"correct", "nothing", "no-service", "image-pull-backoff", "crash-loop", "zero-replicas",
	"clusterip", "nodeport", "port-8080", "selector-mismatch",
}

// lessonAppPy is the app.py the lesson's step 6 has the student write.
func lessonAppPy(t *testing.T) string {
	t.Helper()
	app, err := os.ReadFile("../../content/kubernetes-basics/en/06-app-py.md")
	if err != nil {
		t.Fatal(err)
	}
	return between(string(app), "```python\n", "```")
}

// lessonImage builds the lesson's image without Docker: the Debian Python
// base plus /app/app.py and /app/requirements.txt, as the lesson's
// Dockerfile makes it (WORKDIR /app, EXPOSE 5000, ENTRYPOINT python, CMD
// app.py). Flask comes with the base, so the pip step adds nothing.
func lessonImage(t *testing.T, ctx context.Context, appPy string) v1.Image {
	t.Helper()
	base, err := PythonBase(ctx, testCacheDir())
	if err != nil {
		t.Fatal(err)
	}
	layer, err := LayerFromFiles([]File{
		{Path: "app/app.py", Mode: 0o644, Data: []byte(appPy)},
		{Path: "app/requirements.txt", Mode: 0o644, Data: []byte("flask==" + DebianFlask + "\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.WorkingDir = "/app"
	cfg.Entrypoint = []string{"python"}
	cfg.Cmd = []string{"app.py"}
	cfg.ExposedPorts = map[string]struct{}{"5000/tcp": {}}
	img, err = mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestConformanceSimulatedVsReal plays each scenario on the simulated
// cluster and on the real node, grades both with kubelab, and asserts the
// same status for every check that depends on the student's work. The
// table (scenario, check, simulated, real) is printed in the test log. With
// KUBELAB_RECORD_FIXTURES=1 the real pods of the failing scenarios are
// written to testdata/ (what the simulator's kubelet stand-in imitates).
func TestConformanceSimulatedVsReal(t *testing.T) {
	n := startT(t)
	sim := simclustertest.StartT(t, simcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	kubelab := buildKubelab(t)

	appPy := lessonAppPy(t)
	good := n.Registry + "/budi/hello-flask:latest"
	if err := Push(ctx, good, lessonImage(t, ctx, appPy)); err != nil {
		t.Fatal(err)
	}
	// The classic crash: a typo in the import, the app exits at once.
	crash := n.Registry + "/budi/hello-flask-typo:latest"
	if err := Push(ctx, crash, lessonImage(t, ctx, strings.Replace(appPy, "from flask import", "from flaks import", 1))); err != nil {
		t.Fatal(err)
	}

	type row struct{ scenario, check, sim, real string }
	var table []row
	for _, sc := range realScenarios {
		image := good
		if sc == "crash-loop" {
			image = crash
		}
		// The simulated student.
		ss := &simcluster.Student{C: sim, Namespace: sc, Image: image}
		if err := ss.Play(ctx, sc); err != nil {
			t.Fatalf("simulated %s: %v", sc, err)
		}
		if simclustertest.AppAnswers[sc] {
			if sc == "correct" {
				if err := sim.SetLoadBalancerIP(ctx, sc, "hello-flask"); err != nil {
					t.Fatal(err)
				}
			}
			stop, err := sim.ServeApp(ctx, sc, "hello-flask", simcluster.FlaskStandIn, sc == "correct")
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
		}
		// The real student: the same kubectl commands; the kubelet does the rest.
		rs := &simcluster.Student{C: n.Cluster, Namespace: sc, Image: image, RealNode: true}
		if err := rs.Play(ctx, sc); err != nil {
			t.Fatalf("real %s: %v", sc, err)
		}
		// `minikube tunnel` gives every LoadBalancer service its ingress.
		if out, err := n.Kubectl(ctx, "-n", sc, "get", "services", "-o", "jsonpath={range .items[?(@.spec.type==\"LoadBalancer\")]}{.metadata.name}{\"\\n\"}{end}"); err == nil {
			for _, svc := range strings.Fields(out) {
				if _, err := n.TunnelLoadBalancer(ctx, sc, svc); err != nil {
					t.Fatal(err)
				}
			}
		}
		// As the simulated side waits for its stand-in to listen, wait for
		// kube-proxy's rules where the app should answer.
		if simclustertest.AppAnswers[sc] {
			out, err := n.Kubectl(ctx, "-n", sc, "get", "service", "hello-flask", "-o", "jsonpath={.spec.ports[0].nodePort}")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := getEventually(ctx, fmt.Sprintf("http://%s:%s/", NodeIP, strings.TrimSpace(out))); err != nil {
				t.Fatalf("real %s: the app does not answer on the NodePort: %v", sc, err)
			}
		}
		if os.Getenv("KUBELAB_RECORD_FIXTURES") != "" && (sc == "image-pull-backoff" || sc == "crash-loop") {
			recordPods(t, ctx, n, sc)
		}

		simR := kubelabCheck(t, kubelab, sim.Kubeconfig, "", image, sc, "--no-run", "--no-service-proxy")
		realR := steadyCheck(t, ctx, n, sc, func() report {
			return kubelabCheck(t, kubelab, n.Kubeconfig, "", image, sc, "--no-run", "--no-service-proxy")
		})
		got := map[string][2]string{}
		for _, c := range simR.Checks {
			v := got[c.ID]
			v[0] = c.Status
			got[c.ID] = v
		}
		realMsg := map[string]string{}
		for _, c := range realR.Checks {
			v := got[c.ID]
			v[1] = c.Status
			got[c.ID] = v
			realMsg[c.ID] = c.Message
		}
		var ids []string
		for id := range got {
			// The cluster's own checks describe the cluster, not the
			// student: the simulated one shows stand-in kube-system pods.
			if !strings.HasPrefix(id, "cluster.") {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			v := got[id]
			table = append(table, row{sc, id, v[0], v[1]})
			if v[0] != v[1] {
				t.Errorf("%s: %s judged %s on the simulated cluster but %s on the real node (real: %s)", sc, id, v[0], v[1], realMsg[id])
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s %-22s %-10s %-10s\n", "scenario", "check", "simulated", "real")
	for _, r := range table {
		mark := ""
		if r.sim != r.real {
			mark = "  <-- differs"
		}
		fmt.Fprintf(&b, "%-20s %-22s %-10s %-10s%s\n", r.scenario, r.check, r.sim, r.real, mark)
	}
	t.Logf("conformance, simulated vs real node:\n%s", b.String())
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

// recordPods writes the real pods' status and the kubelet's events of a
// scenario to testdata/real-<scenario>.json.
func recordPods(t *testing.T, ctx context.Context, n *Node, ns string) {
	t.Helper()
	pods, err := n.Kubectl(ctx, "-n", ns, "get", "pods", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	events, err := n.Kubectl(ctx, "-n", ns, "get", "events", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var p, e struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal([]byte(pods), &p)
	_ = json.Unmarshal([]byte(events), &e)
	type ev struct{ Type, Reason, Message, Component string }
	out := map[string]any{}
	var st []any
	for _, it := range p.Items {
		st = append(st, it["status"])
	}
	out["pod_status"] = st
	var evs []ev
	for _, it := range e.Items {
		src, _ := it["source"].(map[string]any)
		comp, _ := src["component"].(string)
		evs = append(evs, ev{fmt.Sprint(it["type"]), fmt.Sprint(it["reason"]), fmt.Sprint(it["message"]), comp})
	}
	out["events"] = evs
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "real-"+ns+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// steadyCheck grades the real node while its pods hold still: a real crash
// loop alternates between a short Running (and Ready) spell and a waiting
// back-off, so the pods' states are compared before and after grading and
// the grading is repeated if they moved.
func steadyCheck(t *testing.T, ctx context.Context, n *Node, ns string, check func() report) report {
	t.Helper()
	podStates := func() string {
		out, err := n.Kubectl(ctx, "-n", ns, "get", "pods", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[*].restartCount} {.status.containerStatuses[*].state}{"\n"}{end}`)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := 0; ; i++ {
		before := podStates()
		r := check()
		after := podStates()
		if before == after || i == 5 {
			if before != after {
				t.Logf("%s: the pods never held still while graded:\n%s\n%s", ns, before, after)
			}
			return r
		}
		// Wait for the next waiting spell.
		time.Sleep(2 * time.Second)
	}
}
