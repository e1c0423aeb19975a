package grade

// Failure drills: what a batch does when the environment breaks under it.
// The rule each drill holds kubelab to: what could not be read is an error
// (never a fail, never points), every other student is graded, what was
// finished is on disk, and every timeout holds.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

func drillLab(t testing.TB) *labs.Lab {
	t.Helper()
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func drillStatus(r *report.Report, id string) report.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

// withFullReports puts each student's full report, as the lecturer reads it
// in students/<id>.json, in place of the summary the class keeps in memory
// (which drops the evidence).
func withFullReports(t *testing.T, out string, res *Result) {
	t.Helper()
	if res == nil || res.Class == nil {
		return
	}
	for i, e := range res.Class.Students {
		r, err := report.ReadFile(studentPath(out, e.ID, ".json"))
		if err != nil {
			t.Fatal(err)
		}
		res.Class.Students[i].Report = r
	}
}

func drillEvidence(r *report.Report, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			var b strings.Builder
			b.WriteString(c.Message)
			for _, f := range c.Evidence {
				b.WriteString(" | " + f.Name + ": " + f.Value)
			}
			return b.String()
		}
	}
	return ""
}

// noFailFor: the environment's fault is never the student's: no check
// failed and no point was earned on the checks that could not be judged.
func noFailFor(t *testing.T, r *report.Report, prefix string) {
	t.Helper()
	for _, c := range r.Checks {
		if !strings.HasPrefix(c.ID, prefix) {
			continue
		}
		if c.Status == report.Fail || c.Status == report.Partial {
			t.Errorf("%s: %s is %s though the environment failed: %s", r.Student.ID, c.ID, c.Status, c.Message)
		}
		if c.Status != report.Pass && c.Points != 0 {
			t.Errorf("%s: %s earned %g points as %s", r.Student.ID, c.ID, c.Points, c.Status)
		}
	}
}

// drillProgress records which students are done.
type drillProgress struct {
	mu   sync.Mutex
	done map[string]bool
}

func (p *drillProgress) Start(int, int) {}
func (p *drillProgress) Finish()        {}
func (p *drillProgress) Done(r *report.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[r.Student.ID] = true
}

func (p *drillProgress) has(ids ...string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if !p.done[id] {
			return false
		}
	}
	return true
}

// drillImage pushes the lesson's image and returns its reference.
func drillImage(t *testing.T, reg *registrytest.Registry, repo string) string {
	registrytest.Push(t, reg, repo, registrytest.LessonImage())
	return reg.Ref(repo)
}

