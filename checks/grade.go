package checks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// Version is kubelab's version, set by the build (-ldflags -X).
var Version = "dev"

// Request is one student's grading run.
type Request struct {
	Lab     *labs.Lab
	Lang    string
	Student report.Student
	// Image is the reference the student handed in ("user/repo[:tag]").
	Image      string
	Deployment string
	Kube       Kube
	ImageOpts  ImageOptions
	// NoRun skips image.runs (no Docker wanted).
	NoRun   bool
	RunOpts *RunOptions
	App     AppOptions
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

// Grade gathers what the lab's checks need, judges them and returns the
// report. It never writes to the cluster. Problems of the environment become
// error results; Grade itself does not fail.
func Grade(ctx context.Context, req Request) *report.Report {
	if req.Timeout == 0 {
		req.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	started := time.Now().UTC()
	snap, durations := Gather(ctx, req)
	r := NewReport(req.Lab, req.Lang)
	r.Student = req.Student
	r.StartedAt = started
	r.Target = TargetOf(req, snap)
	r.Checks = Evaluate(req.Lab, snap, req.Lang, req.Steps, durations)
	if req.Fingerprint {
		r.Fingerprint = fingerprintOf(ctx, req, snap)
	}
	r.FinishedAt = time.Now().UTC()
	report.Summarize(r)
	return r
}

// NewReport starts a report for lab: tool, lab and steps filled in.
func NewReport(lab *labs.Lab, lang string) *report.Report {
	r := &report.Report{
		Schema:      report.Schema,
		Tool:        report.Tool{Name: "kubelab", Version: Version},
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
func TargetOf(req Request, s *Snapshot) report.Target {
	t := report.Target{Image: req.Image, Server: req.Kube.Server, Context: req.Kube.Context, Namespace: req.Kube.Namespace}
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

// needed returns the checks to judge (those of the selected steps and,
// transitively, the checks they need).
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

// Gather reads everything the request's checks need into a snapshot: the
// cluster and the registry concurrently, then the probes that depend on them.
func Gather(ctx context.Context, req Request) (*Snapshot, map[Source]time.Duration) {
	refs := needed(req.Lab, req.Steps)
	src := Sources(refs)
	s := &Snapshot{Now: time.Now()} // judges take the time from here
	var mu sync.Mutex
	dur := map[Source]time.Duration{}
	took := func(k Source, since time.Time) {
		mu.Lock()
		dur[k] += time.Since(since)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	if src[SrcImage] || src[SrcRun] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			opt := req.ImageOpts
			for _, r := range refs {
				if r.ID == "image.files" {
					if wd, ok := r.Params["workdir"].(string); ok && len(opt.Files) == 0 {
						opt.Files = ImageFilesFor(wd)
					}
				}
			}
			s.Image = GatherImage(ctx, req.Image, opt)
			took(SrcImage, t0)
		}()
	}
	k8s := src[SrcCluster] || src[SrcNamespace] || src[SrcApp]
	if k8s {
		t0 := time.Now()
		if req.Kube.Err != nil || req.Kube.Config == nil {
			detail := "no kubeconfig"
			if req.Kube.Err != nil {
				detail = req.Kube.Err.Error()
			}
			s.Cluster = &ClusterInfo{Context: req.Kube.Context, Err: &GatherError{Kind: ErrConfig, What: "load the kubeconfig", Detail: detail}}
		} else if cs, err := NewClient(req.Kube.Config, req.Requests, 15*time.Second); err != nil {
			s.Cluster = &ClusterInfo{Server: req.Kube.Server, Context: req.Kube.Context, Err: &GatherError{Kind: ErrConfig, What: "build a client", Detail: err.Error()}}
		} else {
			s.Cluster = GatherCluster(ctx, cs, req.Kube.Server, req.Kube.Context)
			took(SrcCluster, t0)
			if s.Cluster.Err == nil && (src[SrcNamespace] || src[SrcApp]) {
				t1 := time.Now()
				ns := req.Kube.Namespace
				s.NS = GatherNamespaces(ctx, cs, []string{ns})[ns]
				s.Target = Discover(s.NS, req.Image, req.Deployment)
				took(SrcNamespace, t1)
			}
		}
	}
	wg.Wait()
	if src[SrcApp] && s.Target != nil && s.Target.Service != nil {
		t0 := time.Now()
		app := req.App
		for _, r := range refs {
			if r.ID == "app.responds" {
				if p, ok := r.Params["path"].(string); ok && app.Path == "" {
					app.Path = p
				}
			}
		}
		s.App = ProbeApp(ctx, s.Target, s.Cluster.Nodes, req.Kube.Config, app)
		took(SrcApp, t0)
	}
	if src[SrcRun] {
		t0 := time.Now()
		switch {
		case req.NoRun:
			s.Run = &RunProbe{SkipReason: "image run disabled (--no-run)"}
		case s.Image != nil && s.Image.Digest != "":
			opt := RunOptions{}
			for _, r := range refs {
				if r.ID == "image.runs" {
					opt = RunOptionsFromParams(withDefaults(catalog[r.ID], r.Params))
				}
			}
			if req.RunOpts != nil {
				opt = *req.RunOpts
			}
			// Run exactly the digest the image checks judged, even if the
			// tag moves meanwhile.
			s.Run = ProbeRun(ctx, pinned(s.Image), opt)
		default:
			s.Run = &RunProbe{SkipReason: "the image could not be found on the registry"}
		}
		took(SrcRun, t0)
	}
	return s, dur
}

// pinned returns the image's reference pinned to the digest that was read.
func pinned(img *ImageInfo) string {
	_, repo, err := NormalizeImage(img.Name)
	if err != nil || img.Digest == "" {
		return img.Name
	}
	return repo + "@" + img.Digest
}
