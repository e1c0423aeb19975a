package grade

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// The class's shared gatherer: one cluster read per kubeconfig and context, one registry read per image, and each student graded with it.

// clusterGroup is the students reached through one kubeconfig and context:
// their cluster is gathered once, their namespaces with one List per kind.
type clusterGroup struct {
	kube gather.Kube
	// namespaces has one entry per student, sorted in the API server's
	// key order; repeats are students sharing a namespace.
	namespaces []string
	f          *future[*groupSnap]
	once       sync.Once
}

// groupSnap is a group's shared read: the cluster-wide state, and its
// namespaces either read whole (ns: one student, or a few) or streamed page
// by page to the students as they are graded (a class).
type groupSnap struct {
	cluster *snapshot.ClusterInfo
	ns      map[string]*snapshot.Namespace
	stream  *gather.NamespaceStream
	dur     map[snapshot.Source]time.Duration
}

func groupKey(kubeconfig, context string) string { return kubeconfig + "\x00" + context }

func (b *batch) studentGroup(s Student) string {
	kc, cx := s.Kubeconfig, s.Context
	if kc == "" {
		kc = b.opt.Kubeconfig
	}
	if cx == "" && s.Kubeconfig == "" {
		cx = b.opt.Context
	}
	return groupKey(kc, cx)
}

func (b *batch) makeGroups(ctx context.Context, students []Student) map[string]*clusterGroup {
	groups := map[string]*clusterGroup{}
	kubes := map[string]gather.Kube{}
	for _, s := range students {
		k := b.studentGroup(s)
		g := groups[k]
		if g == nil {
			kc, cx, _ := strings.Cut(k, "\x00")
			kube, ok := kubes[k]
			if !ok {
				kube = gather.LoadKube(kc, cx, "")
				kubes[k] = kube
			}
			g = &clusterGroup{kube: kube, f: newFuture[*groupSnap]()}
			groups[k] = g
		}
		g.namespaces = append(g.namespaces, b.namespaceOf(s, g))
	}
	for _, g := range groups {
		sort.Slice(g.namespaces, func(i, j int) bool { return gather.NamespaceBefore(g.namespaces[i], g.namespaces[j]) })
	}
	return groups
}

// namespaceOf is the roster's namespace, else the context's for a student
// with a cluster of their own.
func (b *batch) namespaceOf(s Student, g *clusterGroup) string {
	if s.Namespace != "" {
		return s.Namespace
	}
	if s.Own() {
		return g.kube.Namespace
	}
	return DefaultNamespace("", s.ID)
}

// snapshot starts the group's gather on first use and waits for it.
func (g *clusterGroup) snapshot(ctx, runCtx context.Context, timeout time.Duration, requests *atomic.Int64, needNS bool, now func() time.Time) (*groupSnap, bool) {
	g.once.Do(func() {
		go func() {
			gctx, cancel := context.WithTimeout(runCtx, timeout)
			defer cancel()
			g.f.set(gatherGroup(gctx, runCtx, g.kube, g.namespaces, requests, needNS, now))
		}()
	})
	return g.f.wait(ctx)
}

// streamFrom is the number of namespaces from which a group's are streamed
// (paged Lists handed out namespace by namespace) instead of read whole: a
// few namespaces are cheaper with one List each.
const streamFrom = 2

func gatherGroup(ctx, runCtx context.Context, kube gather.Kube, namespaces []string, requests *atomic.Int64, needNS bool, now func() time.Time) *groupSnap {
	d := &gather.Direct{Kube: kube, Requests: requests, Clock: now}
	gs := &groupSnap{}
	distinct := countDistinct(namespaces)
	if !needNS || distinct < streamFrom {
		if !needNS {
			namespaces = nil
		}
		gs.cluster, gs.ns, gs.dur = d.Namespaces(ctx, namespaces)
		return gs
	}
	gs.cluster, _, gs.dur = d.Namespaces(ctx, nil)
	if gs.cluster.Err == nil {
		cs, _ := d.Client()
		// The stream lives as long as the run: its pages are read while
		// the students are graded.
		gs.stream = gather.StreamNamespaces(runCtx, cs, namespaces, gather.PageSize)
	}
	return gs
}

func countDistinct(sorted []string) int {
	n := 0
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			n++
		}
	}
	return n
}

