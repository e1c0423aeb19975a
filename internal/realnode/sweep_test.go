package realnode

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/internal/shellwords"
	"github.com/kubelab/kubelab/internal/simcluster"
)

// Issue 28: right at every moment, and every hint proven. Students are
// graded at any instant, not when their pods have settled, and their next
// step is the command in the hint. TestSweepOnRealNode grades each scenario
// every half second from `kubectl create deployment` until sweepAfter past
// the moment it settles, scenarios side by side (one namespace each), and
// fails on any verdict a careful human would call wrong at that moment (see
// wrongVerdict). Then, on the same node, it runs each failure's hint as the
// student would (through the nsenter prefix), asserts that what it prints
// shows the cause, applies the fix and asserts the check turns pass.

// sweepAfter is how long grading goes on after a scenario has settled.
func sweepAfter() time.Duration { return 2 * time.Minute }

// sweepReport is the part of kubelab's JSON report the sweep reads.
type sweepReport struct {
	Checks []struct {
		ID, Status, Message, Hint string
	} `json:"checks"`
}

func (r sweepReport) check(id string) (status, msg, hint string) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status, c.Message, c.Hint
		}
	}
	return "", "", ""
}

// gradeOnce runs `kubelab check --no-run -o json` as the student would,
// inside the namespace (this process is in it).
func gradeOnce(ctx context.Context, bin, kubeconfig, image, ns, cache string) (sweepReport, error) {
	cmd := exec.CommandContext(ctx, bin, "check", "--kubeconfig", kubeconfig, "--image", image, "-n", ns,
		"--insecure-registry", "-o", "json", "--lang", "en", "--cache-dir", cache, "--no-run", "--no-service-proxy")
	cmd.Env = append(os.Environ(), "KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return sweepReport{}, fmt.Errorf("kubelab check: %v\n%s", err, stderr.String())
	}
	var r sweepReport
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("kubelab check: bad JSON: %v\n%s\n%s", err, out, stderr.String())
	}
	return r, nil
}

// truth is what the pods really were just before a grade began: whether a
// container of the app had ended at least once, and whether every pod was
// Running and Ready with no restart.
type truth struct {
	crashed bool // some container terminated (restartCount > 0 or state terminated)
	ready   bool // every pod Running and Ready
	pods    int
}

func podTruth(pods []corev1.Pod) truth {
	tr := truth{ready: len(pods) > 0, pods: len(pods)}
	for _, p := range pods {
		ready := p.Status.Phase == corev1.PodRunning
		found := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				found = true
				ready = ready && c.Status == corev1.ConditionTrue
			}
		}
		tr.ready = tr.ready && ready && found
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount > 0 || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
				tr.crashed = true
			}
		}
	}
	return tr
}

// sweepScenario is one namespace graded over time.
type sweepScenario struct {
	name, play, image string
	// crashes: the app exits with an error (a careful human never calls
	// its pods running fine once it has crashed); pull: the image cannot
	// be pulled; neither: the correct app.
	crashes, pull bool

	mu      sync.Mutex
	settled time.Time
	graded  int
	running int // grades that caught a crashed pod Running (the window of issue 28)
	// runningLog: of those, the grades whose verdict quoted the crash's
	// log line; logLine: all grades that quoted it.
	runningLog, logLine int
	wrong               []string
	last                sweepReport
	seen                map[string]bool
}

