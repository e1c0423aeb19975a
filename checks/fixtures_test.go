package checks

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubelab/kubelab/report"
)

// A fixture is one snapshot as the grader would gather it, and what one check
// must decide on it. Fixtures live in testdata/<check id>/<case>.yaml (the
// case name starts with the status it expects: pass-, fail-, partial-,
// error-, skipped-), the way polaris keeps pass/fail fixtures beside each
// check; TestCheckFixtures picks them all up and requires, for every check of
// the catalog, one fixture per status listed in its Check.Outcomes.
//
// A part of the snapshot the fixture does not describe is not gathered (nil),
// except the namespace (always gathered, from objects) and the cluster
// (always present, empty unless described).
type fixture struct {
	// Image is the image the student hands in; Deployment the name given
	// with --deployment, if any.
	Image      string `yaml:"image"`
	Deployment string `yaml:"deployment"`
	// Namespace is the student's namespace ("lab" when empty).
	Namespace string         `yaml:"namespace"`
	Params    map[string]any `yaml:"params"`
	Want      report.Status  `yaml:"want"`
	// Fraction of the points, checked when set.
	Fraction float64 `yaml:"fraction"`
	// Words the English (words) and Indonesian (words_id) message must
	// contain; a word starting "hint:" must be in the hint instead.
	Words   []string `yaml:"words"`
	WordsID []string `yaml:"words_id"`
	// Evidence values that must appear among the evidence.
	Evidence []string `yaml:"evidence"`
	// Settling: the verdict caught the cluster mid-change
	// (Judgement.Settling); every fixture without it must not be.
	Settling bool `yaml:"settling"`
	// Errors makes listing a kind of the namespace fail: deployments, pods,
	// services, endpointslices, events, replicasets. The value is an error
	// kind (forbidden) or a mapping {kind, what, detail, retry_after}.
	Errors map[string]fxError `yaml:"errors"`
	// Objects are the namespace's objects, as kubectl get -o yaml shows
	// them: Deployment, ReplicaSet, Pod, Service, EndpointSlice, Event.
	Objects []yaml.Node `yaml:"objects"`
	// Cluster is ClusterInfo, Registry ImageInfo, Run RunProbe, App AppProbe.
	Cluster  *fxCluster  `yaml:"cluster"`
	Registry *fxRegistry `yaml:"registry"`
	Run      *fxRun      `yaml:"run"`
	App      *fxAppProbe `yaml:"app"`
	// CrashLogs are Target.CrashLogs: the tail of a crashed run's log,
	// keyed "pod/container".
	CrashLogs map[string]string `yaml:"crash_logs"`
	// Now is Snapshot.Now, when gathering took place (RFC 3339); empty:
	// derived from the newest timestamp in the snapshot.
	Now time.Time `yaml:"now"`

	src string // file name, for messages
}

// fxError is a gathering error: a bare kind, or its fields.
type fxError struct {
	Kind       ErrKind       `yaml:"kind"`
	What       string        `yaml:"what"`
	Detail     string        `yaml:"detail"`
	RetryAfter time.Duration `yaml:"retry_after"`
}

func (e *fxError) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&e.Kind)
	}
	type plain fxError
	var p plain
	if err := decodeStrict(n, &p); err != nil {
		return err
	}
	*e = fxError(p)
	return nil
}

// gatherError builds the GatherError, with what it was doing by default.
func (e *fxError) gatherError(what string) *GatherError {
	if e == nil {
		return nil
	}
	ge := &GatherError{Kind: e.Kind, What: e.What, Detail: e.Detail, RetryAfter: e.RetryAfter}
	if ge.What == "" {
		ge.What = what
	}
	if ge.Detail == "" {
		ge.Detail = string(e.Kind)
	}
	return ge
}

// fxCluster is ClusterInfo. Nodes and system pods are written as kubectl
// shows them (apiVersion and kind may be left out).
type fxCluster struct {
	Server      string      `yaml:"server"`
	Context     string      `yaml:"context"`
	Version     string      `yaml:"version"`
	Error       *fxError    `yaml:"error"`
	Nodes       []yaml.Node `yaml:"nodes"`
	NodesError  *fxError    `yaml:"nodes_error"`
	SystemPods  []yaml.Node `yaml:"system_pods"`
	SystemError *fxError    `yaml:"system_error"`
}

