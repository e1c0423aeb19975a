package realnode

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proveNodeNotReady: the kubelet stops reporting (frozen with SIGSTOP, as
// when minikube's VM is suspended: the containers keep running, the node's
// status goes stale). Once the node is NotReady, cluster.node-ready fails
// naming it, and pods.running does not call the correct app's pods running
// fine: it names the node. Then the kubelet resumes and pods.running
// passes again. Runs last: the node is unusable meanwhile.
func proveNodeNotReady(t *testing.T, ctx context.Context, n *Node, kubelab string) {
	const ns = "correct"
	image := n.Registry + "/budi/hello-flask"
	pid, ok := n.PIDs()["kubelet"]
	if !ok {
		t.Errorf("node-not-ready: no kubelet process")
		return
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Errorf("node-not-ready: SIGSTOP kubelet: %v", err)
		return
	}
	stopped := time.Now()
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	defer resume()
	r, ok := gradeUntil(ctx, kubelab, n, ns, image, "cluster.node-ready", 4*time.Minute, func(st, msg string) bool { return st == "fail" })
	nst, nmsg, _ := r.check("cluster.node-ready")
	if !ok || !strings.Contains(nmsg, "NotReady") {
		t.Errorf("node-not-ready: cluster.node-ready should fail naming NotReady: %s %s", nst, nmsg)
		return
	}
	t.Logf("node-not-ready: %s after the kubelet froze: cluster.node-ready %s: %s", time.Since(stopped).Round(time.Second), nst, nmsg)
	// Every grade from here while the node is NotReady: pods.running
	// never passes and names the node.
	for i := 0; i < 5; i++ {
		if i > 0 {
			cache := t.TempDir()
			var err error
			if r, err = gradeOnce(ctx, kubelab, n.Kubeconfig, image, ns, cache); err != nil {
				t.Errorf("node-not-ready: %v", err)
				continue
			}
		}
		st, msg, hint := r.check("pods.running")
		if st == "pass" || !strings.Contains(msg, "is NotReady") {
			t.Errorf("node-not-ready: pods.running %s: %s", st, msg)
		} else if i == 0 {
			t.Logf("node-not-ready: pods.running %s: %s (hint: %s)", st, msg, hint)
			out, err := studentKubectl(ctx, n, ns, hintCommand(t, hint))
			if err != nil || !strings.Contains(out, "NotReady") {
				t.Errorf("node-not-ready: the hint's command should show the node NotReady: %v\n%s", err, out)
			} else {
				t.Logf("node-not-ready: `%s` shows %q", hintCommand(t, hint), grepLine(out, "NotReady"))
			}
		}
		time.Sleep(2 * time.Second)
	}
	resume()
	sc := &sweepScenario{name: ns}
	st, m, took := waitPass(ctx, kubelab, n, sc, image, "pods.running")
	if st != "pass" {
		t.Errorf("node-not-ready: the kubelet resumed, pods.running is %s: %s", st, m)
		return
	}
	t.Logf("node-not-ready: the kubelet resumed; pods.running pass after %s", took.Round(time.Second))
}