// wrongVerdict says what is wrong with report r, graded when the pods were
// before (read just before the grade began) and after (just after it
// ended); "" when a careful human would agree. everReady says the correct
// app had been Running and Ready before this grade began.
func (sc *sweepScenario) wrongVerdict(r sweepReport, before, after truth, everReady bool) string {
	pr, prMsg, _ := r.check("pods.running")
	da, _, _ := r.check("deployment.available")
	se, seMsg, _ := r.check("service.endpoints")
	for _, c := range r.Checks {
		// The environment is sound throughout: nothing is "not graded"
		// (image.runs is left out on purpose: --no-run.)
		if c.Status == "error" && c.ID != "image.runs" {
			return fmt.Sprintf("%s not graded: %s", c.ID, c.Message)
		}
	}
	switch {
	case sc.crashes:
		// Once the app has crashed, its pods never run fine.
		if before.crashed && (pr == "pass" || da == "pass") {
			return fmt.Sprintf("pods.running %s, deployment.available %s for an app that has crashed: %s", pr, da, prMsg)
		}
		// Its Service answers only between crashes: no ready endpoint.
		if before.crashed && se == "pass" {
			return "service.endpoints pass for an app that has crashed: " + seMsg
		}
		if before.crashed && pr != "" && !strings.Contains(prMsg, "exit code 1") && !strings.Contains(prMsg, "has no pods yet") {
			return "pods.running does not name the crash (exit code 1): " + prMsg
		}
		// A quoted log line is the crash's own.
		if strings.Contains(prMsg, "its log ends with:") && !strings.Contains(prMsg, "its log ends with: "+flaksCause) {
			return "pods.running quotes another log line than the crash's: " + prMsg
		}
	case sc.pull:
		if pr == "pass" || da == "pass" {
			return fmt.Sprintf("pods.running %s, deployment.available %s for an image that cannot be pulled: %s", pr, da, prMsg)
		}
		if se == "pass" {
			return "service.endpoints pass for an image that cannot be pulled: " + seMsg
		}
		if strings.Contains(prMsg, "crash") || strings.Contains(prMsg, "exit code") {
			return "pods.running names a crash for a pull failure: " + prMsg
		}
	default:
		// The correct app never crashes, and once Ready never fails.
		if strings.Contains(prMsg, "crash") || strings.Contains(prMsg, "exit code") {
			return "pods.running names a crash for the correct app: " + prMsg
		}
		if everReady && after.ready && (pr != "pass" || da != "pass") {
			return fmt.Sprintf("the correct app, Ready, got pods.running %s, deployment.available %s: %s", pr, da, prMsg)
		}
		if everReady && after.ready {
			for _, c := range r.Checks {
				if sc.seen[c.ID] && (c.Status == "fail" || c.Status == "partial") {
					return fmt.Sprintf("%s passed earlier but is %s now: %s", c.ID, c.Status, c.Message)
				}
			}
		}
	}
	return ""
}