// fxRegistry is ImageInfo: what the registry says about the image.
type fxRegistry struct {
	// Ref defaults to the fixture's image, Name to Ref normalised.
	Ref       string    `yaml:"ref"`
	Name      string    `yaml:"name"`
	Invalid   string    `yaml:"invalid"`
	Error     *fxError  `yaml:"error"`
	NotFound  bool      `yaml:"not_found"`
	Private   bool      `yaml:"private"`
	Digest    string    `yaml:"digest"`
	MediaType string    `yaml:"media_type"`
	Index     bool      `yaml:"index"`
	Platforms []string  `yaml:"platforms"`
	Platform  string    `yaml:"platform"`
	Config    *fxConfig `yaml:"config"`
	// Files maps an absolute path to its content; Sizes overrides the size
	// (default: the content's length) for files bigger than what is read.
	Files map[string]string `yaml:"files"`
	// FilesBase64 holds files whose bytes YAML cannot carry (UTF-16, as
	// Windows PowerShell 5.1 writes), base64-encoded.
	FilesBase64 map[string]string `yaml:"files_base64"`
	Sizes       map[string]int64  `yaml:"sizes"`
	FilesError  *fxError          `yaml:"files_error"`
	// Paths are ImageInfo.Paths: the student's files seen in the layers.
	Paths []string `yaml:"paths"`
}

type fxConfig struct {
	Entrypoint   []string          `yaml:"entrypoint"`
	Cmd          []string          `yaml:"cmd"`
	WorkingDir   string            `yaml:"workdir"`
	ExposedPorts []string          `yaml:"exposed_ports"`
	Env          []string          `yaml:"env"`
	Labels       map[string]string `yaml:"labels"`
	Created      time.Time         `yaml:"created"`
	OS           string            `yaml:"os"`
	Architecture string            `yaml:"arch"`
}

// fxRun is RunProbe: the image run as a container.
type fxRun struct {
	Skip       string   `yaml:"skip"`
	Error      *fxError `yaml:"error"`
	Exited     bool     `yaml:"exited"`
	ExitCode   int      `yaml:"exit_code"`
	HTTPStatus int      `yaml:"http_status"`
	Body       string   `yaml:"body"`
	Logs       string   `yaml:"logs"`
}

// fxAppProbe is AppProbe: the ways tried to reach the app, in order.
type fxAppProbe struct {
	Attempts []struct {
		Via    string `yaml:"via"`
		URL    string `yaml:"url"`
		Status int    `yaml:"status"`
		Body   string `yaml:"body"`
		Err    string `yaml:"err"`
	} `yaml:"attempts"`
}

func decodeStrict(n *yaml.Node, v any) error {
	raw, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// fixtureStatuses are the statuses a fixture may want, in the order a
// check's coverage is reported.
var fixtureStatuses = []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}

func TestCheckFixtures(t *testing.T) {
	files := fixtureFiles(t)
	have := map[string]map[report.Status][]string{}
	for _, file := range files {
		id := filepath.Base(filepath.Dir(file))
		name := id + "/" + strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, ok := Lookup(id)
			if !ok {
				t.Fatalf("directory testdata/%s names no check of the catalog", id)
			}
			fx, s := loadFixture(t, file)
			if have[id] == nil {
				have[id] = map[report.Status][]string{}
			}
			have[id][fx.Want] = append(have[id][fx.Want], file)
			if !slices.Contains(c.Outcomes, fx.Want) {
				t.Errorf("fixture wants %s, which %s does not list in its Outcomes %v (fix the fixture, or the register() call)", fx.Want, id, c.Outcomes)
			}
			runFixture(t, c, fx, s)
		})
	}
	for _, p := range fixtureGaps(IDs(), have) {
		t.Error(p)
	}
}

