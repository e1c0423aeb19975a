// Package watch is kubelab's live feedback: it keeps one read-only watch
// (a client-go informer) per kind the lab's checks read, and grades the lab
// again through the one pipeline whenever something in the student's
// namespace changes. `kubelab check --watch` redraws its table from it and
// `kubelab serve` pushes each report to the open page.
//
// Load on the API server is bounded whatever the number of checks: one
// List+Watch per kind (deployments, pods, services, endpointslices, events,
// replicasets in the namespace, nodes cluster-wide), plus the server version
// and the kube-system pods read once at the start, and GET /version every
// HealthEvery (is the API server still there). Judging reads the
// informers' caches, never the server. The registry is asked at most every
// DigestEvery (a HEAD of the tag; the rest only when the digest changed) and
// the image is run again only for a new digest.
package watch

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Watcher grades one student's work again on every change.
type Watcher struct {
	Req pipeline.Request
	// Debounce gathers a burst of changes into one grading (default 200 ms).
	Debounce time.Duration
	// DigestEvery is how often the image tag is asked for its digest
	// (default 30 s).
	DigestEvery time.Duration
	// SyncTimeout bounds the wait for the first List of every kind
	// (default 15 s); a kind that could not be listed becomes an
	// environment error in the report, never a failed check.
	SyncTimeout time.Duration
	// HealthEvery is how often the API server is asked whether it still
	// answers (GET /version, default 5 s). While it does not, the report
	// says the cluster cannot be reached (not graded) instead of showing
	// the caches' last state as if it were live: the watches themselves
	// report nothing then (client-go retries a refused connection
	// quietly), and an API server that is back is graded again at once.
	HealthEvery time.Duration
}

// healthTimeout bounds one health probe: an API server that accepts the
// connection and never answers is as gone as one that refuses it.
const healthTimeout = 3 * time.Second

// kinds are the watched kinds, in the order the caches are read.
var kinds = []string{"deployments.apps", "pods", "services", "endpointslices.discovery.k8s.io", "events", "replicasets.apps", "nodes"}

// Run grades once when the caches are filled, then again after every change
// (debounced) and every DigestEvery, calling emit with each report. It
// returns nil when ctx ends.
func (w *Watcher) Run(ctx context.Context, emit func(*report.Report)) error {
	if w.Debounce <= 0 {
		w.Debounce = 200 * time.Millisecond
	}
	if w.DigestEvery <= 0 {
		w.DigestEvery = 30 * time.Second
	}
	if w.SyncTimeout <= 0 {
		w.SyncTimeout = 15 * time.Second
	}
	if w.HealthEvery <= 0 {
		w.HealthEvery = 5 * time.Second
	}
	req := w.Req
	direct := req.Gatherer()
	g := &cacheGatherer{direct: direct, every: w.DigestEvery, kube: req.Kube}
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if err := g.start(ctx, req, poke, w.SyncTimeout); err != nil {
		// No client at all (kubeconfig): grade once, the report says why.
		emit(w.grade(ctx, g))
		<-ctx.Done()
		return nil
	}
	emit(w.grade(ctx, g))
	tick := time.NewTicker(w.DigestEvery)
	defer tick.Stop()
	health := time.NewTicker(w.HealthEvery)
	defer health.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-health.C:
			// Graded again only when the API server went away or came back.
			if !g.probe(ctx) {
				continue
			}
		case <-tick.C:
		case <-changed:
			// Let the burst (a deployment brings a ReplicaSet, pods, events)
			// settle, then grade once.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w.Debounce):
			}
			select {
			case <-changed:
			default:
			}
		}
		emit(w.grade(ctx, g))
	}
}

// grade runs the pipeline on the caches: Collect with the cache gatherer,
// then Assemble, exactly as pipeline.Grade does for a single run.
func (w *Watcher) grade(ctx context.Context, g *cacheGatherer) *report.Report {
	timeout := w.Req.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	started := time.Now()
	job := w.Req.Resolved()
	snap, dur := pipeline.Collect(ctx, job, g, nil)
	return pipeline.Assemble(job, snap, dur, started, time.Now())
}

// cacheGatherer is a pipeline.Gatherer whose Cluster reads informer caches;
// the registry, the app probe and the container run go to gather.Direct,
// the image and run remembered by digest.
type cacheGatherer struct {
	direct *gather.Direct
	kube   gather.Kube
	every  time.Duration

	cs      kubernetes.Interface
	factory informers.SharedInformerFactory
	nodes   informers.SharedInformerFactory
	clientE *snapshot.GatherError

	mu sync.Mutex
	// base is the version and kube-system pods, read at the start and
	// again when the API server answers after it could not be read.
	base *snapshot.ClusterInfo
	// down is why the API server did not answer the last health probe.
	down     *snapshot.GatherError
	errs     map[string]*snapshot.GatherError // kind -> last watch error
	synced   map[string]cache.InformerSynced
	img      *snapshot.ImageInfo
	imgAt    time.Time
	run      *snapshot.RunProbe
	runFor   string
	imgInUse bool
}

