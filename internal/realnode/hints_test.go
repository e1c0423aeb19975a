package realnode

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// More hints proven on the real node (issue 28): a Python syntax error, a
// private repository that needs a pull secret, and a rollout stuck behind
// a working ReplicaSet. Each runs the hint's command as the student would,
// asserts its output shows the cause, applies the fix and asserts the
// check turns pass. They run side by side (goroutines): no t.Fatal here.

// gradeUntil grades namespace ns until ok holds for check id (limit at
// most) and returns the last report and whether ok held.
func gradeUntil(ctx context.Context, kubelab string, n *Node, ns, image, id string, limit time.Duration, ok func(st, msg string) bool) (sweepReport, bool) {
	cache, _ := os.MkdirTemp("", "kl-hint-")
	defer os.RemoveAll(cache)
	var last sweepReport
	for begin := time.Now(); time.Since(begin) < limit && ctx.Err() == nil; time.Sleep(time.Second) {
		r, err := gradeOnce(ctx, kubelab, n.Kubeconfig, image, ns, cache)
		if err != nil {
			continue
		}
		last = r
		if st, msg, _ := r.check(id); ok(st, msg) {
			return r, true
		}
	}
	return last, false
}

// createApp makes namespace ns and in it the lesson's deployment of image,
// as the student types it.
func createApp(ctx context.Context, t *testing.T, n *Node, ns, image string) bool {
	t.Helper()
	if out, err := n.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Errorf("%s: %v\n%s", ns, err, out)
		return false
	}
	cs, err := n.Clientset()
	if err == nil {
		err = waitSA(ctx, cs, ns)
	}
	if err != nil {
		t.Errorf("%s: %v", ns, err)
		return false
	}
	if out, err := n.Kubectl(ctx, "-n", ns, "create", "deployment", "hello-flask", "--image="+image); err != nil {
		t.Errorf("%s: %v\n%s", ns, err, out)
		return false
	}
	return true
}

// firstPod names a pod of the app in ns whose status holds want ("" any).
func firstPod(ctx context.Context, n *Node, ns, want string) string {
	for i := 0; i < 60 && ctx.Err() == nil; i++ {
		out, err := n.Kubectl(ctx, "-n", ns, "get", "pods", "-l", "app=hello-flask", "--no-headers")
		if err == nil {
			for _, l := range strings.Split(out, "\n") {
				if f := strings.Fields(l); len(f) > 2 && strings.Contains(l, want) {
					return f[0]
				}
			}
		}
		time.Sleep(time.Second)
	}
	return ""
}

// proveSyntaxHint: app.py that Python cannot parse. The verdict quotes the
// SyntaxError; `kubectl logs POD --previous` (the hint) shows it; the fix
// (the app corrected, pushed, `kubectl rollout restart`) turns pass.
func proveSyntaxHint(t *testing.T, ctx context.Context, n *Node, kubelab, appPy string, good v1.Image) {
	const ns = "syntax-error"
	image := n.Registry + "/budi/hello-flask-syntax:latest"
	broken := strings.Replace(appPy, "@app.route(\"/\")", "@app.route(\"/\"\n", 1)
	if broken == appPy {
		broken = "def broken(:\n    pass\n" + appPy
	}
	if err := Push(ctx, image, lessonImage(t, ctx, broken)); err != nil {
		t.Errorf("%s: %v", ns, err)
		return
	}
	if !createApp(ctx, t, n, ns, image) {
		return
	}
	sc := &sweepScenario{name: ns, image: image}
	r, ok := gradeUntil(ctx, kubelab, n, ns, image, "pods.running", 3*time.Minute, func(st, msg string) bool {
		return st == "fail" && strings.Contains(msg, "its log ends with: SyntaxError")
	})
	sc.last = r
	if !ok {
		st, msg, _ := r.check("pods.running")
		t.Errorf("%s: pods.running should fail quoting the SyntaxError: %s %s", ns, st, msg)
		return
	}
	// proveCrashHint's cause: the line the verdict quotes, which the
	// hint's command must show as well.
	_, msg, _ := r.check("pods.running")
	cause := msg[strings.Index(msg, "its log ends with: ")+len("its log ends with: "):]
	// The line ends the sentence: the message may go on ("If it keeps
	// running, this passes at ...").
	cause = strings.TrimSuffix(strings.SplitN(cause, ". ", 2)[0], ".")
	proveCrashHint(t, ctx, n, kubelab, sc, good, cause)
}