// TestFixtureGapsReported proves the guard: a check whose fixtures are gone
// (or lack one outcome) is reported by name.
func TestFixtureGapsReported(t *testing.T) {
	files := fixtureFiles(t)
	have := statusesByCheck(t, files)
	if gaps := fixtureGaps(IDs(), have); len(gaps) != 0 {
		t.Fatalf("the real fixtures have gaps: %v", gaps)
	}
	for _, id := range IDs() {
		c, _ := Lookup(id)
		without := map[string]map[report.Status][]string{}
		for k, v := range have {
			if k != id {
				without[k] = v
			}
		}
		gaps := fixtureGaps(IDs(), without)
		if len(gaps) != len(c.Outcomes) {
			t.Errorf("with testdata/%s removed, %d gaps reported, want %d (one per outcome): %v", id, len(gaps), len(c.Outcomes), gaps)
		}
		for _, g := range gaps {
			if !strings.Contains(g, "check "+id+" ") || !strings.Contains(g, "testdata/"+id+"/") {
				t.Errorf("with testdata/%s removed, the gap does not name it: %q", id, g)
			}
		}
		// Removing only the partial fixtures of a check that can give part
		// of its points is caught too.
		if slices.Contains(c.Outcomes, report.Partial) {
			one := map[string]map[report.Status][]string{}
			for k, v := range have {
				one[k] = v
			}
			one[id] = map[report.Status][]string{}
			for st, fs := range have[id] {
				if st != report.Partial {
					one[id][st] = fs
				}
			}
			if gaps := fixtureGaps(IDs(), one); len(gaps) != 1 || !strings.Contains(gaps[0], "partial") {
				t.Errorf("with the partial fixtures of %s removed, gaps %v, want one about partial", id, gaps)
			}
		}
	}
	// A check that declares no outcomes is reported as well.
	catalog["test.no-outcomes"] = &Check{ID: "test.no-outcomes"}
	defer delete(catalog, "test.no-outcomes")
	if gaps := fixtureGaps([]string{"test.no-outcomes"}, have); len(gaps) != 1 || !strings.Contains(gaps[0], "Outcomes") {
		t.Errorf("a check without Outcomes: gaps %v", gaps)
	}
}

// fixtureGaps says, for each check id, which of its outcomes has no fixture.
// have maps a check id and a status to the fixture files wanting it.
func fixtureGaps(ids []string, have map[string]map[report.Status][]string) []string {
	var gaps []string
	for _, id := range ids {
		c, _ := Lookup(id)
		if len(c.Outcomes) == 0 {
			gaps = append(gaps, fmt.Sprintf("check %s lists no Outcomes in its register() call (which of pass, fail, partial, skipped, error its judge returns)", id))
			continue
		}
		if !slices.Contains(c.Outcomes, report.Pass) {
			gaps = append(gaps, fmt.Sprintf("check %s lists no pass among its Outcomes: a check that can never pass earns nothing", id))
		}
		for _, st := range fixtureStatuses {
			if slices.Contains(c.Outcomes, st) && len(have[id][st]) == 0 {
				gaps = append(gaps, fmt.Sprintf("check %s can return %s but has no %s fixture: add testdata/%s/%s-<case>.yaml", id, st, st, id, st))
			}
		}
	}
	return gaps
}

func fixtureFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found under testdata/")
	}
	return files
}

// statusesByCheck reads only what each fixture wants.
func statusesByCheck(t *testing.T, files []string) map[string]map[report.Status][]string {
	t.Helper()
	have := map[string]map[report.Status][]string{}
	for _, file := range files {
		id := filepath.Base(filepath.Dir(file))
		var fx struct {
			Want report.Status `yaml:"want"`
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &fx); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if have[id] == nil {
			have[id] = map[report.Status][]string{}
		}
		have[id][fx.Want] = append(have[id][fx.Want], file)
	}
	return have
}