func (g *cacheGatherer) start(ctx context.Context, req pipeline.Request, poke func(), syncTimeout time.Duration) error {
	g.errs = map[string]*snapshot.GatherError{}
	g.synced = map[string]cache.InformerSynced{}
	if req.Kube.Err != nil || req.Kube.Config == nil {
		_, g.clientE = g.direct.Client()
		return fmt.Errorf("no client")
	}
	// A watch is a long request: no per-request timeout on this client
	// (the lists of the one-shot grader keep theirs).
	cs, err := gather.NewClient(req.Kube.Config, req.Requests, 0)
	if err != nil {
		g.clientE = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "build a client", Detail: err.Error()}
		return err
	}
	g.cs = cs
	base := gather.GatherCluster(ctx, cs, req.Kube.Server, req.Kube.Context)
	g.mu.Lock()
	g.base = base
	g.mu.Unlock()
	ns := req.Kube.Namespace
	g.factory = informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
	g.nodes = informers.NewSharedInformerFactory(cs, 0)
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	add := func(kind string, inf cache.SharedIndexInformer) {
		what := "watch " + kind + " in namespace " + ns
		if kind == "nodes" {
			what = "watch nodes"
		}
		_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			g.mu.Lock()
			g.errs[kind] = watchError(err, what)
			g.mu.Unlock()
			poke()
		})
		_, _ = inf.AddEventHandler(handler)
		g.synced[kind] = inf.HasSynced
	}
	add("deployments.apps", g.factory.Apps().V1().Deployments().Informer())
	add("pods", g.factory.Core().V1().Pods().Informer())
	add("services", g.factory.Core().V1().Services().Informer())
	add("endpointslices.discovery.k8s.io", g.factory.Discovery().V1().EndpointSlices().Informer())
	add("events", g.factory.Core().V1().Events().Informer())
	add("replicasets.apps", g.factory.Apps().V1().ReplicaSets().Informer())
	add("nodes", g.nodes.Core().V1().Nodes().Informer())
	g.factory.Start(ctx.Done())
	g.nodes.Start(ctx.Done())
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	var all []cache.InformerSynced
	for _, k := range kinds {
		all = append(all, g.synced[k])
	}
	cache.WaitForCacheSync(sctx.Done(), all...)
	return nil
}

func watchError(err error, what string) *snapshot.GatherError {
	ge := &snapshot.GatherError{Kind: snapshot.ErrOther, What: what, Detail: err.Error()}
	switch {
	case apierrors.IsForbidden(err):
		ge.Kind = snapshot.ErrForbidden
	case apierrors.IsUnauthorized(err):
		ge.Kind = snapshot.ErrUnauthorized
	}
	return ge
}

// probe asks the API server whether it answers and says whether that
// changed since the last probe. When it answers again after the version or
// the kube-system pods could not be read, they are read again.
func (g *cacheGatherer) probe(ctx context.Context) (changed bool) {
	pctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	down := gather.Reachable(pctx, g.cs, g.kube.Server)
	g.mu.Lock()
	stale := down == nil && g.base != nil && g.base.Err != nil
	g.mu.Unlock()
	var base *snapshot.ClusterInfo
	if stale {
		base = gather.GatherCluster(pctx, g.cs, g.kube.Server, g.kube.Context)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	changed = (g.down == nil) != (down == nil)
	g.down = down
	if base != nil {
		g.base = base
		changed = true
	}
	return changed
}

// kindErr is the error to report for kind: none once its cache is filled.
func (g *cacheGatherer) kindErr(kind string) *snapshot.GatherError {
	if g.synced[kind]() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.errs[kind]; e != nil {
		return e
	}
	return &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: "watch " + kind, Detail: "the first list has not arrived yet"}
}