// gradeGuarded grades one student within the per-student timeout. A panic
// or a hang becomes an error row; nil means the run was interrupted before
// the student was done (nothing is written for them).
func (b *batch) gradeGuarded(ctx context.Context, s Student) *report.Report {
	sctx, cancel := context.WithTimeout(ctx, b.opt.Timeout)
	defer cancel()
	type outcome struct {
		r   *report.Report
		msg string
	}
	ch := make(chan outcome, 1)
	started := b.opt.Clock().UTC()
	go func() {
		defer func() {
			if e := recover(); e != nil {
				ch <- outcome{msg: fmt.Sprintf("internal error: %v\n%s", e, firstLines(string(debug.Stack()), 12))}
			}
		}()
		ch <- outcome{r: b.grade(sctx, ctx, s)}
	}()
	var o outcome
	select {
	case o = <-ch:
	case <-sctx.Done():
		// Give the grading a moment to notice; then leave it behind.
		grace := time.NewTimer(b.opt.grace)
		select {
		case o = <-ch:
		case <-grace.C:
			o = outcome{msg: fmt.Sprintf("grading did not finish within %s (--timeout-per-student)", b.opt.Timeout)}
		}
		grace.Stop()
	}
	if ctx.Err() != nil {
		return nil
	}
	if o.r == nil {
		r := ErrorReport(b.opt.Lab, s.LangOr(b.opt.Lang), s, b.namespaceOf(s, b.groups[b.studentGroup(s)]), o.msg, started)
		r.FinishedAt = b.opt.Clock().UTC()
		return r
	}
	return o.r
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// grade gathers what is the student's own (the app probe) from the shared
// snapshots and judges every check.
func (b *batch) grade(ctx, runCtx context.Context, s Student) *report.Report {
	if b.opt.beforeStudent != nil {
		b.opt.beforeStudent(ctx, s)
	}
	now := b.opt.Clock
	started := now()
	g := b.groups[b.studentGroup(s)]
	job := pipeline.Job{Lab: b.opt.Lab, Lang: s.LangOr(b.opt.Lang), Student: report.Student{ID: s.ID, Name: s.Name},
		Image: s.Image, Deployment: s.Deployment, Server: g.kube.Server, Context: g.kube.Context, Namespace: b.namespaceOf(s, g)}
	snap, dur := pipeline.Collect(ctx, job, &classGatherer{b: b, g: g, runCtx: runCtx}, now)
	r := pipeline.Assemble(job, snap, dur, started, now())
	if !b.opt.Deadline.IsZero() {
		applyLate(r, snap, b.opt.Deadline, b.opt.LatePolicy, s.LangOr(b.opt.Lang))
		r.FinishedAt = now().UTC()
	}
	return r
}

// classGatherer is one student's view of the class run's shared reads: the
// cluster group's one gather, one registry read per image, one container
// run per digest.
type classGatherer struct {
	b      *batch
	g      *clusterGroup
	runCtx context.Context
}

func (c *classGatherer) Cluster(ctx context.Context, ns string, needNS bool) (*snapshot.ClusterInfo, *snapshot.Namespace, map[snapshot.Source]time.Duration) {
	gs, ok := c.g.snapshot(ctx, c.runCtx, c.b.opt.Timeout, c.b.opt.Requests, needNS, c.b.opt.Clock)
	if !ok {
		return &snapshot.ClusterInfo{Server: c.g.kube.Server, Context: c.g.kube.Context, Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout,
			What: "reach the API server at " + c.g.kube.Server, Detail: "the student's time ran out waiting for the cluster"}}, nil, nil
	}
	if c.b.fresh.Load() {
		// Graded again to see it settle: this student's namespace as it
		// is now, and the nodes with it.
		d := &gather.Direct{Kube: c.g.kube, Requests: c.b.opt.Requests, Clock: c.b.opt.Clock}
		var want []string
		if needNS {
			want = []string{ns}
		}
		cluster, nss, dur := d.Namespaces(ctx, want)
		return cluster, nss[ns], dur
	}
	if gs.stream == nil {
		return gs.cluster, gs.ns[ns], gs.dur
	}
	t0 := c.b.opt.Clock()
	n := gs.stream.Get(ctx, ns)
	dur := map[snapshot.Source]time.Duration{snapshot.SrcNamespace: c.b.opt.Clock().Sub(t0)}
	for k, v := range gs.dur {
		dur[k] += v
	}
	return gs.cluster, n, dur
}

func (c *classGatherer) Image(ctx context.Context, ref string, plan *snapshot.Plan) *snapshot.ImageInfo {
	files := c.b.opt.ImageOpts.Files
	if len(files) == 0 {
		files = plan.ImageFiles
	}
	img, _ := c.b.images.get(ctx, ref, files)
	return img
}

func (c *classGatherer) App(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, plan *snapshot.Plan) *snapshot.AppProbe {
	app := c.b.opt.App
	if app.Path == "" {
		app.Path = plan.AppPath
	}
	return gather.ProbeApp(ctx, t, nodes, c.g.kube.Config, app)
}

func (c *classGatherer) Run(ctx context.Context, img *snapshot.ImageInfo, _ *snapshot.Plan) *snapshot.RunProbe {
	if !c.b.opt.RunImages {
		return &snapshot.RunProbe{SkipReason: "image runs are off for batch grading (kubelab grade --run-images turns them on)", Excluded: true}
	}
	return c.b.runs.get(ctx, img)
}