// runFixture judges the snapshot and compares with what the fixture wants.
func runFixture(t *testing.T, c *Check, fx *fixture, s *Snapshot) {
	t.Helper()
	params := map[string]any{}
	for k, v := range fx.Params {
		known := false
		for _, p := range c.Params {
			known = known || p.Name == k
		}
		if !known {
			t.Fatalf("%s: fixture sets param %q, which %s does not take", fx.src, k, c.ID)
		}
		params[k] = v
	}
	j := judgeSafely(c, s, withDefaults(c, params))
	if j.Status != fx.Want {
		t.Fatalf("status %s, want %s: %s (hint %q, evidence %v)", j.Status, fx.Want, j.Message.In("en"), j.Hint.In("en"), j.Evidence)
	}
	if j.Settling != fx.Settling {
		t.Errorf("settling %v, want %v (a verdict that ends by itself within seconds is settling; any other is not): %s", j.Settling, fx.Settling, j.Message.In("en"))
	}
	if fx.Fraction != 0 && math.Abs(j.Fraction-fx.Fraction) > 0.01 {
		t.Errorf("fraction %.2f, want %.2f", j.Fraction, fx.Fraction)
	}
	checkWords(t, "English", fx.Words, j.Message.In("en"), j.Hint.In("en"))
	checkWords(t, "Indonesian", fx.WordsID, j.Message.In("id"), j.Hint.In("id"))
	var ev []string
	for _, f := range j.Evidence {
		ev = append(ev, f.Name+": "+f.Value)
	}
	for _, w := range fx.Evidence {
		if !strings.Contains(strings.Join(ev, "\n"), w) {
			t.Errorf("evidence %q lacks %q", ev, w)
		}
	}
	// Every message and hint is given in both languages.
	if j.Message.In("en") == "" || j.Message.In("id") == "" || j.Message.In("en") == j.Message.In("id") {
		t.Errorf("message not in both languages: %+v", j.Message)
	}
	if j.Hint.In("en") != "" && (j.Hint.In("id") == "" || j.Hint.In("id") == j.Hint.In("en")) {
		t.Errorf("hint not in both languages: %+v", j.Hint)
	}
}

func checkWords(t *testing.T, lang string, words []string, msg, hint string) {
	t.Helper()
	for _, w := range words {
		if h, isHint := strings.CutPrefix(w, "hint:"); isHint {
			if !strings.Contains(hint, h) {
				t.Errorf("%s hint %q lacks %q", lang, hint, h)
			}
		} else if !strings.Contains(msg, w) {
			t.Errorf("%s message %q lacks %q", lang, msg, w)
		}
	}
}

// strictCodecs decode Kubernetes objects and reject unknown fields, so a
// misspelt field in a fixture is an error rather than silently ignored.
var strictCodecs = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)

// decodeObject decodes one Kubernetes object of a fixture. apiVersion and
// kind default to those of defKind (nil: they must be written).
func decodeObject(n *yaml.Node, defKind runtime.Object) (runtime.Object, error) {
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return nil, err
	}
	if defKind != nil {
		gvks, _, err := scheme.Scheme.ObjectKinds(defKind)
		if err != nil {
			return nil, err
		}
		if m["apiVersion"] == nil {
			m["apiVersion"] = gvks[0].GroupVersion().String()
		}
		if m["kind"] == nil {
			m["kind"] = gvks[0].Kind
		}
	}
	raw, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	obj, _, err := strictCodecs.UniversalDeserializer().Decode(raw, nil, nil)
	return obj, err
}

// loadFixture reads a fixture and builds the snapshot it describes.
func loadFixture(t *testing.T, file string) (*fixture, *Snapshot) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fx, s := parseFixture(t, file, data)
	if !slices.Contains(fixtureStatuses, fx.Want) {
		t.Fatalf("%s: want: %q is not one of %v", file, fx.Want, fixtureStatuses)
	}
	if base := filepath.Base(file); !strings.HasPrefix(base, string(fx.Want)+"-") {
		t.Errorf("%s: the file name should start with %q, the status it wants", file, string(fx.Want)+"-")
	}
	// A fixture proves what the student reads, in both languages.
	if len(fx.Words) == 0 || len(fx.WordsID) == 0 {
		t.Errorf("%s: give words (English) and words_id (Indonesian): the message or hint text the student must read", file)
	}
	return fx, s
}