// Cluster reads the informers' caches (no request to the server).
func (g *cacheGatherer) Cluster(_ context.Context, ns string, needNS bool) (*snapshot.ClusterInfo, *snapshot.Namespace, map[snapshot.Source]time.Duration) {
	dur := map[snapshot.Source]time.Duration{}
	if g.cs == nil {
		return &snapshot.ClusterInfo{Server: g.kube.Server, Context: g.kube.Context, Err: g.clientE}, nil, dur
	}
	g.mu.Lock()
	ci := *g.base
	if g.down != nil {
		// The caches hold the last state seen; nothing says it is still so.
		ci = snapshot.ClusterInfo{Server: ci.Server, Context: ci.Context, Err: g.down}
	}
	g.mu.Unlock()
	if ci.Err != nil {
		return &ci, nil, dur
	}
	ci.Nodes, ci.NodesErr = nil, g.kindErr("nodes")
	if ci.NodesErr == nil {
		l, _ := g.nodes.Core().V1().Nodes().Lister().List(labels.Everything())
		ci.Nodes = values(l, func(n *corev1.Node) string { return n.Name })
	}
	if !needNS {
		return &ci, nil, dur
	}
	f := g.factory
	n := &snapshot.Namespace{Name: ns}
	if n.DeploymentsErr = g.kindErr("deployments.apps"); n.DeploymentsErr == nil {
		l, _ := f.Apps().V1().Deployments().Lister().List(labels.Everything())
		n.Deployments = values(l, func(d *appsv1.Deployment) string { return d.Name })
	}
	if n.PodsErr = g.kindErr("pods"); n.PodsErr == nil {
		l, _ := f.Core().V1().Pods().Lister().List(labels.Everything())
		n.Pods = values(l, func(p *corev1.Pod) string { return p.Name })
	}
	if n.ServicesErr = g.kindErr("services"); n.ServicesErr == nil {
		l, _ := f.Core().V1().Services().Lister().List(labels.Everything())
		n.Services = values(l, func(s *corev1.Service) string { return s.Name })
	}
	if n.EndpointSlicesErr = g.kindErr("endpointslices.discovery.k8s.io"); n.EndpointSlicesErr == nil {
		l, _ := f.Discovery().V1().EndpointSlices().Lister().List(labels.Everything())
		n.EndpointSlices = values(l, func(s *discoveryv1.EndpointSlice) string { return s.Name })
	}
	if n.EventsErr = g.kindErr("events"); n.EventsErr == nil {
		l, _ := f.Core().V1().Events().Lister().List(labels.Everything())
		n.Events = values(l, func(e *corev1.Event) string { return e.Name })
	}
	if n.ReplicaSetsErr = g.kindErr("replicasets.apps"); n.ReplicaSetsErr == nil {
		l, _ := f.Apps().V1().ReplicaSets().Lister().List(labels.Everything())
		n.ReplicaSets = values(l, func(r *appsv1.ReplicaSet) string { return r.Name })
	}
	return &ci, n, dur
}

// values copies cached objects (never modified: the cache shares them) in
// name order, as a List returns them.
func values[T any](l []*T, name func(*T) string) []T {
	sort.Slice(l, func(i, j int) bool { return name(l[i]) < name(l[j]) })
	out := make([]T, 0, len(l))
	for _, p := range l {
		out = append(out, *p)
	}
	return out
}

// Image asks the registry at most every g.every; GatherImage itself HEADs
// the tag and reads the rest only for a digest it has not cached.
func (g *cacheGatherer) Image(ctx context.Context, ref string, plan *snapshot.Plan) *snapshot.ImageInfo {
	g.mu.Lock()
	if g.img != nil && time.Since(g.imgAt) < g.every {
		img := g.img
		g.mu.Unlock()
		return img
	}
	g.mu.Unlock()
	img := g.direct.Image(ctx, ref, plan)
	g.mu.Lock()
	g.img, g.imgAt = img, time.Now()
	g.mu.Unlock()
	return img
}

// App probes the app as a browser reaches it (each grading: it is what
// changed when the student fixed the service).
func (g *cacheGatherer) App(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, plan *snapshot.Plan) *snapshot.AppProbe {
	return g.direct.App(ctx, t, nodes, plan)
}

// CrashLogs reads a crashed container's log directly (each grading: the
// crash it quotes is the latest).
func (g *cacheGatherer) CrashLogs(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, now time.Time) map[string]string {
	return g.direct.CrashLogs(ctx, t, nodes, now)
}

// Run runs the image once per digest.
func (g *cacheGatherer) Run(ctx context.Context, img *snapshot.ImageInfo, plan *snapshot.Plan) *snapshot.RunProbe {
	g.mu.Lock()
	if g.run != nil && g.runFor == img.Digest {
		r := g.run
		g.mu.Unlock()
		return r
	}
	g.mu.Unlock()
	r := g.direct.Run(ctx, img, plan)
	g.mu.Lock()
	g.run, g.runFor = r, img.Digest
	g.mu.Unlock()
	return r
}
