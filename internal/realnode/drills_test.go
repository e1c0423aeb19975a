package realnode

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/internal/simcluster"
)

// Issue 28, item 4: the fault drills on the real node. The simulated
// cluster's drills (grade/drills_test.go, cmd/kubelab/drills_test.go) stop
// its API server and registry; here the real node's own parts fail under a
// correct app: containerd restarted under running pods, the kubelet frozen
// and killed while `kubelab check` runs, the API server restarted under
// `kubelab check --watch`, one student's pod evicted while the class is
// graded. Each asserts what the student (or lecturer) sees: never a fail for
// the correct app beyond what docs/grading-policy.md says of a NotReady
// node, nothing lost (every check in every report), the exit code saying
// environment (3) vs work (1), and everything passing again afterwards.

// drillReport is the part of a JSON report the drills read.
type drillReport struct {
	// Passed is the report's verdict: every required check passed and the
	// score reached the lab's pass mark (a failed check that is neither
	// may still pass).
	Passed bool `json:"passed"`
	Checks []struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		Message   string `json:"message"`
		NotGraded bool   `json:"not_graded"`
	} `json:"checks"`
}

func (r drillReport) check(id string) (status, msg string) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status, c.Message
		}
	}
	return "", ""
}

func (r drillReport) ids() string {
	var s []string
	for _, c := range r.Checks {
		s = append(s, c.ID)
	}
	return strings.Join(s, " ")
}

// verdicts is "id=status" for each check not passed ("all pass" when
// none), image.runs left out (--no-run skips it).
func (r drillReport) verdicts() string {
	var s []string
	for _, c := range r.Checks {
		if c.Status != "pass" && c.ID != "image.runs" {
			s = append(s, c.ID+"="+c.Status)
		}
	}
	if len(s) == 0 {
		return "all pass"
	}
	return strings.Join(s, ", ")
}

// allPass: every check passed but image.runs (not run: --no-run).
func (r drillReport) allPass() bool { return len(r.Checks) > 0 && r.verdicts() == "all pass" }

// studentFails lists the checks that hold something against the student
// (fail, partial, or a skip that is not "not graded").
func (r drillReport) studentFails() []string {
	var s []string
	for _, c := range r.Checks {
		if c.Status == "fail" || c.Status == "partial" || c.Status == "skipped" && !c.NotGraded {
			s = append(s, fmt.Sprintf("%s %s: %s", c.ID, c.Status, c.Message))
		}
	}
	return s
}

// drillGrade is one `kubelab check` run.
type drillGrade struct {
	at   time.Duration // since the drill began, when the run started
	took time.Duration
	code int
	r    drillReport
	err  error
}

// checkNow runs `kubelab check --no-run -o json` as the student would and
// returns the report and the exit code.
func checkNow(ctx context.Context, kubelab string, n *Node, ns, image, cache string, began time.Time) drillGrade {
	g := drillGrade{at: time.Since(began)}
	start := time.Now()
	cmd := exec.CommandContext(ctx, kubelab, "check", "--kubeconfig", n.Kubeconfig, "--image", image, "-n", ns,
		"--insecure-registry", "-o", "json", "--lang", "en", "--cache-dir", cache, "--no-run", "--no-service-proxy")
	cmd.Env = append(os.Environ(), "KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	g.took = time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		g.code = ee.ExitCode()
	} else if err != nil {
		g.err = fmt.Errorf("kubelab check: %v\n%s", err, stderr.String())
		return g
	}
	if err := json.Unmarshal(out, &g.r); err != nil {
		g.err = fmt.Errorf("kubelab check (exit %d): bad JSON: %v\n%s\n%s", g.code, err, out, stderr.String())
	}
	return g
}

// wantExit is the exit code the report calls for, as cmd/kubelab exitFor
// (cmd/kubelab/exit.go) decides it: 3 when a check could not run (an
// error), else 0 when the report passed, else 1. A report can pass with a
// failed check (not required, the score over the pass mark): CI's run of
// stop 32 graded the correct app on a NotReady node so, exit 0.
func wantExit(r drillReport) int {
	for _, c := range r.Checks {
		if c.Status == "error" {
			return 3
		}
	}
	if r.Passed {
		return 0
	}
	return 1
}