// TestDrillAPIServerStopsMidBatch: the API server is stopped in the middle
// of a batch. Half the class are namespaces of the shared cluster, gathered
// once at the start; the others reach the cluster through kubeconfigs of
// their own, each gathered when that student is graded. Students done
// before the stop are on disk when it happens; after it, the shared
// students are still graded from the snapshot, and the students whose
// cluster is read after the stop are error rows for the cluster checks
// (unreachable), never failures.
func TestDrillAPIServerStopsMidBatch(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := simclustertest.StartT(t, simcluster.Options{})
	reg := registrytest.New(t)
	image := drillImage(t, reg, "budi/hello-flask:latest")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	scen := []string{"correct", "nodeport", "crash-loop", "no-service"}
	dir := t.TempDir()
	own := func(id string) string {
		data, err := os.ReadFile(c.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, id+".kubeconfig")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var students []Student
	var bulk []simcluster.BulkStudent
	scenario := map[string]string{}
	add := func(id string, ownCluster bool, i int) {
		s := Student{ID: id, Name: "Student " + id, Image: image, Namespace: "ns-" + id}
		if ownCluster {
			s.Kubeconfig = own(id)
		}
		students = append(students, s)
		scenario[id] = scen[i%len(scen)]
		bulk = append(bulk, simcluster.BulkStudent{Namespace: s.Namespace, Image: image, Scenario: scenario[id]})
	}
	for i := 0; i < 4; i++ {
		add(fmt.Sprintf("a%d", i), false, i) // shared, before the stop
		add(fmt.Sprintf("b%d", i), true, i)  // own cluster, before the stop
		add(fmt.Sprintf("y%d", i), false, i) // shared, after the stop
		add(fmt.Sprintf("z%d", i), true, i)  // own cluster, after the stop
	}
	add("m-stop", true, 0) // stops the API server as its grading starts
	if err := c.Populate(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, s := range students {
		if simclustertest.AppAnswers[scenario[s.ID]] {
			served = append(served, s.Namespace+"/hello-flask")
		}
	}
	stop, err := c.ServeNodePorts(ctx, served, simcluster.FlaskStandIn)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	out := t.TempDir()
	var before []string
	for _, s := range students {
		if s.ID < "m" {
			before = append(before, s.ID)
		}
	}
	prog := &drillProgress{done: map[string]bool{}}
	stopped := make(chan struct{})
	var onDisk []string
	var stopErr error
	var stoppedAt time.Time
	start := time.Now()
	res, err := Run(ctx, Options{Lab: drillLab(t), Lang: "en", Students: students, Out: out, Jobs: 2, Timeout: 40 * time.Second,
		Kubeconfig: c.Kubeconfig, ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		App: gather.AppOptions{ServiceProxy: false}, Clock: fixedClock, Progress: prog,
		beforeStudent: func(sctx context.Context, s Student) {
			switch {
			case s.ID == "m-stop":
				for !prog.has(before...) {
					time.Sleep(20 * time.Millisecond)
				}
				onDisk, _ = filepath.Glob(filepath.Join(out, StudentsDir, "*.json"))
				stopErr = c.StopComponent("kube-apiserver")
				stoppedAt = time.Now()
				close(stopped)
			case s.ID > "m":
				<-stopped
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if stopErr != nil {
		t.Fatal(stopErr)
	}
	t.Logf("batch of %d: %s, of which %s after the API server stopped", len(students), time.Since(start).Round(time.Millisecond), time.Since(stoppedAt).Round(time.Millisecond))
	if res.Interrupted || res.Class == nil || res.Graded != len(students) {
		t.Fatalf("result %+v", res)
	}
	// Partial results were on disk when the API server went away.
	if len(onDisk) != len(before) {
		t.Errorf("%d results on disk at the stop, want the %d finished before it: %v", len(onDisk), len(before), onDisk)
	}
	for _, e := range res.Class.Students {
		r := e.Report
		noFailFor(t, r, "image.")
		if st := drillStatus(r, "image.pushed"); st != report.Pass {
			t.Errorf("%s: image.pushed %s: the registry did not stop", e.ID, st)
		}
		switch {
		case e.ID == "m-stop" || strings.HasPrefix(e.ID, "z"):
			if st := drillStatus(r, "cluster.reachable"); st != report.Error {
				t.Errorf("%s: cluster.reachable %s after the API server stopped, want error: %s", e.ID, st, drillEvidence(r, "cluster.reachable"))
			}
			noFailFor(t, r, "")
			for _, ch := range r.Checks {
				if (strings.HasPrefix(ch.ID, "deployment.") || strings.HasPrefix(ch.ID, "service.") || strings.HasPrefix(ch.ID, "pods.")) && ch.Status != report.Skipped && ch.Status != report.Error {
					t.Errorf("%s: %s is %s with the cluster unreachable", e.ID, ch.ID, ch.Status)
				}
			}
			if e.Errors == 0 {
				t.Errorf("%s: not counted as a student with errors", e.ID)
			}
		default:
			// Graded as if nothing had happened.
			if e.Errors != 0 {
				t.Errorf("%s: %d error(s): %s", e.ID, e.Errors, drillEvidence(r, "cluster.reachable"))
			}
			for id, want := range simclustertest.Expected[scenario[e.ID]] {
				if got := drillStatus(r, id); got != want {
					t.Errorf("%s (%s): %s = %s, want %s: %s", e.ID, scenario[e.ID], id, got, want, drillEvidence(r, id))
				}
			}
		}
	}
	if got, want := res.Class.Summary.WithErrors, 5; got != want {
		t.Errorf("%d students with errors, want %d (m-stop and z0..z3)", got, want)
	}
}

// TestDrillForbiddenNamespaces: the grader may read only some namespaces
// (Roles in those, no cluster-wide list). The others are error rows saying
// which permission is missing; the readable ones are graded as usual.
func TestDrillForbiddenNamespaces(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := simclustertest.StartT(t, simcluster.Options{})
	reg := registrytest.New(t)
	image := drillImage(t, reg, "budi/hello-flask:latest")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	readable := map[string]bool{"r1": true, "r2": true, "r3": true}
	var students []Student
	var bulk []simcluster.BulkStudent
	for _, id := range []string{"r1", "r2", "r3", "u1", "u2", "u3"} {
		students = append(students, Student{ID: id, Name: "Student " + id, Image: image, Namespace: "ns-" + id})
		bulk = append(bulk, simcluster.BulkStudent{Namespace: "ns-" + id, Image: image, Scenario: "correct"})
	}
	if err := c.Populate(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, s := range students {
		served = append(served, s.Namespace+"/hello-flask")
	}
	stop, err := c.ServeNodePorts(ctx, served, simcluster.FlaskStandIn)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	const user = "drill-grader"
	kc, err := c.UserKubeconfig(user)
	if err != nil {
		t.Fatal(err)
	}
	var rbac strings.Builder
	fmt.Fprintf(&rbac, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: drill-nodes}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: drill-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: drill-nodes}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: %s}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: drill-read}
rules:
- {apiGroups: [""], resources: [pods, services, events], verbs: [get, list]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list]}
`, user)
	for _, ns := range []string{"kube-system", "ns-r1", "ns-r2", "ns-r3"} {
		fmt.Fprintf(&rbac, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: drill-read, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: drill-read}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: %s}]
`, ns, user)
	}
	rbacFile := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(rbacFile, []byte(rbac.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Kubectl(ctx, "apply", "-f", rbacFile); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// RBAC is read from informers: wait until the bindings are in force.
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, _ := c.KubectlAs(ctx, kc, "auth", "can-i", "list", "deployments.apps", "-n", "ns-r3")
		b, _ := c.KubectlAs(ctx, kc, "auth", "can-i", "list", "nodes")
		if strings.HasSuffix(strings.TrimSpace(a), "yes") && strings.HasSuffix(strings.TrimSpace(b), "yes") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RBAC not in force: %q %q", a, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, _ := c.KubectlAs(ctx, kc, "auth", "can-i", "list", "deployments.apps", "-A"); !strings.HasSuffix(strings.TrimSpace(out), "no") {
		t.Fatalf("the grader may list cluster-wide: %q", out)
	}

	var requests atomic.Int64
	out := t.TempDir()
	res, err := Run(ctx, Options{Lab: drillLab(t), Lang: "en", Students: students, Out: out, Jobs: 2, Timeout: time.Minute,
		Kubeconfig: kc, ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		App: gather.AppOptions{ServiceProxy: false}, Clock: fixedClock, Requests: &requests})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d API requests (each kind: one forbidden cluster-wide List, then one List per namespace)", requests.Load())
	withFullReports(t, out, res)
	for _, e := range res.Class.Students {
		r := e.Report
		noFailFor(t, r, "")
		for _, id := range []string{"cluster.reachable", "cluster.node-ready", "image.pushed"} {
			if st := drillStatus(r, id); st != report.Pass {
				t.Errorf("%s: %s = %s: %s", e.ID, id, st, drillEvidence(r, id))
			}
		}
		if readable[e.ID] {
			if e.Errors != 0 || !e.Passed {
				t.Errorf("%s (readable): %d errors, passed %v", e.ID, e.Errors, e.Passed)
			}
			for id, want := range simclustertest.Expected["correct"] {
				if got := drillStatus(r, id); got != want {
					t.Errorf("%s: %s = %s, want %s: %s", e.ID, id, got, want, drillEvidence(r, id))
				}
			}
			continue
		}
		if st := drillStatus(r, "deployment.exists"); st != report.Error {
			t.Errorf("%s (unreadable): deployment.exists = %s, want error", e.ID, st)
		}
		want := "forbidden: needs get/list on deployments.apps in namespace " + r.Target.Namespace
		if ev := drillEvidence(r, "deployment.exists"); !strings.Contains(ev, want) {
			t.Errorf("%s: deployment.exists does not say %q: %s", e.ID, want, ev)
		}
		if e.Passed {
			t.Errorf("%s (unreadable) passed", e.ID)
		}
	}
	if got := res.Class.Summary.WithErrors; got != 3 {
		t.Errorf("%d students with errors, want the 3 unreadable", got)
	}
}

// TestDrillRegistryAndDocker: the registry answers 500, rate-limits (429
// with Retry-After, short and long), or hangs; Docker is absent. Image
// checks are errors or skipped, never failures, and every timeout holds.
func TestDrillRegistryAndDocker(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	dead := testenv.DeadKubeconfig(t)
	lab := drillLab(t)
	class := func(reg *registrytest.Registry) []Student {
		var st []Student
		for i := 0; i < 6; i++ {
			id := fmt.Sprintf("s%d", i)
			img := drillImage(t, reg, fmt.Sprintf("u%d/app:latest", i%2))
			st = append(st, Student{ID: id, Name: id, Image: img, Namespace: id})
		}
		return st
	}
	run := func(t *testing.T, students []Student, mod func(*Options)) (*Result, time.Duration) {
		t.Helper()
		opt := Options{Lab: lab, Lang: "en", Students: students, Out: t.TempDir(), Jobs: 3, Timeout: 3 * time.Second,
			MaxRetryWait: 2 * time.Second, Kubeconfig: dead, ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
			Clock: fixedClock, grace: time.Second}
		if mod != nil {
			mod(&opt)
		}
		start := time.Now()
		res, err := Run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		withFullReports(t, opt.Out, res)
		if res.Class == nil || res.Graded != len(students) {
			t.Fatalf("result %+v", res)
		}
		for _, e := range res.Class.Students {
			noFailFor(t, e.Report, "image.")
		}
		return res, time.Since(start)
	}
	imageStatuses := func(res *Result) map[report.Status]int {
		n := map[report.Status]int{}
		for _, e := range res.Class.Students {
			n[drillStatus(e.Report, "image.pushed")]++
		}
		return n
	}

	t.Run("500", func(t *testing.T) {
		reg := registrytest.New(t)
		st := class(reg)
		reg.SetFault(registrytest.Status(http.StatusInternalServerError))
		res, _ := run(t, st, nil)
		if n := imageStatuses(res); n[report.Error] != len(st) {
			t.Errorf("image.pushed: %v, want every student an error", n)
		}
		if ev := drillEvidence(res.Class.Students[0].Report, "image.pushed"); !strings.Contains(ev, "500") {
			t.Errorf("the error does not say HTTP 500: %s", ev)
		}
	})

	t.Run("429 with a short Retry-After: waited out, then graded", func(t *testing.T) {
		reg := registrytest.New(t)
		st := class(reg)
		var mu sync.Mutex
		var first time.Time
		reg.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) < time.Second {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		})
		res, _ := run(t, st, func(o *Options) { o.Timeout = 20 * time.Second })
		if n := imageStatuses(res); n[report.Pass] != len(st) {
			t.Errorf("image.pushed: %v, want every student graded after the wait", n)
		}
	})

	t.Run("429 for good: rate-limited errors with the wait", func(t *testing.T) {
		reg := registrytest.New(t)
		st := class(reg)
		reg.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`))
			return true
		})
		res, took := run(t, st, nil)
		if n := imageStatuses(res); n[report.Error] != len(st) {
			t.Errorf("image.pushed: %v, want every student an error", n)
		}
		msg := drillEvidence(res.Class.Students[0].Report, "image.pushed")
		if !strings.Contains(msg, "rate limiting") || !strings.Contains(msg, "1h0m0s") {
			t.Errorf("the error does not say rate limited and the wait: %s", msg)
		}
		if took > 10*time.Second {
			t.Errorf("a Retry-After longer than --max-retry-wait was waited for: %s", took)
		}
	})

	t.Run("hangs: every timeout holds", func(t *testing.T) {
		reg := registrytest.New(t)
		st := class(reg)
		reg.SetFault(reg.Hang())
		res, took := run(t, st, nil)
		// Each student waits at most its timeout (3s) and the grace (1s);
		// the shared look-up ends at timeout + max retry wait (5s); with 3
		// jobs the second wave gets its answer when that ends.
		if limit := 3*time.Second + 2*time.Second + time.Second + 3*time.Second; took > limit {
			t.Errorf("a hanging registry held the batch %s, limit %s", took, limit)
		}
		if n := imageStatuses(res); n[report.Error] != len(st) {
			t.Errorf("image.pushed: %v, want every student an error", n)
		}
		if ev := drillEvidence(res.Class.Students[0].Report, "image.pushed"); !strings.Contains(ev, "timed out") {
			t.Errorf("the error does not say timed out: %s", ev)
		}
		t.Logf("hanging registry: %d students in %s", len(st), took.Round(time.Millisecond))
	})

	t.Run("Docker absent", func(t *testing.T) {
		t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
		reg := registrytest.New(t)
		st := class(reg)
		res, took := run(t, st, func(o *Options) { o.RunImages = true; o.Timeout = 20 * time.Second })
		for _, e := range res.Class.Students {
			if got := drillStatus(e.Report, "image.runs"); got != report.Skipped {
				t.Errorf("%s: image.runs = %s without Docker, want skipped: %s", e.ID, got, drillEvidence(e.Report, "image.runs"))
			}
			if got := drillStatus(e.Report, "image.files"); got != report.Pass {
				t.Errorf("%s: image.files = %s: the registry checks must not suffer", e.ID, got)
			}
		}
		if ev := drillEvidence(res.Class.Students[0].Report, "image.runs"); !strings.Contains(ev, "Docker") {
			t.Errorf("image.runs does not say Docker is missing: %s", ev)
		}
		if took > 15*time.Second {
			t.Errorf("no Docker took %s", took)
		}
	})
}
