package watch

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/snapshot"
)

// TestProbeReportsAPIServerGone: while GET /version fails, the watch's
// cluster read says the cluster cannot be reached (an environment error:
// not graded), not the caches' last state; each change of reachability
// (and only a change) asks for a new grade; once the server answers again
// the version is read again if it was never read.
func TestProbeReportsAPIServerGone(t *testing.T) {
	cs := fake.NewSimpleClientset()
	var down atomic.Bool
	cs.PrependReactor("get", "version", func(k8stesting.Action) (bool, runtime.Object, error) {
		if down.Load() {
			return true, nil, &netErr{}
		}
		return false, nil, nil
	})
	g := &cacheGatherer{cs: cs, kube: gather.Kube{Server: "https://127.0.0.1:6443", Context: "minikube"},
		base: &snapshot.ClusterInfo{Server: "https://127.0.0.1:6443", Context: "minikube", Version: "v1.36.3"}}
	ctx := context.Background()
	if g.probe(ctx) {
		t.Errorf("the server answers as before: no change")
	}
	down.Store(true)
	if !g.probe(ctx) {
		t.Errorf("the server went away: a change")
	}
	if g.probe(ctx) {
		t.Errorf("still away: no change")
	}
	ci, ns, _ := g.Cluster(ctx, "drill", true)
	if ci.Err == nil || ci.Err.Kind != snapshot.ErrUnreachable || ns != nil {
		t.Fatalf("while the server is away: Err %+v, namespace %v; want unreachable, no namespace", ci.Err, ns)
	}
	if ci.Server != "https://127.0.0.1:6443" || ci.Context != "minikube" {
		t.Errorf("the report should still name the server and context: %+v", ci)
	}
	// Started while the server was away: the version is read on return.
	g.base = &snapshot.ClusterInfo{Server: ci.Server, Err: ci.Err}
	down.Store(false)
	if !g.probe(ctx) {
		t.Errorf("the server is back: a change")
	}
	if g.down != nil || g.base.Err != nil || g.base.Version == "" {
		t.Errorf("back: down %v, base %+v; want the version read again", g.down, g.base)
	}
}

// netErr is a refused connection as the client sees it.
type netErr struct{}

func (*netErr) Error() string { return "dial tcp 127.0.0.1:6443: connect: connection refused" }
func (*netErr) Unwrap() error { return syscall.ECONNREFUSED }