func TestSweepOnRealNode(t *testing.T) {
	n := startT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	kubelab := buildKubelab(t)
	cs, err := n.Clientset()
	if err != nil {
		t.Fatal(err)
	}

	appPy := lessonAppPy(t)
	typo := strings.Replace(appPy, "from flask import", "from flaks import", 1)
	good := n.Registry + "/budi/hello-flask:latest"
	crash := n.Registry + "/budi/hello-flask-typo:latest"
	// Runs three seconds, then crashes: a Running spell long enough that
	// half-second grading surely catches the pod Running between crashes.
	late := n.Registry + "/budi/hello-flask-late:latest"
	goodImg := lessonImage(t, ctx, appPy)
	for ref, img := range map[string]v1.Image{good: goodImg, crash: lessonImage(t, ctx, typo), late: lessonImage(t, ctx, "import time\ntime.sleep(3)\n"+typo)} {
		if err := Push(ctx, ref, img); err != nil {
			t.Fatal(err)
		}
	}

	scenarios := []*sweepScenario{
		{name: "correct", play: "correct", image: good},
		{name: "crash-loop", play: "crash-loop", image: crash, crashes: true},
		{name: "crash-late", play: "crash-loop", image: late, crashes: true},
		{name: "image-pull-backoff", play: "image-pull-backoff", image: good, pull: true},
	}
	begin := time.Now()
	var wg sync.WaitGroup
	for _, sc := range scenarios {
		sc.seen = map[string]bool{}
		wg.Add(2)
		go func() {
			defer wg.Done()
			st := &simcluster.Student{C: n.Cluster, Namespace: sc.name, Image: sc.image, RealNode: true}
			err := st.Play(ctx, sc.play)
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.settled = time.Now()
			if err != nil {
				sc.wrong = append(sc.wrong, "playing: "+err.Error())
			}
		}()
		go func() {
			defer wg.Done()
			cache := t.TempDir()
			everReady := false
			for ctx.Err() == nil {
				start := time.Now()
				sc.mu.Lock()
				settled := sc.settled
				sc.mu.Unlock()
				if !settled.IsZero() && start.After(settled.Add(sweepAfter())) {
					return
				}
				list := func() truth {
					l, err := cs.CoreV1().Pods(sc.name).List(ctx, metav1.ListOptions{LabelSelector: "app=hello-flask"})
					if err != nil {
						return truth{}
					}
					return podTruth(l.Items)
				}
				before := list()
				r, err := gradeOnce(ctx, kubelab, n.Kubeconfig, sc.image, sc.name, cache)
				after := list()
				sc.mu.Lock()
				sc.graded++
				if err != nil {
					sc.wrong = append(sc.wrong, err.Error())
				} else {
					if w := sc.wrongVerdict(r, before, after, everReady); w != "" {
						sc.wrong = append(sc.wrong, fmt.Sprintf("at +%s: %s", time.Since(begin).Round(100*time.Millisecond), w))
					}
					_, msg, _ := r.check("pods.running")
					quoted := strings.Contains(msg, "its log ends with: "+flaksCause)
					if quoted {
						sc.logLine++
					}
					if sc.crashes && strings.Contains(msg, "is Running again") {
						sc.running++
						if quoted {
							sc.runningLog++
						}
					}
					if !sc.crashes && !sc.pull && after.ready && before.ready {
						for _, c := range r.Checks {
							if c.Status == "pass" {
								sc.seen[c.ID] = true
							}
						}
					}
					sc.last = r
				}
				sc.mu.Unlock()
				everReady = everReady || (before.ready && !sc.crashes && !sc.pull)
				if d := 500*time.Millisecond - time.Since(start); d > 0 {
					time.Sleep(d)
				}
			}
		}()
	}
	wg.Wait()

	var table strings.Builder
	fmt.Fprintf(&table, "%-20s %-8s %-8s %-24s %-s\n", "scenario", "graded", "wrong", "running-between-crashes", "log-line-quoted (in that window)")
	for _, sc := range scenarios {
		fmt.Fprintf(&table, "%-20s %-8d %-8d %-24d %d (%d)\n", sc.name, sc.graded, len(sc.wrong), sc.running, sc.logLine, sc.runningLog)
		for _, w := range sc.wrong {
			t.Errorf("%s: %s", sc.name, w)
		}
		if sc.graded < 20 {
			t.Errorf("%s: only %d moments graded", sc.name, sc.graded)
		}
	}
	t.Logf("sweep (every 0.5 s, until %s after settling), %s in all:\n%s", sweepAfter(), time.Since(begin).Round(time.Second), table.String())
	// The window of issue 28: the late crasher runs 3 s between crashes,
	// so grading every half second catches it Running; it must fail with
	// the crash named.
	if late := scenarios[2]; late.running == 0 {
		t.Errorf("crash-late: no grade caught the pod Running between two crashes")
	} else if late.runningLog == 0 {
		// ... and quote the line that stopped the app (the log is
		// evidence: a read that failed leaves the verdict as it is, so
		// one grade at least, not every one).
		t.Errorf("crash-late: none of the %d grades in the Running window quoted the log line %q", late.running, flaksCause)
	}

	// The hints, as the student runs them.
	proveCrashHint(t, ctx, n, kubelab, scenarios[1], goodImg, flaksCause)
	proveCrashHint(t, ctx, n, kubelab, scenarios[2], goodImg, flaksCause)
	provePullHint(t, ctx, n, kubelab, scenarios[3])
	proveKubeletReachable(t, ctx, n)
	// The rest side by side, each in a namespace of its own but the
	// stuck rollout (the correct app's, rolled out to a tag never pushed).
	var hints sync.WaitGroup
	for _, prove := range []func(){
		func() { proveResourceHints(t, ctx, n, kubelab, good) },
		func() { proveSyntaxHint(t, ctx, n, kubelab, appPy, goodImg) },
		func() { provePullSecretHint(t, ctx, n, kubelab, goodImg) },
		func() { proveStuckRollout(t, ctx, n, kubelab, goodImg) },
	} {
		hints.Add(1)
		go func() {
			defer hints.Done()
			prove()
		}()
	}
	hints.Wait()
	proveNodeNotReady(t, ctx, n, kubelab)
}