// parseFixture builds the snapshot a fixture's YAML describes.
func parseFixture(t *testing.T, file string, data []byte) (*fixture, *Snapshot) {
	t.Helper()
	var fx fixture
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fx); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	fx.src = file
	nsName := fx.Namespace
	if nsName == "" {
		nsName = "lab"
	}
	ns := &Namespace{Name: nsName}
	for i := range fx.Objects {
		obj, err := decodeObject(&fx.Objects[i], nil)
		if err != nil {
			t.Fatalf("%s: object %d (line %d): %v", file, i, fx.Objects[i].Line, err)
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
			t.Fatalf("%s: object %d (line %d): kind %T not supported in a namespace (nodes go under cluster.nodes)", file, i, fx.Objects[i].Line, obj)
		}
	}
	kinds := make([]string, 0, len(fx.Errors))
	for kind := range fx.Errors {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		e := fx.Errors[kind]
		ge := e.gatherError("list " + kind + " in namespace " + nsName)
		switch kind {
		case "deployments":
			ns.Deployments, ns.DeploymentsErr = nil, ge
		case "pods":
			ns.Pods, ns.PodsErr = nil, ge
		case "services":
			ns.Services, ns.ServicesErr = nil, ge
		case "endpointslices":
			ns.EndpointSlices, ns.EndpointSlicesErr = nil, ge
		case "events":
			ns.Events, ns.EventsErr = nil, ge
		case "replicasets":
			ns.ReplicaSets, ns.ReplicaSetsErr = nil, ge
		default:
			t.Fatalf("%s: errors: unknown kind %q (deployments, pods, services, endpointslices, events, replicasets)", file, kind)
		}
	}
	s := &Snapshot{Cluster: &ClusterInfo{}, NS: ns, Target: Discover(ns, fx.Image, fx.Deployment), Now: fx.Now}
	if fx.CrashLogs != nil {
		if s.Target == nil {
			t.Fatalf("%s: crash_logs without a deployment to hold them", file)
		}
		s.Target.CrashLogs = fx.CrashLogs
	}
	if c := fx.Cluster; c != nil {
		ci := s.Cluster
		ci.Server, ci.Context, ci.Version = c.Server, c.Context, c.Version
		ci.Err = c.Error.gatherError("reach the API server")
		ci.NodesErr = c.NodesError.gatherError("list nodes")
		ci.SystemErr = c.SystemError.gatherError("list pods in namespace kube-system")
		for i := range c.Nodes {
			obj, err := decodeObject(&c.Nodes[i], &corev1.Node{})
			if err != nil {
				t.Fatalf("%s: cluster.nodes[%d] (line %d): %v", file, i, c.Nodes[i].Line, err)
			}
			n, ok := obj.(*corev1.Node)
			if !ok {
				t.Fatalf("%s: cluster.nodes[%d] (line %d): a %T, not a Node", file, i, c.Nodes[i].Line, obj)
			}
			ci.Nodes = append(ci.Nodes, *n)
		}
		for i := range c.SystemPods {
			obj, err := decodeObject(&c.SystemPods[i], &corev1.Pod{})
			if err != nil {
				t.Fatalf("%s: cluster.system_pods[%d] (line %d): %v", file, i, c.SystemPods[i].Line, err)
			}
			p, ok := obj.(*corev1.Pod)
			if !ok {
				t.Fatalf("%s: cluster.system_pods[%d] (line %d): a %T, not a Pod", file, i, c.SystemPods[i].Line, obj)
			}
			ci.SystemPods = append(ci.SystemPods, *p)
		}
	}
	if r := fx.Registry; r != nil {
		im := &ImageInfo{Ref: r.Ref, Name: r.Name, Invalid: r.Invalid, NotFound: r.NotFound, Private: r.Private,
			Digest: r.Digest, MediaType: r.MediaType, IsIndex: r.Index, Platforms: r.Platforms, Platform: r.Platform,
			Err: r.Error.gatherError("read image " + fx.Image + " from the registry"), FilesErr: r.FilesError.gatherError("read the files of image " + fx.Image)}
		if im.Ref == "" {
			// As pipeline.Collect reads it: a repository without a tag is
			// the tag the student's deployment runs.
			im.Ref = fx.Image
			if s.Target.ImageFrom != "" {
				im.Ref = s.Target.Image
			}
		}
		if im.Name == "" && im.Invalid == "" {
			if full, _, err := NormalizeImage(im.Ref); err == nil {
				im.Name = full
			}
		}
		if cf := r.Config; cf != nil {
			im.Config = &ImageConfig{Entrypoint: cf.Entrypoint, Cmd: cf.Cmd, WorkingDir: cf.WorkingDir, ExposedPorts: cf.ExposedPorts,
				Env: cf.Env, Labels: cf.Labels, Created: cf.Created, OS: cf.OS, Architecture: cf.Architecture}
		}
		im.Files = map[string]*ImageFile{}
		for p, content := range r.Files {
			im.Files[p] = &ImageFile{Size: int64(len(content)), Content: content}
		}
		for p, b64 := range r.FilesBase64 {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatalf("%s: registry.files_base64[%s]: %v", file, p, err)
			}
			im.Files[p] = &ImageFile{Size: int64(len(raw)), Content: string(raw)}
		}
		for p, size := range r.Sizes {
			if im.Files[p] == nil {
				t.Fatalf("%s: registry.sizes names %s, which is not among registry.files", file, p)
			}
			im.Files[p].Size = size
		}
		im.Paths = r.Paths
		s.Image = im
	}
	if r := fx.Run; r != nil {
		s.Run = &RunProbe{SkipReason: r.Skip, Err: r.Error.gatherError("run the image as a container"), Exited: r.Exited,
			ExitCode: r.ExitCode, HTTPStatus: r.HTTPStatus, Body: r.Body, Logs: r.Logs}
	}
	if a := fx.App; a != nil {
		s.App = &AppProbe{}
		for _, at := range a.Attempts {
			s.App.Attempts = append(s.App.Attempts, AppAttempt{Via: at.Via, URL: at.URL, Status: at.Status, Body: at.Body, Err: at.Err})
		}
	}
	return &fx, s
}

