package pipeline

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Request is one student's grading run on their own cluster and registry.
type Request struct {
	Lab     *labs.Lab
	Lang    string
	Student report.Student
	// Image is the reference the student handed in ("user/repo[:tag]").
	Image      string
	Deployment string
	Kube       gather.Kube
	ImageOpts  gather.ImageOptions
	// NoRun skips image.runs (no Docker wanted).
	NoRun   bool
	RunOpts *gather.RunOptions
	App     gather.AppOptions
	// Steps limits the report to these steps (nil: all).
	Steps map[string]bool
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

// Job is the request's job.
func (req Request) Job() Job {
	return Job{Lab: req.Lab, Lang: req.Lang, Student: req.Student, Image: req.Image, Deployment: req.Deployment,
		Server: req.Kube.Server, Context: req.Kube.Context, Namespace: req.Kube.Namespace, Steps: req.Steps}
}

// Gatherer reads the request's cluster and registry directly.
func (req Request) Gatherer() *gather.Direct {
	return &gather.Direct{Kube: req.Kube, ImageOpts: req.ImageOpts, NoRun: req.NoRun, RunOpts: req.RunOpts, AppOpts: req.App, Requests: req.Requests}
}

// Gather runs the gathering half of the pipeline for req.
func Gather(ctx context.Context, req Request) (*snapshot.Snapshot, map[snapshot.Source]time.Duration) {
	return Collect(ctx, req.Job(), req.Gatherer(), nil)
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
	r := Assemble(req.Job(), snap, durations, started, time.Now())
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