// flaksCause is the last line of the crash-loop app's traceback.
const flaksCause = "ModuleNotFoundError: No module named 'flaks'"

// studentKubectl runs kubectl as the student types it, through the nsenter
// prefix kubelab's docs give for the real node, in the student's namespace
// (their context's namespace: the hints name none).
// explainLogs says why a container's log could not be read: the pod's
// container statuses as the API server has them, and what the kubelet's log
// says about the container (removed by its garbage collection, its sandbox
// recreated...).
func explainLogs(t *testing.T, ctx context.Context, n *Node, ns, out string) {
	t.Helper()
	st, _ := n.Kubectl(ctx, "-n", ns, "get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses}{\"\\n\"}{end}")
	t.Logf("%s: pods' container statuses:\n%s", ns, st)
	id := regexp.MustCompile(`containerd://([0-9a-f]{12})`).FindStringSubmatch(out)
	log, err := os.ReadFile(filepath.Join(n.Cluster.Dir, "kubelet.log"))
	if id == nil || err != nil {
		return
	}
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, id[1]) {
			t.Logf("kubelet: %s", l)
		}
	}
}

func studentKubectl(ctx context.Context, n *Node, ns, command string) (string, error) {
	// Split as the student's shell would (quotes, as in kubectl patch -p
	// '{...}'); what a shell would not run as written is an error.
	args, err := shellwords.Split(command, shellwords.Options{})
	if err != nil {
		return "", fmt.Errorf("%q cannot be typed as written: %w", command, err)
	}
	if len(args) == 0 || args[0] != "kubectl" {
		return "", fmt.Errorf("not a kubectl command: %q", command)
	}
	full := append(append(Prefix(n.Netns), n.KubectlPath(), "--kubeconfig", n.Kubeconfig, "-n", ns), args[1:]...)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var logsCommand = regexp.MustCompile("`(kubectl logs [^`]+)`")

var firstCommand = regexp.MustCompile("`([^`]+)`")

// hintCommand is the first command of a hint ("`kubectl logs X --previous`.
// It shows ..."); "" (and an error reported) when it has none.
func hintCommand(t *testing.T, hint string) string {
	t.Helper()
	m := firstCommand.FindStringSubmatch(hint)
	if m == nil {
		t.Errorf("hint without a command: %q", hint)
		return ""
	}
	return m[1]
}

// waitPass grades until check id passes (two minutes at most), and returns
// the last report's status and message.
func waitPass(ctx context.Context, kubelab string, n *Node, sc *sweepScenario, image, id string) (string, string, time.Duration) {
	begin := time.Now()
	cache, _ := os.MkdirTemp("", "kl-sweep-")
	defer os.RemoveAll(cache)
	var st, msg string
	for time.Since(begin) < 2*time.Minute && ctx.Err() == nil {
		r, err := gradeOnce(ctx, kubelab, n.Kubeconfig, image, sc.name, cache)
		if err == nil {
			st, msg, _ = r.check(id)
			if st == "pass" {
				break
			}
		}
		time.Sleep(time.Second)
	}
	return st, msg, time.Since(begin)
}

// proveCrashHint: the hint of a crash is `kubectl logs POD --previous`; it
// must show the Python traceback's last line; then the fix the hint gives
// (fix app.py, build and push, `kubectl rollout restart`) turns
// pods.running pass.
func proveCrashHint(t *testing.T, ctx context.Context, n *Node, kubelab string, sc *sweepScenario, good v1.Image, cause string) {
	t.Helper()
	_, msg, hint := sc.last.check("pods.running")
	// The verdict itself quotes the line that stopped the app.
	if !strings.Contains(msg, "its log ends with: "+cause) {
		t.Errorf("%s: pods.running should quote the log line %q: %s", sc.name, cause, msg)
	} else {
		t.Logf("%s: pods.running quotes the log line: %s", sc.name, msg)
	}
	// The hint's log commands, in its order: `kubectl logs POD --previous`
	// while the crashed run is the pod's lastState, then `kubectl logs POD`
	// for when the app has crashed again since; `kubectl logs POD` first
	// when the status names the crashed run as the current state, then
	// `--previous` for once the pod has started again. The student types
	// the first; if the pod has moved on since, the other. The pod may
	// move on between the two, so up to three rounds, 3 s apart.
	cmds := logsCommand.FindAllStringSubmatch(hint, -1)
	if len(cmds) != 2 || strings.HasSuffix(cmds[0][1], " --previous") == strings.HasSuffix(cmds[1][1], " --previous") {
		t.Errorf("%s: the crash's hint should name `kubectl logs POD --previous` and `kubectl logs POD`: %q (%s)", sc.name, hint, msg)
		return
	}
	shown := false
	for round := 1; round <= 3 && !shown; round++ {
		for _, c := range cmds {
			out, err := studentKubectl(ctx, n, sc.name, c[1])
			if err == nil && strings.Contains(out, cause) {
				t.Logf("%s: `%s` shows %q (round %d)", sc.name, c[1], lastLine(out), round)
				shown = true
				break
			}
			t.Logf("%s: round %d: `%s` does not show the cause (%v):\n%s", sc.name, round, c[1], err, out)
			explainLogs(t, ctx, n, sc.name, out)
		}
		if !shown {
			time.Sleep(3 * time.Second)
		}
	}
	if !shown {
		t.Errorf("%s: no log command of the hint shows %q: %s", sc.name, cause, hint)
	}
	// The fix: the same tag pushed again with the app corrected, then the
	// restart the hint names.
	if err := Push(ctx, sc.image, good); err != nil {
		t.Errorf("%s: %v", sc.name, err)
		return
	}
	restart := regexp.MustCompile("`(kubectl rollout restart deployment/[^`]+)`").FindStringSubmatch(hint)
	if restart == nil {
		t.Errorf("%s: the hint names no rollout restart: %q", sc.name, hint)
		return
	}
	if out, err := studentKubectl(ctx, n, sc.name, restart[1]); err != nil {
		t.Errorf("%s: %v\n%s", restart[1], err, out)
		return
	}
	st, m, took := waitPass(ctx, kubelab, n, sc, sc.image, "pods.running")
	if st != "pass" {
		t.Errorf("%s: after the fix, pods.running is %s: %s", sc.name, st, m)
		return
	}
	t.Logf("%s: fixed as the hint says; pods.running pass after %s", sc.name, took.Round(time.Second))
}

// provePullHint: a deployment asking for a tag never pushed. The hint's
// command is the fix (`kubectl set image ...`); `kubectl describe pod`
// shows the cause (ErrImagePull, not found).
func provePullHint(t *testing.T, ctx context.Context, n *Node, kubelab string, sc *sweepScenario) {
	t.Helper()
	_, msg, hint := sc.last.check("pods.running")
	if !strings.Contains(msg, "cannot pull its image") {
		t.Errorf("%s: pods.running should say the image cannot be pulled: %s", sc.name, msg)
	}
	pods, err := n.Kubectl(ctx, "-n", sc.name, "get", "pods", "-l", "app=hello-flask", "-o", "name")
	if err != nil || strings.TrimSpace(pods) == "" {
		t.Fatalf("%s: pods: %v %q", sc.name, err, pods)
	}
	pod := strings.TrimPrefix(strings.Fields(pods)[0], "pod/")
	out, err := studentKubectl(ctx, n, sc.name, "kubectl describe pod "+pod)
	if err != nil || !strings.Contains(out, "ErrImagePull") && !strings.Contains(out, "ImagePullBackOff") || !strings.Contains(out, "not found") {
		t.Errorf("%s: kubectl describe pod should show the pull error (ErrImagePull, not found): %v\n%s", sc.name, err, out)
	} else {
		t.Logf("%s: kubectl describe pod shows %q", sc.name, grepLine(out, "not found"))
	}
	cmd := hintCommand(t, hint)
	if !strings.HasPrefix(cmd, "kubectl set image ") {
		t.Errorf("%s: the hint should start with kubectl set image, got %q", sc.name, cmd)
		return
	}
	if out, err := studentKubectl(ctx, n, sc.name, cmd); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	st, m, took := waitPass(ctx, kubelab, n, sc, sc.image, "pods.running")
	if st != "pass" {
		t.Errorf("%s: after `%s`, pods.running is %s: %s", sc.name, cmd, st, m)
		return
	}
	t.Logf("%s: `%s`; pods.running pass after %s", sc.name, cmd, took.Round(time.Second))
}

// proveKubeletReachable: kubectl exec and port-forward reach the real
// kubelet on the node address, as on minikube.
func proveKubeletReachable(t *testing.T, ctx context.Context, n *Node) {
	t.Helper()
	pods, err := n.Kubectl(ctx, "-n", "correct", "get", "pods", "-l", "app=hello-flask", "-o", "name")
	if err != nil || strings.TrimSpace(pods) == "" {
		t.Fatalf("correct: pods: %v %q", err, pods)
	}
	pod := strings.TrimPrefix(strings.Fields(pods)[0], "pod/")
	out, err := studentKubectl(ctx, n, "correct", "kubectl exec "+pod+" -- python -c 'print(6*7)'")
	if err != nil || strings.TrimSpace(out) != "42" {
		t.Errorf("kubectl exec: %v %q", err, out)
	} else {
		t.Logf("kubectl exec %s -- python -c 'print(6*7)' -> %s", pod, strings.TrimSpace(out))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	full := append(append(Prefix(n.Netns), n.KubectlPath(), "--kubeconfig", n.Kubeconfig), "-n", "correct", "port-forward", "pod/"+pod, fmt.Sprintf("%d:5000", port))
	pf := exec.CommandContext(pctx, full[0], full[1:]...)
	var pfOut strings.Builder
	pf.Stdout, pf.Stderr = &pfOut, &pfOut
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	body, err := getEventually(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port))
	stop()
	_ = pf.Wait()
	if err != nil || !strings.Contains(body, "Hello from Flask") {
		t.Errorf("kubectl port-forward: %v %q\n%s", err, body, pfOut.String())
	} else {
		t.Logf("kubectl port-forward pod/%s %d:5000; GET -> %q", pod, port, strings.TrimSpace(body))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func grepLine(s, word string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// resourceCase is a failure made by the deployment's resources: the pod
// asks for more CPU than the node has (Pending, "Insufficient cpu"), or its
// memory limit is below what Flask needs (OOMKilled).
type resourceCase struct {
	ns        string
	resources corev1.ResourceRequirements
	// words the pods.running message must hold; cause, what the cause
	// command (kubectl describe pod) must show; fix, how the hint's first
	// command begins.
	words, cause, fix string
}

// proveResourceHints: for each case a deployment of the correct image made
// with those resources; kubelab's verdict names the cause, `kubectl describe
// pod` shows it, the hint's first command (the fix) turns pods.running pass.
func proveResourceHints(t *testing.T, ctx context.Context, n *Node, kubelab, image string) {
	t.Helper()
	cs, err := n.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	cases := []resourceCase{
		{ns: "pending-cpu", resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}},
			words: "no node can take it", cause: "Insufficient cpu", fix: "kubectl set resources deployment hello-flask --requests="},
		{ns: "oomkilled", resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Mi")}},
			words: "OOMKilled", cause: "OOMKilled", fix: "kubectl set resources deployment hello-flask --limits=memory="},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proveResourceHint(t, ctx, n, cs, kubelab, image, c)
		}()
	}
	wg.Wait()
}

func proveResourceHint(t *testing.T, ctx context.Context, n *Node, cs kubernetes.Interface, kubelab, image string, c resourceCase) {
	if _, err := n.Kubectl(ctx, "create", "namespace", c.ns); err != nil {
		t.Errorf("%s: %v", c.ns, err)
		return
	}
	if err := waitSA(ctx, cs, c.ns); err != nil {
		t.Errorf("%s: %v", c.ns, err)
		return
	}
	labels := map[string]string{"app": "hello-flask"}
	one := int32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "hello-flask", Image: image, Resources: c.resources}}}}},
	}
	if _, err := cs.AppsV1().Deployments(c.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Errorf("%s: %v", c.ns, err)
		return
	}
	sc := &sweepScenario{name: c.ns}
	// Wait until kubelab names the cause.
	cache := t.TempDir()
	var msg, hint, st string
	begin := time.Now()
	for time.Since(begin) < 3*time.Minute && ctx.Err() == nil {
		r, err := gradeOnce(ctx, kubelab, n.Kubeconfig, image, c.ns, cache)
		if err == nil {
			st, msg, hint = r.check("pods.running")
			if strings.Contains(msg, c.words) {
				break
			}
		}
		time.Sleep(time.Second)
	}
	if st == "pass" || !strings.Contains(msg, c.words) {
		t.Errorf("%s: pods.running %s, want a fail naming %q: %s", c.ns, st, c.words, msg)
		return
	}
	t.Logf("%s: pods.running %s: %s", c.ns, st, msg)
	pods, err := n.Kubectl(ctx, "-n", c.ns, "get", "pods", "-l", "app=hello-flask", "-o", "name")
	if err != nil || strings.TrimSpace(pods) == "" {
		t.Errorf("%s: pods: %v %q", c.ns, err, pods)
		return
	}
	pod := strings.TrimPrefix(strings.Fields(pods)[0], "pod/")
	out, err := studentKubectl(ctx, n, c.ns, "kubectl describe pod "+pod)
	if err != nil || !strings.Contains(out, c.cause) {
		t.Errorf("%s: kubectl describe pod should show %q: %v\n%s", c.ns, c.cause, err, out)
	} else {
		t.Logf("%s: kubectl describe pod shows %q", c.ns, grepLine(out, c.cause))
	}
	cmd := hintCommand(t, hint)
	if !strings.HasPrefix(cmd, c.fix) {
		t.Errorf("%s: the hint should start with %q, got %q", c.ns, c.fix, cmd)
		return
	}
	if out, err := studentKubectl(ctx, n, c.ns, cmd); err != nil {
		t.Errorf("%s: %s: %v\n%s", c.ns, cmd, err, out)
		return
	}
	st, m, took := waitPass(ctx, kubelab, n, sc, image, "pods.running")
	if st != "pass" {
		t.Errorf("%s: after `%s`, pods.running is %s: %s", c.ns, cmd, st, m)
		return
	}
	t.Logf("%s: `%s`; pods.running pass after %s", c.ns, cmd, took.Round(time.Second))
}

func waitSA(ctx context.Context, cs kubernetes.Interface, ns string) error {
	for i := 0; i < 60; i++ {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("namespace %s: no default service account", ns)
}