// correctWork is a fixture of finished work for the basics lab: every part
// of the snapshot gathered and right. TestEnvironmentErrorsNeverFail breaks
// one part of the gathering at a time on it.
const correctWork = `
image: budi/hello-flask:v1
want: pass
cluster:
  server: https://192.168.49.2:8443
  version: v1.36.3
  nodes:
    - metadata: {name: minikube}
      status:
        conditions: [{type: Ready, status: "True"}]
        nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: v1.36.3}
  system_pods:
    - metadata: {name: etcd-minikube, namespace: kube-system, labels: {component: etcd}}
      status: {phase: Running}
registry:
  digest: sha256:3f1c2a7d9e8b4c5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a
  platform: linux/amd64
  config: {entrypoint: [python], cmd: [app.py], workdir: /app, exposed_ports: [5000/tcp], os: linux, arch: amd64}
  files:
    /app/app.py: "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', port=5000)\n"
    /app/requirements.txt: "flask\n"
run: {http_status: 200, body: "Hello World!"}
app:
  attempts: [{via: nodeport, url: "http://192.168.49.2:31234/", status: 200, body: "Hello World!"}]
objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: hello-flask, namespace: lab, uid: d-1, generation: 2, annotations: {deployment.kubernetes.io/revision: "2"}}
    spec:
      replicas: 1
      selector: {matchLabels: {app: hello-flask}}
      template:
        metadata: {labels: {app: hello-flask}}
        spec:
          containers:
            - name: hello-flask
              image: budi/hello-flask:v1
              ports: [{containerPort: 5000}]
              readinessProbe: {httpGet: {path: /, port: 5000}}
              livenessProbe: {httpGet: {path: /, port: 5000}}
    status: {observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1}
  - apiVersion: v1
    kind: Pod
    metadata: {name: hello-flask-7d9c8b6f5-x2k4p, namespace: lab, labels: {app: hello-flask}}
    spec: {nodeName: minikube, containers: [{name: hello-flask, image: budi/hello-flask:v1}]}
    status:
      phase: Running
      conditions: [{type: PodScheduled, status: "True"}, {type: Ready, status: "True"}]
      containerStatuses: [{name: hello-flask, image: budi/hello-flask:v1, ready: true, restartCount: 0, state: {running: {}}}]
  - apiVersion: v1
    kind: Service
    metadata: {name: hello-flask, namespace: lab}
    spec:
      type: LoadBalancer
      selector: {app: hello-flask}
      ports: [{port: 5000, targetPort: 5000, nodePort: 31234}]
  - apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: hello-flask-abcde, namespace: lab, labels: {kubernetes.io/service-name: hello-flask}}
    addressType: IPv4
    endpoints: [{addresses: [10.244.0.5], conditions: {ready: true}}]
  - apiVersion: v1
    kind: Event
    metadata: {name: e1, namespace: lab}
    involvedObject: {kind: Pod, name: hello-flask-7d9c8b6f5-x2k4p}
    reason: Scheduled
  - apiVersion: v1
    kind: Event
    metadata: {name: e2, namespace: lab}
    involvedObject: {kind: Pod, name: hello-flask-7d9c8b6f5-x2k4p}
    reason: Started
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: hello-flask-aaa
      namespace: lab
      annotations: {deployment.kubernetes.io/revision: "1"}
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: hello-flask, uid: d-1, controller: true}]
    spec:
      selector: {matchLabels: {app: hello-flask}}
      template:
        metadata: {labels: {app: hello-flask}}
        spec: {containers: [{name: hello-flask, image: budi/hello-flask:v0}]}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: hello-flask-bbb
      namespace: lab
      annotations: {deployment.kubernetes.io/revision: "2"}
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: hello-flask, uid: d-1, controller: true}]
    spec:
      selector: {matchLabels: {app: hello-flask}}
      template:
        metadata: {labels: {app: hello-flask}}
        spec: {containers: [{name: hello-flask, image: budi/hello-flask:v1}]}
`