// nodeWatch records the node's Ready condition through the drills.
type nodeWatch struct {
	mu    sync.Mutex
	lines []string
	last  string
}

func (w *nodeWatch) run(ctx context.Context, n *Node, began time.Time) {
	cs, err := n.Clientset()
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		node, err := cs.CoreV1().Nodes().Get(rctx, n.NodeName, metav1.GetOptions{})
		cancel()
		st := "API server unreachable"
		if err == nil {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady {
					st = fmt.Sprintf("Ready=%s %s %s", c.Status, c.Reason, c.Message)
				}
			}
		}
		w.mu.Lock()
		if st != w.last {
			w.last = st
			w.lines = append(w.lines, fmt.Sprintf("+%s %s", time.Since(began).Round(100*time.Millisecond), st))
		}
		w.mu.Unlock()
		time.Sleep(500 * time.Millisecond)
	}
}

func (w *nodeWatch) since(i int) ([]string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines[i:]...), len(w.lines)
}

func TestFaultDrillsOnRealNode(t *testing.T) {
	n := startT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	began := time.Now()
	kubelab := buildKubelab(t)
	appPy := lessonAppPy(t)
	good := n.Registry + "/budi/hello-flask:latest"
	crash := n.Registry + "/budi/hello-flask-typo:latest"
	if err := Push(ctx, good, lessonImage(t, ctx, appPy)); err != nil {
		t.Fatal(err)
	}
	if err := Push(ctx, crash, lessonImage(t, ctx, strings.Replace(appPy, "from flask import", "from flaks import", 1))); err != nil {
		t.Fatal(err)
	}
	// Every namespace at once: "drill" (the correct app the node-wide
	// faults hit), "crash" (a crash loop: its grade reads the log through
	// the kubelet), s1..s4 (the class).
	var wg sync.WaitGroup
	for _, ns := range []string{"drill", "s1", "s2", "s3", "s4"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &simcluster.Student{C: n.Cluster, Namespace: ns, Image: good, RealNode: true}
			if err := st.Play(ctx, "correct"); err != nil {
				t.Errorf("%s: %v", ns, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		createApp(ctx, t, n, "crash", crash)
	}()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("set up (images, 6 namespaces) in %s", time.Since(began).Round(100*time.Millisecond))
	// Settled first: every correct app passes everything (on a fresh node
	// kube-proxy opens a new NodePort some seconds after the service has
	// its endpoint: app.responds is refused meanwhile), and the crash loop
	// has crashed (its first grade may come before the first crash).
	settled := time.Now()
	for _, ns := range []string{"drill", "s1", "s2", "s3", "s4", "crash"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			image, ok := good, func(r drillReport) bool { return r.allPass() }
			if ns == "crash" {
				image, ok = crash, func(r drillReport) bool {
					st, msg := r.check("pods.running")
					return st == "fail" && strings.Contains(msg, "exit code 1")
				}
			}
			cache := t.TempDir()
			var g drillGrade
			for time.Since(settled) < 2*time.Minute && ctx.Err() == nil {
				if g = checkNow(ctx, kubelab, n, ns, image, cache, settled); g.err == nil && ok(g.r) {
					t.Logf("%s settled after %s: %s", ns, time.Since(settled).Round(100*time.Millisecond), g.r.verdicts())
					return
				}
				time.Sleep(time.Second)
			}
			t.Errorf("%s did not settle in 2 minutes: %s %v", ns, g.r.verdicts(), g.err)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	nw := &nodeWatch{}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go nw.run(wctx, n, began)

	times := map[string]time.Duration{}
	timed := func(name string, f func()) {
		b := time.Now()
		f()
		times[name] = time.Since(b)
		lines, _ := nw.since(0)
		t.Logf("%s took %s; the node's Ready condition so far:\n  %s", name, times[name].Round(100*time.Millisecond), strings.Join(lines, "\n  "))
	}
	// The class drill first: it needs every other namespace healthy.
	timed("eviction-during-class-grade", func() { drillEviction(t, ctx, n, kubelab, good) })
	timed("containerd-restarted", func() { drillContainerd(t, ctx, n, kubelab, good) })
	timed("kubelet-stopped-mid-grade", func() { drillKubelet(t, ctx, n, kubelab, good, crash) })
	timed("apiserver-restarted-under-watch", func() { drillAPIServer(t, ctx, n, kubelab, good) })
	t.Logf("fault drills: %s in all (node start not counted): eviction %s, containerd %s, kubelet %s, API server %s",
		time.Since(began).Round(time.Second), times["eviction-during-class-grade"].Round(time.Second), times["containerd-restarted"].Round(time.Second),
		times["kubelet-stopped-mid-grade"].Round(time.Second), times["apiserver-restarted-under-watch"].Round(time.Second))
}

// appContainer is the correct app's one pod in ns: its name, container id,
// start time and restart count, as the kubelet reports them.
func appContainer(ctx context.Context, n *Node, ns string) (string, error) {
	cs, err := n.Clientset()
	if err != nil {
		return "", err
	}
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=hello-flask"})
	if err != nil {
		return "", err
	}
	var s []string
	for _, p := range l.Items {
		for _, c := range p.Status.ContainerStatuses {
			st := "not running"
			if c.State.Running != nil {
				st = "running since " + c.State.Running.StartedAt.UTC().Format(time.TimeOnly)
			}
			s = append(s, fmt.Sprintf("%s %s %s, ready %v, %d restarts", p.Name, c.ContainerID, st, c.Ready, c.RestartCount))
		}
	}
	return strings.Join(s, "; "), nil
}

// drillContainerd: containerd stopped and started again under the correct
// app, graded before, while it is down and after. Its shims (own process
// groups) keep the containers running; the kubelet finds them again. No
// grade may hold anything against the student; afterwards everything
// passes and the kubelet reports the same container, not restarted.
func drillContainerd(t *testing.T, ctx context.Context, n *Node, kubelab, image string) {
	const ns = "drill"
	began := time.Now()
	cache := t.TempDir()
	before := checkNow(ctx, kubelab, n, ns, image, cache, began)
	if before.err != nil || !before.r.allPass() || before.code != 0 {
		t.Errorf("containerd: before the restart: exit %d, %s %v", before.code, before.r.verdicts(), before.err)
		return
	}
	was, err := appContainer(ctx, n, ns)
	if err != nil {
		t.Errorf("containerd: %v", err)
		return
	}
	var grades []drillGrade
	var down time.Duration
	err = n.RestartComponent("containerd", func() {
		stopped := time.Now()
		// As long as `systemctl restart containerd` takes and a little
		// more: the kubelet asks the runtime every 5 s.
		for time.Since(stopped) < 6*time.Second {
			grades = append(grades, checkNow(ctx, kubelab, n, ns, image, cache, began))
		}
		down = time.Since(stopped)
	})
	if err != nil {
		t.Errorf("containerd: restart: %v", err)
		return
	}
	back := time.Now()
	duringN := len(grades)
	// After: until all has passed three times in a row (a minute at most),
	// then the kubelet's report of the pod.
	streak := 0
	for time.Since(back) < time.Minute && streak < 3 {
		g := checkNow(ctx, kubelab, n, ns, image, cache, began)
		grades = append(grades, g)
		if g.err == nil && g.r.allPass() {
			streak++
		} else {
			streak = 0
		}
		time.Sleep(time.Second)
	}
	var bad []string
	for i, g := range grades {
		when := "down"
		if i >= duringN {
			when = "back"
		}
		switch {
		case g.err != nil:
			bad = append(bad, fmt.Sprintf("+%s (%s): %v", g.at.Round(100*time.Millisecond), when, g.err))
		case g.r.ids() != before.r.ids():
			bad = append(bad, fmt.Sprintf("+%s (%s): checks %q, before %q", g.at.Round(100*time.Millisecond), when, g.r.ids(), before.r.ids()))
		case len(g.r.studentFails()) > 0 || g.code != wantExit(g.r):
			bad = append(bad, fmt.Sprintf("+%s (%s): exit %d: %s", g.at.Round(100*time.Millisecond), when, g.code, strings.Join(g.r.studentFails(), "; ")))
		}
	}
	var seq []string
	for _, g := range grades {
		seq = append(seq, fmt.Sprintf("+%s %s exit %d", g.at.Round(100*time.Millisecond), g.r.verdicts(), g.code))
	}
	t.Logf("containerd: down %s; %d grades while down, %d after:\n  %s", down.Round(100*time.Millisecond), duringN, len(grades)-duringN, strings.Join(seq, "\n  "))
	for _, b := range bad {
		t.Errorf("containerd: a grade held the restart against the student: %s", b)
	}
	if streak < 3 {
		t.Errorf("containerd: a minute after containerd came back, not everything passes")
	}
	now, err := appContainer(ctx, n, ns)
	if err != nil {
		t.Errorf("containerd: %v", err)
	} else if now != was {
		t.Errorf("containerd: the kubelet's report of the pod changed over the restart:\n  before %s\n  after  %s", was, now)
	} else {
		t.Logf("containerd: the kubelet reports the same container after the restart: %s", now)
	}
}

// drillKubelet: the kubelet frozen (SIGSTOP) in the middle of a grade of
// the correct app and of a crash-looping one (whose grade reads the crash's
// log through the kubelet), for 20 s; then killed (stopped) and started
// again, 10 s down. Every grade ends (no hang on the frozen kubelet: the
// log read is bounded), every report has every check, the exit code is what
// the report calls for; the correct app is never failed unless the node is
// NotReady (docs/grading-policy.md), the crash is always named.
func drillKubelet(t *testing.T, ctx context.Context, n *Node, kubelab, good, crash string) {
	began := time.Now()
	pid, ok := n.PIDs()["kubelet"]
	if !ok {
		t.Errorf("kubelet: no kubelet process")
		return
	}
	var mu sync.Mutex
	grades := map[string][]drillGrade{}
	var phase = "before"
	phases := map[string]map[string]int{}
	gctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ns := range []string{"drill", "crash"} {
		image := good
		if ns == "crash" {
			image = crash
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := t.TempDir()
			for gctx.Err() == nil {
				g := checkNow(ctx, kubelab, n, ns, image, cache, began)
				mu.Lock()
				grades[ns] = append(grades[ns], g)
				if phases[phase] == nil {
					phases[phase] = map[string]int{}
				}
				phases[phase][ns]++
				mu.Unlock()
			}
		}()
	}
	setPhase := func(p string) { mu.Lock(); phase = p; mu.Unlock() }
	sleep := func(d time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	// Grades run back to back: the freeze lands in the middle of one of
	// each namespace.
	sleep(3 * time.Second)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Errorf("kubelet: SIGSTOP: %v", err)
	}
	setPhase("frozen")
	frozenAt := time.Since(began)
	sleep(20 * time.Second)
	_ = syscall.Kill(pid, syscall.SIGCONT)
	setPhase("resumed")
	sleep(5 * time.Second)
	setPhase("killed")
	killedAt := time.Since(began)
	if err := n.RestartComponent("kubelet", func() { sleep(10 * time.Second) }); err != nil {
		t.Errorf("kubelet: restart: %v", err)
	}
	setPhase("restarted")
	restartedAt := time.Since(began)
	// Until the correct app passes again three times in a row.
	for i := 0; i < 60; i++ {
		sleep(time.Second)
		mu.Lock()
		g := grades["drill"]
		streak := 0
		for j := len(g) - 1; j >= 0 && g[j].at > restartedAt && g[j].err == nil && g[j].r.allPass(); j-- {
			streak++
		}
		mu.Unlock()
		if streak >= 3 {
			break
		}
	}
	stop()
	wg.Wait()

	ref := grades["drill"][0].r.ids()
	var longest time.Duration
	for _, ns := range []string{"drill", "crash"} {
		var seq []string
		other := 0
		for _, g := range grades[ns] {
			at := g.at.Round(100 * time.Millisecond)
			seq = append(seq, fmt.Sprintf("+%s (%s) %s exit %d", at, g.took.Round(100*time.Millisecond), g.r.verdicts(), g.code))
			if g.took > longest {
				longest = g.took
			}
			switch {
			case g.err != nil:
				t.Errorf("kubelet: %s at +%s: %v", ns, at, g.err)
				continue
			case g.took > 30*time.Second:
				t.Errorf("kubelet: %s at +%s: the grade took %s", ns, at, g.took)
			case g.r.ids() != ref:
				t.Errorf("kubelet: %s at +%s: checks %q, want %q (lost)", ns, at, g.r.ids(), ref)
			case g.code != wantExit(g.r):
				t.Errorf("kubelet: %s at +%s: exit %d for %s", ns, at, g.code, g.r.verdicts())
			}
			nr, nmsg := g.r.check("cluster.node-ready")
			notReady := nr == "fail" && strings.Contains(nmsg, "NotReady")
			if ns == "drill" {
				for _, f := range g.r.studentFails() {
					// The policy's one exception: a node listed NotReady.
					if !notReady {
						t.Errorf("kubelet: the correct app at +%s (node Ready): %s", at, f)
					} else if strings.HasPrefix(f, "pods.running") && !strings.Contains(f, "is NotReady") {
						t.Errorf("kubelet: the correct app at +%s, node NotReady, pods.running does not name it: %s", at, f)
					}
				}
				continue
			}
			// The crash is never called running fine. Its cause is
			// what the kubelet reports: right after the freeze the
			// kubelet once reported ErrImagePull for a moment (its pull
			// of the restart, cut by the freeze), so the cause is
			// required of most grades and of the last.
			st, msg := g.r.check("pods.running")
			if st == "pass" {
				t.Errorf("kubelet: the crash at +%s: pods.running %s: %s", at, st, msg)
			} else if !strings.Contains(msg, "exit code 1") && !notReady {
				other++
				t.Logf("kubelet: the crash at +%s: pods.running %s names another cause: %s", at, st, msg)
			}
		}
		if n := len(grades[ns]); ns == "crash" && n > 0 {
			if other*4 > n {
				t.Errorf("kubelet: the crash's cause (exit code 1) missing from %d of %d grades", other, n)
			}
			if _, msg := grades[ns][n-1].r.check("pods.running"); !strings.Contains(msg, "exit code 1") {
				t.Errorf("kubelet: the crash's last grade does not name it: %s", msg)
			}
		}
		t.Logf("kubelet (frozen at +%s for 20 s, killed at +%s, started again at +%s): %s:\n  %s", frozenAt.Round(100*time.Millisecond),
			killedAt.Round(100*time.Millisecond), restartedAt.Round(100*time.Millisecond), ns, strings.Join(seq, "\n  "))
	}
	t.Logf("kubelet: grades per phase %v; the longest took %s", phases, longest.Round(100*time.Millisecond))
	for _, p := range []string{"frozen", "killed", "restarted"} {
		if phases[p]["drill"] == 0 || phases[p]["crash"] == 0 {
			t.Errorf("kubelet: no grade of both namespaces while %s: %v", p, phases[p])
		}
	}
	if g := grades["drill"]; len(g) == 0 || !g[len(g)-1].r.allPass() {
		t.Errorf("kubelet: the correct app does not pass once the kubelet is back")
	}
}

// tableLine is a row of the text table: its status word and check id.
var tableLine = regexp.MustCompile(`(?m)^  \S+ (pass|fail|partial|error|skipped|not graded)\s+([a-z0-9-]+\.[a-z0-9.-]+)\s`)

// watchTables splits `check --watch` output (not a terminal: a table per
// change, each ended by the "watching namespace" line) into the status
// rows of each table.
func watchTables(out string) []map[string]string {
	var tables []map[string]string
	for _, chunk := range strings.Split(out, "watching namespace") {
		m := map[string]string{}
		for _, r := range tableLine.FindAllStringSubmatch(chunk, -1) {
			m[r[2]] = r[1]
		}
		if len(m) > 0 {
			tables = append(tables, m)
		}
	}
	// The text after the last "watching namespace" line is a table not
	// finished yet, or nothing.
	if !strings.HasSuffix(strings.TrimRight(out, "\n"), "(Ctrl-C to stop)") && len(tables) > 0 {
		tables = tables[:len(tables)-1]
	}
	return tables
}

func tablePasses(m map[string]string) bool {
	for id, st := range m {
		if id != "image.runs" && st != "pass" {
			return false
		}
	}
	return len(m) > 0
}

func tableAgainstStudent(m map[string]string) []string {
	var s []string
	for id, st := range m {
		if st == "fail" || st == "partial" {
			s = append(s, id+" "+st)
		}
	}
	return s
}

// drillAPIServer: `kubelab check --watch` runs on the correct app; the API
// server is stopped for 10 s and started again. The watch must say the
// cluster cannot be reached (not graded, never a fail) while it is down,
// then pass again, without kubelab being restarted; a change made after
// the restart (scale to 0, back to 1) shows in its table (its informers
// recovered).
func drillAPIServer(t *testing.T, ctx context.Context, n *Node, kubelab, image string) {
	const ns = "drill"
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(wctx, kubelab, "check", "--watch", "--kubeconfig", n.Kubeconfig, "--image", image, "-n", ns,
		"--insecure-registry", "--lang", "en", "--cache-dir", t.TempDir(), "--no-run", "--no-service-proxy")
	cmd.Env = append(os.Environ(), "KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	out, errOut := &syncBuf{}, &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Start(); err != nil {
		t.Errorf("apiserver: %v", err)
		return
	}
	began := time.Now()
	waitTable := func(what string, from int, limit time.Duration, ok func(map[string]string) bool) (int, bool) {
		for end := time.Now().Add(limit); time.Now().Before(end) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
			tables := watchTables(out.String())
			for i := from; i < len(tables); i++ {
				if ok(tables[i]) {
					t.Logf("apiserver: +%s: the watch's table %d: %s", time.Since(began).Round(100*time.Millisecond), i+1, what)
					return i + 1, true
				}
			}
		}
		t.Errorf("apiserver: the watch never showed %s in %s; its output:\n%s\nstderr:\n%s", what, limit, out.String(), errOut.String())
		return 0, false
	}
	next, ok := waitTable("everything passes", 0, time.Minute, tablePasses)
	if !ok {
		return
	}
	err := n.RestartComponent("kube-apiserver", func() {
		next, _ = waitTable("the cluster unreachable, not graded", next, 20*time.Second, func(m map[string]string) bool {
			// An error is shown "not graded" in the table.
			return m["cluster.reachable"] == "error" || m["cluster.reachable"] == "not graded"
		})
	})
	if err != nil {
		t.Errorf("apiserver: restart: %v", err)
		return
	}
	restarted := time.Since(began)
	next, ok = waitTable("everything passes again", next, 90*time.Second, tablePasses)
	if !ok {
		return
	}
	t.Logf("apiserver: started again at +%s", restarted.Round(100*time.Millisecond))
	// Nothing held against the student until the scale below.
	for i, m := range watchTables(out.String())[:next] {
		if f := tableAgainstStudent(m); len(f) > 0 {
			t.Errorf("apiserver: the watch's table %d holds against the student: %v", i+1, f)
		}
	}
	// Changes after the restart reach the watch.
	if out, err := n.Kubectl(ctx, "-n", ns, "scale", "deployment/hello-flask", "--replicas=0"); err != nil {
		t.Errorf("apiserver: %v\n%s", err, out)
		return
	}
	next, ok = waitTable("pods.running failing for the deployment scaled to 0", next, time.Minute, func(m map[string]string) bool { return m["pods.running"] == "fail" })
	if out, err := n.Kubectl(ctx, "-n", ns, "scale", "deployment/hello-flask", "--replicas=1"); err != nil {
		t.Errorf("apiserver: %v\n%s", err, out)
		return
	}
	if ok {
		// The pod back is enough (the way in to a new pod takes this
		// node's kube-proxy up to half a minute: not what is proven).
		_, _ = waitTable("pods.running passing after scaling back to 1", next, time.Minute, func(m map[string]string) bool { return m["pods.running"] == "pass" })
	}
	if cmd.ProcessState != nil {
		t.Errorf("apiserver: kubelab check --watch ended by itself: %v", cmd.ProcessState)
	}
	pid := cmd.Process.Pid
	stop()
	// Wait reports the cancelled context even after a clean exit: the
	// exit status is what the student sees.
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("apiserver: Ctrl-C should end the watch with exit 0, got %d\n%s", code, errOut.String())
	} else {
		t.Logf("apiserver: one kubelab process (pid %d) throughout; Ctrl-C ended it with exit 0; %d tables printed", pid, len(watchTables(out.String())))
	}
}

// syncBuf is output written by one goroutine and read by another.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// classRun is one `kubelab grade` of the roster: each student's report.
type classRun struct {
	at     time.Duration
	code   int
	output string
	rows   map[string]drillReport
	err    error
}

// drillEviction: the class s1..s4 (correct apps) graded with `kubelab
// grade` while s3's pod is evicted (the Eviction API, as `kubectl drain`
// does it) and its deployment replaces it. Every other student passes in
// every run; s3 passes once the replacement is Ready, and before that its
// pods.running says the new pod is starting, never a crash or an error.
func drillEviction(t *testing.T, ctx context.Context, n *Node, kubelab, image string) {
	dir := t.TempDir()
	var roster strings.Builder
	roster.WriteString("student_id,name,image,namespace\n")
	students := []string{"s1", "s2", "s3", "s4"}
	for _, s := range students {
		fmt.Fprintf(&roster, "%s,Student %s,%s,%s\n", s, s, image, s)
	}
	rosterFile := filepath.Join(dir, "class.csv")
	if err := os.WriteFile(rosterFile, []byte(roster.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	runs := 0
	// gradeIn grades the class into out; settle is --settle (0: each
	// student graded once, the verdict of one moment).
	gradeIn := func(out, settle string) classRun {
		c := classRun{at: time.Since(began), rows: map[string]drillReport{}}
		cache := filepath.Join(dir, "cache")
		if settle != "0" {
			cache += "-settled" // run beside the others
		}
		cmd := exec.CommandContext(ctx, kubelab, "--lang", "en", "grade", "--roster", rosterFile, "--out", out, "--kubeconfig", n.Kubeconfig,
			"--insecure-registry", "--cache-dir", cache, "--no-service-proxy", "--settle", settle)
		cmd.Env = append(os.Environ(), "KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
		b, err := cmd.CombinedOutput()
		c.output = string(b)
		if ee, ok := err.(*exec.ExitError); ok {
			c.code = ee.ExitCode()
		} else if err != nil {
			c.err = fmt.Errorf("%v\n%s", err, b)
			return c
		}
		for _, s := range students {
			raw, err := os.ReadFile(filepath.Join(out, "students", s+".json"))
			if err != nil {
				c.err = fmt.Errorf("exit %d: %v\n%s", c.code, err, b)
				return c
			}
			var r drillReport
			if err := json.Unmarshal(raw, &r); err != nil {
				c.err = err
				return c
			}
			c.rows[s] = r
		}
		return c
	}
	grade := func() classRun {
		runs++
		return gradeIn(filepath.Join(dir, fmt.Sprintf("run-%d", runs)), "0")
	}
	base := grade()
	if base.err != nil || base.code != 0 {
		t.Errorf("eviction: the class before: exit %d %v", base.code, base.err)
		return
	}
	for _, s := range students {
		if !base.rows[s].allPass() {
			t.Errorf("eviction: %s before the eviction: %s", s, base.rows[s].verdicts())
			return
		}
	}
	pod := firstPod(ctx, n, "s3", "Running")
	eviction := fmt.Sprintf(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":%q,"namespace":"s3"}}`, pod)
	evFile := filepath.Join(dir, "eviction.json")
	if err := os.WriteFile(evFile, []byte(eviction), 0o644); err != nil {
		t.Fatal(err)
	}
	evicted := time.Since(began)
	if out, err := n.Kubectl(ctx, "create", "--raw", "/api/v1/namespaces/s3/pods/"+pod+"/eviction", "-f", evFile); err != nil {
		t.Errorf("eviction: %v\n%s", err, out)
		return
	}
	// A class graded as a lecturer would (the default --settle) from the
	// moment of the eviction: s3 is caught mid-change, waited for and
	// graded again, so everyone ends with full marks.
	settled := make(chan classRun, 1)
	go func() { settled <- gradeIn(filepath.Join(dir, "settled"), "30s") }()
	cs, err := n.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	// Graded back to back, each student once (--settle 0), from the
	// eviction until s3 has passed twice: what each moment looks like.
	var all []classRun
	passes := 0
	for time.Since(began) < 2*time.Minute && passes < 2 {
		c := grade()
		all = append(all, c)
		if c.err == nil && c.rows["s3"].allPass() {
			passes++
		}
	}
	var seq []string
	inProgress := 0
	said := map[string]bool{}
	for _, c := range all {
		at := c.at.Round(100 * time.Millisecond)
		if c.err != nil {
			t.Errorf("eviction: the class run at +%s: %v", at, c.err)
			continue
		}
		seq = append(seq, fmt.Sprintf("+%s exit %d, s3: %s", at, c.code, c.rows["s3"].verdicts()))
		if c.code != 0 {
			t.Errorf("eviction: the class run at +%s exited %d", at, c.code)
		}
		for _, s := range students {
			r := c.rows[s]
			if s != "s3" {
				if !r.allPass() {
					t.Errorf("eviction: %s, not evicted, at +%s: %s", s, at, r.verdicts())
				}
				continue
			}
			if r.allPass() {
				continue
			}
			inProgress++
			st, msg := r.check("pods.running")
			for _, ch := range r.Checks {
				if ch.Status == "error" {
					t.Errorf("eviction: s3 at +%s: %s not graded: %s", at, ch.ID, ch.Message)
				}
				if ch.Status != "pass" && ch.ID != "image.runs" && !said[ch.ID+ch.Status] {
					said[ch.ID+ch.Status] = true
					t.Logf("eviction: s3 at +%s: %s %s: %s", at, ch.ID, ch.Status, ch.Message)
				}
			}
			switch {
			case st != "pass":
				// The replacement not Ready yet: pods.running says it
				// is on its way, and names no crash.
				if !regexp.MustCompile(`still starting|still Pending|has no pods yet`).MatchString(msg) ||
					strings.Contains(msg, "crash") || strings.Contains(msg, "exit code") {
					t.Errorf("eviction: s3 at +%s, its pod replaced: pods.running %s does not say the new pod is starting: %s", at, st, msg)
				}
			default:
				// The replacement Ready: only the Service's endpoints
				// and the way in may lag, and they must say so. The
				// Deployment's status lags too, but deployment.available
				// counts the pods (CI's run of stop 32 caught it 0 of 1).
				for _, ch := range r.Checks {
					lags := ch.ID == "app.responds" || ch.ID == "service.endpoints"
					if (ch.Status == "fail" || ch.Status == "partial") && (!lags || !strings.Contains(ch.Message, "became Ready only")) {
						t.Errorf("eviction: s3 at +%s, the replacement Ready: %s %s: %s", at, ch.ID, ch.Status, ch.Message)
					}
				}
			}
		}
	}
	t.Logf("eviction: %s's pod evicted at +%s; %d class runs after it (%d caught the replacement starting):\n  %s",
		pod, evicted.Round(100*time.Millisecond), len(all), inProgress, strings.Join(seq, "\n  "))
	c := <-settled
	switch {
	case c.err != nil || c.code != 0:
		t.Errorf("eviction: the class graded with --settle: exit %d %v\n%s", c.code, c.err, c.output)
	default:
		for _, s := range students {
			if !c.rows[s].allPass() {
				t.Errorf("eviction: the class graded with --settle from +%s: %s ended %s", c.at.Round(100*time.Millisecond), s, c.rows[s].verdicts())
			}
		}
		caught := regexp.MustCompile(`(\d+) student\(s\) caught their cluster mid-change`).FindStringSubmatch(c.output)
		t.Logf("eviction: the class graded with --settle from +%s: everyone passed; caught mid-change and graded again: %v", c.at.Round(100*time.Millisecond), caught)
	}
	if passes < 2 {
		t.Errorf("eviction: s3 does not pass two minutes after the eviction")
	}
	l, err := cs.CoreV1().Pods("s3").List(ctx, metav1.ListOptions{LabelSelector: "app=hello-flask"})
	if err == nil {
		for _, p := range l.Items {
			if p.Name == pod {
				t.Logf("eviction: the evicted pod is still listed: %s %v", p.Status.Phase, p.DeletionTimestamp)
			}
		}
	}
}
