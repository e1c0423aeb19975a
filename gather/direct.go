package gather

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/snapshot"
)

// Direct reads one student's own cluster and registry: what `kubelab check`,
// `serve`, `submit` and `lab selftest` grade. It satisfies
// pipeline.Gatherer. Options left zero take each gatherer's defaults; a
// plan's values (from the lab's check parameters) apply where the options
// leave them open.
type Direct struct {
	Kube      Kube
	ImageOpts ImageOptions
	// NoRun skips running the image (no Docker wanted).
	NoRun bool
	// RunOpts, when set, override the plan's run port and startup time.
	RunOpts *RunOptions
	AppOpts AppOptions
	// Requests, when set, counts the API requests made.
	Requests *atomic.Int64
	// Clock measures durations (default time.Now).
	Clock func() time.Time

	once   sync.Once
	client kubernetes.Interface
	err    *snapshot.GatherError
}

// Client returns the read-only client for Kube, built once.
func (d *Direct) Client() (kubernetes.Interface, *snapshot.GatherError) {
	d.once.Do(func() {
		switch {
		case d.Kube.Err != nil || d.Kube.Config == nil:
			detail := "no kubeconfig"
			if d.Kube.Err != nil {
				detail = d.Kube.Err.Error()
			}
			d.err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "load the kubeconfig", Detail: detail}
		default:
			cs, err := NewClient(d.Kube.Config, d.Requests, 15*time.Second)
			if err != nil {
				d.err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "build a client", Detail: err.Error()}
			}
			d.client = cs
		}
	})
	return d.client, d.err
}

// Cluster reads the cluster-wide state and, when needNS, namespace ns.
func (d *Direct) Cluster(ctx context.Context, ns string, needNS bool) (*snapshot.ClusterInfo, *snapshot.Namespace, map[snapshot.Source]time.Duration) {
	var names []string
	if needNS {
		names = []string{ns}
	}
	ci, nss, dur := d.Namespaces(ctx, names)
	return ci, nss[ns], dur
}

// Namespaces reads the cluster-wide state and then the objects of the given
// namespaces, one List per kind (cluster-wide when allowed): what a class
// run shares among the students of one cluster.
func (d *Direct) Namespaces(ctx context.Context, namespaces []string) (*snapshot.ClusterInfo, map[string]*snapshot.Namespace, map[snapshot.Source]time.Duration) {
	now := d.Clock
	if now == nil {
		now = time.Now
	}
	dur := map[snapshot.Source]time.Duration{}
	cs, gerr := d.Client()
	if gerr != nil {
		return &snapshot.ClusterInfo{Server: d.Kube.Server, Context: d.Kube.Context, Err: gerr}, nil, dur
	}
	t0 := now()
	ci := GatherCluster(ctx, cs, d.Kube.Server, d.Kube.Context)
	dur[snapshot.SrcCluster] = now().Sub(t0)
	if ci.Err != nil || len(namespaces) == 0 {
		return ci, nil, dur
	}
	t1 := now()
	nss := GatherNamespaces(ctx, cs, namespaces)
	dur[snapshot.SrcNamespace] = now().Sub(t1)
	return ci, nss, dur
}

// Image reads the image's registry metadata and the plan's files.
func (d *Direct) Image(ctx context.Context, ref string, plan *snapshot.Plan) *snapshot.ImageInfo {
	opt := d.ImageOpts
	if len(opt.Files) == 0 && plan != nil {
		opt.Files = plan.ImageFiles
	}
	return GatherImage(ctx, ref, opt)
}

// App reaches the app the way a browser would.
func (d *Direct) App(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, plan *snapshot.Plan) *snapshot.AppProbe {
	opt := d.AppOpts
	if opt.Path == "" && plan != nil {
		opt.Path = plan.AppPath
	}
	return ProbeApp(ctx, t, nodes, d.Kube.Config, opt)
}

// Run runs exactly the digest the image checks judged, even if the tag
// moves meanwhile.
func (d *Direct) Run(ctx context.Context, img *snapshot.ImageInfo, plan *snapshot.Plan) *snapshot.RunProbe {
	if d.NoRun {
		return &snapshot.RunProbe{SkipReason: "image run disabled (--no-run)", Excluded: true}
	}
	return ProbeRun(ctx, Pinned(img), RunOptionsFor(plan, d.RunOpts))
}

// RunOptionsFor is the plan's run port and startup time, unless override is
// set.
func RunOptionsFor(plan *snapshot.Plan, override *RunOptions) RunOptions {
	if override != nil {
		return *override
	}
	var o RunOptions
	if plan != nil {
		o.Port, o.StartupTimeout = plan.RunPort, plan.RunStartup
	}
	return o.withDefaults()
}

// Pinned returns the image's reference pinned to the digest that was read.
func Pinned(img *snapshot.ImageInfo) string {
	_, repo, err := snapshot.NormalizeImage(img.Name)
	if err != nil || img.Digest == "" {
		return img.Name
	}
	return repo + "@" + img.Digest
}

// CrashLogs reads the tail of the log of the target's containers that
// crashed not long ago (see CrashLogs); nil when the client cannot be built.
func (d *Direct) CrashLogs(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, now time.Time) map[string]string {
	cs, gerr := d.Client()
	if gerr != nil {
		return nil
	}
	return CrashLogs(ctx, cs, t, nodes, now)
}
