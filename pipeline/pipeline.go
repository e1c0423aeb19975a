// Package pipeline is kubelab's one grading pipeline. Every command that
// grades (check, serve, submit, grade, grade --submissions, lab selftest)
// goes through it:
//
//	job -> plan (checks.PlanFor: the sources the checks read, what their
//	       parameters change)
//	    -> gather (a Gatherer: the only I/O) -> snapshot (plain data)
//	    -> judge (checks.Evaluate: pure) -> assemble (report.Report)
//
// Rendering a report is package report's job. docs/architecture.md draws
// the picture and gives each layer's rule.
package pipeline

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Job is one student's grading run: the lab, who, and what to look for.
type Job struct {
	Lab     *labs.Lab
	Lang    string
	Student report.Student
	// Image is the reference the student handed in ("user/repo[:tag]").
	Image string
	// Deployment names the student's deployment when discovery by image
	// is not wanted.
	Deployment string
	// Server, Context and Namespace say where the work is, for the report
	// header and for gathering the namespace.
	Server, Context, Namespace string
	// Steps limits the report to these steps (nil: all).
	Steps map[string]bool
}

// Gatherer reads the world for one job; each method is one source of the
// snapshot. The direct one (gather.Direct) reads a student's own cluster and
// registry; a class run shares one cluster read and one image read per
// digest among its students.
type Gatherer interface {
	// Cluster reads the cluster-wide state and, when needNS, the objects of
	// namespace ns. It returns how long each source took.
	Cluster(ctx context.Context, ns string, needNS bool) (*snapshot.ClusterInfo, *snapshot.Namespace, map[snapshot.Source]time.Duration)
	Image(ctx context.Context, ref string, plan *snapshot.Plan) *snapshot.ImageInfo
	App(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, plan *snapshot.Plan) *snapshot.AppProbe
	// Run runs the image the image checks judged (img has a digest).
	Run(ctx context.Context, img *snapshot.ImageInfo, plan *snapshot.Plan) *snapshot.RunProbe
}

// CrashLogGatherer is a Gatherer that can also read the end of the log of
// a container that crashed not long ago (Target.CrashLogs). It is optional:
// the log is evidence quoted in a message, never a reason for a verdict.
type CrashLogGatherer interface {
	CrashLogs(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, now time.Time) map[string]string
}

// Plan says what job's checks need gathered.
func Plan(job Job) *snapshot.Plan { return checks.PlanFor(needed(job.Lab, job.Steps)) }

