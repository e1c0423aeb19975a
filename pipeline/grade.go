package pipeline

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Request is one student's grading run on their own cluster and registry:
// the Job (what is graded, for whom) and how to reach the student's world.
// The Job's Server, Context and Namespace are left empty: Kube says where
// the work is, and Resolved fills them in from it.
type Request struct {
	Job
	Kube      gather.Kube
	ImageOpts gather.ImageOptions
	// NoRun skips image.runs (no Docker wanted).
	NoRun   bool
	RunOpts *gather.RunOptions
	App     gather.AppOptions
	// Timeout is the whole run's deadline (default 2 minutes); every network
	// step also has its own timeout.
	Timeout time.Duration
	// Requests, when set, counts the API requests made.
	Requests *atomic.Int64
	// Fingerprint records where the report came from (report.Fingerprint:
	// the cluster's CA and kube-system UID, one more GET; the image digest),
	// as signing wants.
	Fingerprint bool
}

// Resolved is the request's job with the server, context and namespace of
// its kubeconfig (Kube), as gathering and the report header need them.
// SettleStep is the wait between two gradings of a cluster caught
// mid-change (report.Result.Settling), for kubelab grade and kubelab
// submit alike. On a real node an evicted pod's replacement was Ready about
// 3 s after the eviction and routed about 2 s after that (issue 28's fault
// drills, docs/real-node.md): one or two steps see it through.
const SettleStep = 5 * time.Second

func (req Request) Resolved() Job {
	job := req.Job
	job.Server, job.Context, job.Namespace = req.Kube.Server, req.Kube.Context, req.Kube.Namespace
	return job
}

// Gatherer reads the request's cluster and registry directly.
func (req Request) Gatherer() *gather.Direct {
	return &gather.Direct{Kube: req.Kube, ImageOpts: req.ImageOpts, NoRun: req.NoRun, RunOpts: req.RunOpts, AppOpts: req.App, Requests: req.Requests}
}

// Gather runs the gathering half of the pipeline for req.
func Gather(ctx context.Context, req Request) (*snapshot.Snapshot, map[snapshot.Source]time.Duration) {
	return Collect(ctx, req.Resolved(), req.Gatherer(), nil)
}

// Grade gathers what the lab's checks need, judges them and returns the
// report. It never writes to the cluster. Problems of the environment become
// error results; Grade itself does not fail.
func Grade(ctx context.Context, req Request) *report.Report {
	if req.Timeout == 0 {
		req.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	started := time.Now()
	snap, durations := Gather(ctx, req)
	r := Assemble(req.Resolved(), snap, durations, started, time.Now())
	if req.Fingerprint {
		r.Fingerprint = Fingerprint(ctx, req, snap)
	}
	return r
}

// Fingerprint says where a report came from: the image digest gathered and
// the cluster's identity (one more GET) when the cluster answered.
func Fingerprint(ctx context.Context, req Request, s *snapshot.Snapshot) *report.Fingerprint {
	fp := &report.Fingerprint{}
	if s.Image != nil {
		fp.ImageDigest = s.Image.Digest
	}
	if req.Kube.Config != nil && s.Cluster != nil && s.Cluster.Err == nil {
		if c, err := gather.ClusterFingerprint(ctx, req.Kube.Config, req.Requests); err == nil {
			fp.Cluster = c
		}
	}
	return fp
}