// provePullSecretHint: an image in a private repository (the registry
// answers 401 without the login). pods.running names the pull failure,
// `kubectl describe pod` shows the 401, and the hint's commands (a
// docker-registry secret, the default service account's
// imagePullSecrets, a new pod), typed with the student's token for the
// placeholder, turn pass.
func provePullSecretHint(t *testing.T, ctx context.Context, n *Node, kubelab string, good v1.Image) {
	const ns = "pull-secret"
	image := n.Registry + "/" + PrivatePrefix + "flask:latest"
	if err := Push(ctx, image, good, remote.WithAuth(&authn.Basic{Username: PrivateUser, Password: PrivatePassword})); err != nil {
		t.Errorf("%s: %v", ns, err)
		return
	}
	if !createApp(ctx, t, n, ns, image) {
		return
	}
	r, ok := gradeUntil(ctx, kubelab, n, ns, image, "pods.running", 3*time.Minute, func(st, msg string) bool {
		return st == "fail" && strings.Contains(msg, "cannot pull its image")
	})
	st, msg, hint := r.check("pods.running")
	if !ok {
		t.Errorf("%s: pods.running should fail naming the pull: %s %s", ns, st, msg)
		return
	}
	t.Logf("%s: pods.running %s: %s", ns, st, msg)
	pod := firstPod(ctx, n, ns, "")
	out, err := studentKubectl(ctx, n, ns, "kubectl describe pod "+pod)
	if err != nil || !strings.Contains(out, "401") && !strings.Contains(strings.ToLower(out), "unauthorized") {
		t.Errorf("%s: kubectl describe pod should show the 401: %v\n%s", ns, err, out)
	} else {
		t.Logf("%s: kubectl describe pod shows %q", ns, grepLine(out, "401"))
	}
	cmds := firstCommand.FindAllStringSubmatch(hint, 3)
	if len(cmds) < 3 || !strings.HasPrefix(cmds[0][1], "kubectl create secret docker-registry ") ||
		!strings.HasPrefix(cmds[1][1], "kubectl patch serviceaccount default ") || !strings.HasPrefix(cmds[2][1], "kubectl delete pod ") {
		t.Errorf("%s: the hint should be create secret, patch serviceaccount, delete pod: %q", ns, hint)
		return
	}
	for _, c := range cmds {
		// The student types their token where the hint's placeholder is.
		cmd := strings.Replace(c[1], "--docker-password=<access-token>", "--docker-password="+PrivatePassword, 1)
		out, err := studentKubectl(ctx, n, ns, cmd)
		if err != nil {
			t.Errorf("%s: `%s`: %v\n%s", ns, cmd, err, out)
			return
		}
		t.Logf("%s: `%s`: %s", ns, c[1], strings.TrimSpace(out))
	}
	sc := &sweepScenario{name: ns}
	st, m, took := waitPass(ctx, kubelab, n, sc, image, "pods.running")
	if st != "pass" {
		t.Errorf("%s: after the hint's commands, pods.running is %s: %s", ns, st, m)
		return
	}
	t.Logf("%s: the hint's three commands; pods.running pass after %s", ns, took.Round(time.Second))
}

// proveStuckRollout: the correct app (namespace correct, Ready) is rolled
// out to a tag never pushed. The old pod keeps serving; the new one cannot
// pull. A careful human says: the pods are partly fine (partial, the pull
// named, nothing called a crash), the deployment is still available, the
// service still has its endpoint. The hint pushes the tag and replaces the
// pod; then everything passes. The student hands in the repository without
// a tag (the rollout lesson), so the tag the deployment runs is judged.
func proveStuckRollout(t *testing.T, ctx context.Context, n *Node, kubelab string, good v1.Image) {
	const ns = "correct"
	repo := n.Registry + "/budi/hello-flask"
	if out, err := studentKubectl(ctx, n, ns, "kubectl set image deployment/hello-flask hello-flask="+repo+":v2"); err != nil {
		t.Errorf("stuck-rollout: %v\n%s", err, out)
		return
	}
	r, ok := gradeUntil(ctx, kubelab, n, ns, repo, "pods.running", 3*time.Minute, func(st, msg string) bool {
		return strings.Contains(msg, "cannot pull its image")
	})
	var verdicts []string
	for _, c := range r.Checks {
		verdicts = append(verdicts, c.ID+" "+c.Status)
	}
	t.Logf("stuck-rollout: verdicts: %s", strings.Join(verdicts, ", "))
	st, msg, hint := r.check("pods.running")
	if !ok || st != "partial" || strings.Contains(msg, "crash") {
		t.Errorf("stuck-rollout: pods.running should be partial (the old pod runs) naming the pull, got %s: %s", st, msg)
		return
	}
	t.Logf("stuck-rollout: pods.running %s: %s", st, msg)
	for _, id := range []string{"deployment.available", "service.endpoints"} {
		if s, m, _ := r.check(id); s == "fail" {
			t.Errorf("stuck-rollout: %s fails while the old pod serves: %s", id, m)
		}
	}
	cmds := firstCommand.FindAllStringSubmatch(hint, 2)
	if len(cmds) < 2 || !regexp.MustCompile(`^docker push \S+:v2$`).MatchString(cmds[0][1]) || !strings.HasPrefix(cmds[1][1], "kubectl delete pod ") {
		t.Errorf("stuck-rollout: the hint should be docker push ...:v2, then kubectl delete pod: %q", hint)
		return
	}
	// `docker push` of the tag (the test's push stands for it), then the
	// hint's kubectl command.
	if err := Push(ctx, repo+":v2", good); err != nil {
		t.Errorf("stuck-rollout: %v", err)
		return
	}
	if out, err := studentKubectl(ctx, n, ns, cmds[1][1]); err != nil {
		t.Errorf("stuck-rollout: `%s`: %v\n%s", cmds[1][1], err, out)
		return
	}
	sc := &sweepScenario{name: ns}
	st, m, took := waitPass(ctx, kubelab, n, sc, repo, "pods.running")
	if st != "pass" {
		t.Errorf("stuck-rollout: after the hint, pods.running is %s: %s", st, m)
		return
	}
	t.Logf("stuck-rollout: `docker push`, `%s`; pods.running pass after %s", cmds[1][1], took.Round(time.Second))
}