// Collect gathers what the job's checks need into a snapshot: the registry
// and the cluster concurrently, then discovery of the student's objects,
// then the probes that depend on them. clock measures the durations (nil:
// the wall clock; class runs pass their own so reports are reproducible).
func Collect(ctx context.Context, job Job, g Gatherer, clock func() time.Time) (*snapshot.Snapshot, map[snapshot.Source]time.Duration) {
	if clock == nil {
		clock = time.Now
	}
	plan := Plan(job)
	s := &snapshot.Snapshot{}
	dur := map[snapshot.Source]time.Duration{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	gatherImage := func(ref string) {
		defer wg.Done()
		t0 := clock()
		img := g.Image(ctx, ref, plan)
		mu.Lock()
		s.Image, dur[snapshot.SrcImage] = img, clock().Sub(t0)
		mu.Unlock()
	}
	needImage := plan.Needs(snapshot.SrcImage) || plan.Needs(snapshot.SrcRun)
	needNS := plan.Needs(snapshot.SrcNamespace) || plan.Needs(snapshot.SrcApp)
	// A repository handed in without a tag means the tag the student's
	// deployment runs (checks.Discover): the image is read after discovery
	// then, else alongside the cluster.
	imageAfterDiscovery := needImage && needNS && !snapshot.HasTagOrDigest(job.Image)
	if needImage && !imageAfterDiscovery {
		wg.Add(1)
		go gatherImage(job.Image)
	}
	if plan.Needs(snapshot.SrcCluster) || needNS {
		cluster, ns, d := g.Cluster(ctx, job.Namespace, needNS)
		s.Cluster = cluster
		mu.Lock()
		for k, v := range d {
			dur[k] += v
		}
		mu.Unlock()
		if cluster != nil && cluster.Err == nil && needNS {
			if ns == nil {
				ns = &snapshot.Namespace{Name: job.Namespace}
			}
			s.NS = ns
			s.Target = checks.Discover(ns, job.Image, job.Deployment)
		}
	}
	if imageAfterDiscovery {
		ref := job.Image
		if s.Target != nil && s.Target.ImageFrom != "" {
			ref = s.Target.Image
		}
		wg.Add(1)
		gatherImage(ref)
	}
	wg.Wait()
	if lg, ok := g.(CrashLogGatherer); ok && s.Target != nil && len(s.Target.Pods) > 0 && plan.Needs(snapshot.SrcNamespace) {
		s.Target.CrashLogs = lg.CrashLogs(ctx, s.Target, s.Cluster.Nodes, clock())
	}
	if plan.Needs(snapshot.SrcApp) && s.Target != nil && s.Target.Service != nil {
		t0 := clock()
		s.App = g.App(ctx, s.Target, s.Cluster.Nodes, plan)
		dur[snapshot.SrcApp] = clock().Sub(t0)
	}
	if plan.Needs(snapshot.SrcRun) {
		t0 := clock()
		if s.Image == nil || s.Image.Digest == "" {
			s.Run = &snapshot.RunProbe{SkipReason: "the image could not be found on the registry"}
		} else {
			s.Run = g.Run(ctx, s.Image, plan)
		}
		dur[snapshot.SrcRun] = clock().Sub(t0)
	}
	s.Now = clock().UTC()
	return s, dur
}

// Assemble judges the snapshot and makes the job's report: header, checks in
// step order, score. started and finished bound the run.
func Assemble(job Job, s *snapshot.Snapshot, dur map[snapshot.Source]time.Duration, started, finished time.Time) *report.Report {
	r := NewReport(job.Lab, job.Lang)
	r.Student = job.Student
	r.StartedAt = started.UTC()
	r.Target = TargetOf(job, s)
	r.Checks = checks.Evaluate(job.Lab, s, job.Lang, job.Steps, dur)
	r.FinishedAt = finished.UTC()
	report.Summarize(r)
	return r
}

// NewReport starts a report for lab: tool, lab and steps filled in.
func NewReport(lab *labs.Lab, lang string) *report.Report {
	r := &report.Report{
		Schema:      report.Schema,
		Tool:        report.Tool{Name: "kubelab", Version: report.Version},
		Lab:         report.Lab{ID: lab.ID, Version: lab.Version, Title: lab.Title.Get(lang)},
		Lang:        lang,
		PassPercent: lab.PassPercent,
	}
	for _, st := range lab.Steps {
		if len(st.Checks) > 0 {
			r.Steps = append(r.Steps, report.Step{ID: st.ID, Title: st.Title.Get(lang)})
		}
	}
	return r
}

// TargetOf describes what was graded, for the report header.
func TargetOf(job Job, s *snapshot.Snapshot) report.Target {
	t := report.Target{Image: job.Image, Server: job.Server, Context: job.Context, Namespace: job.Namespace}
	if s.Target != nil && s.Target.ImageFrom != "" {
		t.Image = s.Target.Image // the tag the deployment runs, which was judged
	}
	if s.Image != nil {
		t.Digest = s.Image.Digest
		if s.Image.Name != "" {
			t.Image = s.Image.Name
		}
	}
	if s.Target != nil {
		if s.Target.Deployment != nil {
			t.Deployment = s.Target.Deployment.Name
		}
		if s.Target.Service != nil {
			t.Service = s.Target.Service.Name
		}
	}
	return t
}

// needed returns the checks to judge: those of the selected steps and,
// transitively, the checks they need.
func needed(lab *labs.Lab, steps map[string]bool) []*labs.CheckRef {
	all := lab.Checks()
	if steps == nil {
		return all
	}
	byID := map[string]*labs.CheckRef{}
	for _, c := range all {
		byID[c.ID] = c
	}
	want := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if want[id] {
			return
		}
		want[id] = true
		if c := byID[id]; c != nil {
			for _, n := range c.Needs {
				add(n)
			}
		}
	}
	for _, st := range lab.Steps {
		if steps[st.ID] {
			for _, c := range st.Checks {
				add(c.ID)
			}
		}
	}
	var out []*labs.CheckRef
	for _, c := range all {
		if want[c.ID] {
			out = append(out, c)
		}
	}
	return out
}