// TestEnvironmentErrorsNeverFail breaks one part of the gathering at a time
// under finished work: no check may then blame the student (fail or
// partial). An environment problem is error or skipped, never the student's
// fault (design.md).
func TestEnvironmentErrorsNeverFail(t *testing.T) {
	params := map[string]map[string]any{"rollout.image": {"tag": "v1"}, "deployment.replicas": {"replicas": 1}}
	_, base := parseFixture(t, "correctWork", []byte(correctWork))
	// The finished work passes every check, so a fail below is the break's.
	for _, id := range IDs() {
		c, _ := Lookup(id)
		if j := judgeSafely(c, base, withDefaults(c, params[id])); j.Status != report.Pass {
			t.Fatalf("finished work: %s is %s, not pass: %s", id, j.Status, j.Message.In("en"))
		}
	}
	breaks := map[string]string{
		"cluster unreachable":         "cluster: {error: unreachable}",
		"nodes forbidden":             "cluster: {nodes_error: forbidden}",
		"kube-system forbidden":       "cluster: {system_error: forbidden}",
		"registry unreachable":        "registry: {error: unreachable}",
		"registry rate limited":       "registry: {error: {kind: rate-limited, retry_after: 1m}}",
		"registry login refused":      "registry: {error: unauthorized}",
		"image layers timed out":      "registry: {files_error: timeout}",
		"docker missing":              "run: {skip: Docker is not available}",
		"docker failed":               "run: {error: other}",
		"deployments forbidden":       "errors: {deployments: forbidden}",
		"pods forbidden":              "errors: {pods: forbidden}",
		"services forbidden":          "errors: {services: forbidden}",
		"endpointslices forbidden":    "errors: {endpointslices: forbidden}",
		"events forbidden":            "errors: {events: forbidden}",
		"replicasets forbidden":       "errors: {replicasets: forbidden}",
		"every namespace list timing": "errors: {deployments: timeout, pods: timeout, services: timeout, endpointslices: timeout, events: timeout, replicasets: timeout}",
	}
	for name, brk := range breaks {
		t.Run(name, func(t *testing.T) {
			_, s := parseFixture(t, name, []byte(mergeBreak(t, correctWork, brk)))
			for _, id := range IDs() {
				c, _ := Lookup(id)
				j := judgeSafely(c, s, withDefaults(c, params[id]))
				if j.Status == report.Fail || j.Status == report.Partial {
					t.Errorf("%s: %s, blaming the student for the environment: %s (hint %q)", id, j.Status, j.Message.In("en"), j.Hint.In("en"))
				}
			}
		})
	}
}

// mergeBreak sets one key of the break (a one-key YAML mapping) inside the
// same top-level key of the fixture.
func mergeBreak(t *testing.T, doc, brk string) string {
	t.Helper()
	var base, b map[string]any
	if err := yaml.Unmarshal([]byte(doc), &base); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(brk), &b); err != nil {
		t.Fatal(err)
	}
	for k, v := range b {
		sub, _ := base[k].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
		}
		for kk, vv := range v.(map[string]any) {
			sub[kk] = vv
		}
		base[k] = sub
	}
	out, err := yaml.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
