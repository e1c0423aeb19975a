// Package grade grades a whole class: it reads a roster, gathers each
// shared cluster once for all its students (one List per kind) and each
// distinct image once, judges every student from those snapshots
// concurrently, and writes per-student reports as they finish plus the
// class's aggregate files (index.html, grades.csv, results.json).
//
// The aggregate files are a function of the per-student reports alone,
// sorted by student id, so an interrupted run finished with Resume, a run
// split in shards and merged, and an uninterrupted run write the same bytes.
package grade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Options configure a batch.
type Options struct {
	Lab  *labs.Lab
	Lang string
	// Students is the roster (see ParseRoster).
	Students []Student
	// Out is the output directory.
	Out string
	// Jobs is how many students are graded at once (default 4).
	Jobs int
	// Timeout bounds each student (default 2 minutes); a shared gather has
	// the same bound of its own.
	Timeout time.Duration
	// Kubeconfig and Context reach the shared cluster (and are the defaults
	// of a student row that names only one of them).
	Kubeconfig, Context string
	// Deadline, when set, flags work done after it; LatePolicy prices it.
	Deadline   time.Time
	LatePolicy LatePolicy
	// Resume grades only the students without a result in Out.
	// RetryErrors also regrades those whose result has an error check or
	// points not graded (report.NeedsRegrade).
	Resume, RetryErrors bool
	// Force allows grading into an Out that already holds results without
	// Resume (they are replaced).
	Force bool
	// Shard grades one slice of the roster.
	Shard Shard
	// ImageOpts are the registry options (cache, credentials, insecure).
	ImageOpts gather.ImageOptions
	// RegistryInterval spaces registry requests (0: no spacing);
	// MaxRetryWait is the longest Retry-After honoured (default 2 minutes).
	RegistryInterval time.Duration
	MaxRetryWait     time.Duration
	// Settle is how long to wait for students whose result caught their
	// cluster mid-change (a pod still starting, a replacement not yet
	// routed: report.Result.Settling) to settle: they are graded again
	// every few seconds, their namespace read afresh, until their result
	// is settled or Settle has passed. 0 grades each student once.
	Settle time.Duration
	// RunImages runs each distinct image (image.runs); off by default.
	RunImages bool
	RunOpts   *gather.RunOptions
	// App are the options of the app.responds probe.
	App gather.AppOptions
	// StudentHTML renders a student's HTML report; nil writes none and the
	// dashboard links to the JSON reports.
	StudentHTML func(io.Writer, *report.Report) error
	// Progress hears about each finished student (may be nil).
	Progress Progress
	// Requests counts the API requests made (may be nil).
	Requests *atomic.Int64

	// Clock gives the times written in the reports (default time.Now);
	// tests fix it to compare whole runs byte for byte.
	Clock func() time.Time

	// beforeStudent runs at the start of each student's grading (tests).
	beforeStudent func(ctx context.Context, s Student)
	// probeRun replaces gather.ProbeRun (tests).
	probeRun func(ctx context.Context, ref string, opt gather.RunOptions) *snapshot.RunProbe
	// grace is how long a student past its timeout may take to return
	// before it is left behind as hung (default 5s).
	grace time.Duration
}

// Result is what a batch did.
type Result struct {
	// Graded now (error rows included), Skipped (resumed: already had a
	// result), ErrorRows: graded now with at least one check that could not
	// run (the environment's fault, or grading failed as a whole).
	Graded, Skipped, ErrorRows int
	// Interrupted is set when the context ended before every student was
	// graded; the aggregate files are then not written.
	Interrupted bool
	// Class is the aggregate (nil when interrupted).
	Class *Class
	// Settled counts the students graded again because their first
	// result caught their cluster mid-change (Options.Settle); Unsettled
	// those still mid-change when grading ended.
	Settled, Unsettled int
	// ImageGathers and RateLimitRetries count registry reads.
	ImageGathers, RateLimitRetries int64
	Took                           time.Duration
}

// ErrExistingResults is returned when Out holds results and neither Resume
// nor Force is set.
var ErrExistingResults = errors.New("the output directory already holds student results")

// Run grades the students. One student's failure, panic or hang is an error
// row for that student; the batch goes on. When ctx ends (Ctrl-C), the
// results written so far stay and Run returns with Interrupted set.
func Run(ctx context.Context, opt Options) (*Result, error) {
	start := time.Now()
	if opt.Lab == nil {
		return nil, errors.New("grade: no lab")
	}
	opt.setDefaults()
	if err := os.MkdirAll(filepath.Join(opt.Out, StudentsDir), 0o755); err != nil {
		return nil, err
	}
	res := &Result{}
	slice, todo, err := pickStudents(opt, res)
	if err != nil {
		return nil, err
	}

	b := &batch{opt: opt, res: res}
	lim := &Limiter{Interval: opt.RegistryInterval}
	b.images = newImageSet(ctx, opt.ImageOpts, lim, opt.MaxRetryWait, opt.Timeout+opt.MaxRetryWait)
	b.images.now = opt.Clock
	runOpt := gather.RunOptionsFor(pipeline.Plan(pipeline.Job{Lab: opt.Lab}), opt.RunOpts)
	b.runs = &runSet{ctx: ctx, opt: runOpt, probe: gather.ProbeRun, runs: map[string]*future[*snapshot.RunProbe]{}}
	if opt.probeRun != nil {
		b.runs.probe = opt.probeRun
	}
	b.groups = b.makeGroups(ctx, todo)

	opt.Progress.Start(len(slice), res.Skipped)
	werr := b.gradeAll(ctx, b.feedOrder(todo), true)
	if werr == nil && ctx.Err() == nil {
		// A server that did not page in key order gave some namespaces out
		// before all their objects had come: those students are graded
		// again, each namespace read on its own.
		werr = b.gradeAll(ctx, b.lateStudents(todo), false)
	}
	if werr == nil && ctx.Err() == nil {
		werr = b.settle(ctx, todo)
	}
	b.closeStreams()
	opt.Progress.Finish()
	res.ImageGathers, res.RateLimitRetries = b.images.gathers.Load(), b.images.retries.Load()
	res.Took = time.Since(start)
	if werr != nil {
		return res, werr
	}
	if ctx.Err() != nil {
		res.Interrupted = true
		return res, nil
	}
	class, err := b.writeClass(slice)
	if err != nil {
		return res, err
	}
	res.Class = class
	return res, nil
}

// setDefaults fills in what the options leave unset.
func (opt *Options) setDefaults() {
	if opt.Jobs <= 0 {
		opt.Jobs = 4
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	if opt.MaxRetryWait <= 0 {
		opt.MaxRetryWait = 2 * time.Minute
	}
	if opt.Lang == "" {
		opt.Lang = "en"
	}
	if opt.Progress == nil {
		opt.Progress = nopProgress{}
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.grace <= 0 {
		opt.grace = 5 * time.Second
	}
}

// pickStudents is the roster's slice this run grades (its shard, by id),
// each roster kubeconfig vetted, and of it the students to grade now: with
// Resume, those without a result (or, with RetryErrors, whose result needs
// grading again) are graded and the others counted in res.Skipped; without
// Resume or Force, an existing result is ErrExistingResults.
func pickStudents(opt Options, res *Result) (slice, todo []Student, err error) {
	for _, s := range opt.Students {
		if opt.Shard.Has(s.ID) {
			slice = append(slice, s)
		}
	}
	sort.Slice(slice, func(i, j int) bool { return slice[i].ID < slice[j].ID })
	// A kubeconfig from a roster is the student's: refuse one that would run
	// a program or read a file on this machine before anything is loaded.
	for _, s := range slice {
		if s.Kubeconfig != "" {
			if err := gather.VetKubeconfig(s.Kubeconfig); err != nil {
				return nil, nil, fmt.Errorf("student %s: %w", s.ID, err)
			}
		}
	}

	for _, s := range slice {
		r, err := report.ReadFile(studentPath(opt.Out, s.ID, ".json"))
		have := err == nil && r.Lab.ID == opt.Lab.ID && r.Lab.Version == opt.Lab.Version && r.Student.ID == s.ID
		switch {
		case have && !opt.Resume && !opt.Force:
			return nil, nil, fmt.Errorf("%w (%s): add --resume to grade only the students without one, or --force to grade everyone again", ErrExistingResults, opt.Out)
		case have && opt.Resume && !(opt.RetryErrors && r.NeedsRegrade()):
			res.Skipped++
		default:
			todo = append(todo, s)
		}
	}
	return slice, todo, nil
}

// writeClass writes the class files (dashboard, grades, results.json) of
// the students in slice once each has a result.
func (b *batch) writeClass(slice []Student) (*Class, error) {
	opt := b.opt
	// The class keeps a summary of each report (kept by write, or read
	// back for a student graded before --resume); results.json copies the
	// full reports from their files.
	reports := make([]*report.Report, 0, len(slice))
	for _, s := range slice {
		if r := b.kept[s.ID]; r != nil {
			reports = append(reports, r)
			continue
		}
		r, err := report.ReadFile(studentPath(opt.Out, s.ID, ".json"))
		if err != nil {
			return nil, fmt.Errorf("reading back %s's result: %w", s.ID, err)
		}
		if opt.StudentHTML != nil {
			if _, err := os.Stat(studentPath(opt.Out, s.ID, ".html")); err != nil {
				if err := writeStudentFile(studentPath(opt.Out, s.ID, ".html"), func(w io.Writer) error { return opt.StudentHTML(w, r) }); err != nil {
					return nil, err
				}
			}
		}
		reports = append(reports, summaryReport(r))
	}
	class, err := classFromDir(opt.Out, reports)
	if err != nil {
		return nil, err
	}
	class.SetRoster(slice)
	class.HTMLReports = opt.StudentHTML != nil
	if err := class.WriteFiles(opt.Out); err != nil {
		return nil, err
	}
	return class, nil
}

// feedOrder is the order the students are graded in: each cluster's
// namespaces in the API server's key order, the order their objects are
// streamed in (see gather.NamespaceStream).
func (b *batch) feedOrder(todo []Student) []Student {
	out := append([]Student(nil), todo...)
	ns := make(map[string]string, len(out))
	for _, s := range out {
		ns[s.ID] = b.namespaceOf(s, b.groups[b.studentGroup(s)])
	}
	sort.SliceStable(out, func(i, j int) bool { return gather.NamespaceBefore(ns[out[i].ID], ns[out[j].ID]) })
	return out
}

// lateStudents are the students whose namespace a stream gave out before
// all its objects had arrived.
func (b *batch) lateStudents(todo []Student) []Student {
	late := map[string]bool{}
	for k, g := range b.groups {
		if gs, ok := g.f.peek(); ok && gs.stream != nil {
			for _, ns := range gs.stream.Late() {
				late[k+"\x00"+ns] = true
			}
		}
	}
	var out []Student
	for _, s := range todo {
		k := b.studentGroup(s)
		if len(late) > 0 && late[k+"\x00"+b.namespaceOf(s, b.groups[k])] {
			out = append(out, s)
		}
	}
	return out
}

// closeStreams stops the groups' page readers.
func (b *batch) closeStreams() {
	for _, g := range b.groups {
		if gs, ok := g.f.peek(); ok && gs.stream != nil {
			gs.stream.Close()
		}
	}
}

// gradeAll grades students with opt.Jobs workers and writes each result;
// progress reports each one done.
func (b *batch) gradeAll(ctx context.Context, students []Student, progress bool) error {
	queue := make(chan Student)
	var wg sync.WaitGroup
	var werr error
	var werrOnce sync.Once
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	for i := 0; i < b.opt.Jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range queue {
				r := b.gradeGuarded(wctx, s)
				if r == nil {
					continue // interrupted: no result for this student
				}
				if err := b.write(r); err != nil {
					werrOnce.Do(func() { werr = err; stopWorkers() })
					continue
				}
				if progress {
					b.opt.Progress.Done(r)
				}
			}
		}()
	}
feed:
	for _, s := range students {
		select {
		case queue <- s:
		case <-wctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	return werr
}

type batch struct {
	opt    Options
	res    *Result
	mu     sync.Mutex
	images *imageSet
	runs   *runSet
	groups map[string]*clusterGroup
	// kept are the summaries (summaryReport) of the reports written now.
	kept map[string]*report.Report
	// fresh makes every student's namespace be read afresh, alone (set
	// while students caught mid-change are graded again: settle).
	fresh atomic.Bool
}

// ErrorReport is the result of a student whose grading failed as a whole:
// every check of the lab is an error with msg, and earns nothing.
func ErrorReport(lab *labs.Lab, lang string, s Student, namespace, msg string, started time.Time) *report.Report {
	r := pipeline.NewReport(lab, lang)
	r.Student = report.Student{ID: s.ID, Name: s.Name}
	r.Target = report.Target{Image: s.Image, Context: s.Context, Namespace: namespace}
	r.StartedAt = started
	first := msg
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	for _, st := range lab.Steps {
		for _, ref := range st.Checks {
			res := report.Result{ID: ref.ID, Step: st.ID, Status: report.Error, Required: ref.Required,
				Message: i18n.Tr(lang, "Could not grade this student: %s", first),
				Hint:    i18n.Tr(lang, "This is not the student's mistake; grade again with kubelab grade --resume --retry-errors.")}
			if !ref.Informational {
				res.MaxPoints = ref.Points
			}
			if msg != first {
				res.Evidence = []report.Fact{{Name: "detail", Value: msg}}
			}
			r.Checks = append(r.Checks, res)
		}
	}
	r.FinishedAt = time.Now().UTC()
	report.Summarize(r)
	return r
}

// IsErrorRow reports whether the report is an error row: every check an
// error.
func IsErrorRow(r *report.Report) bool {
	if len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if c.Status != report.Error && c.ID != LateCheckID {
			return false
		}
	}
	return true
}

// write stores the student's JSON report (and HTML), each atomically.
func (b *batch) write(r *report.Report) error {
	id := r.Student.ID
	data, err := report.JSON(r)
	if err != nil {
		return err
	}
	if err := writeStudentFile(studentPath(b.opt.Out, id, ".json"), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	if b.opt.StudentHTML != nil {
		if err := writeStudentFile(studentPath(b.opt.Out, id, ".html"), func(w io.Writer) error { return b.opt.StudentHTML(w, r) }); err != nil {
			return err
		}
	}
	sum := summaryReport(r)
	b.mu.Lock()
	if b.kept == nil {
		b.kept = map[string]*report.Report{}
	}
	// A student graded again (lateStudents) replaces their first result.
	if old := b.kept[id]; old == nil {
		b.res.Graded++
	} else if old.Counts[report.Error] > 0 {
		b.res.ErrorRows--
	}
	if sum.Counts[report.Error] > 0 {
		b.res.ErrorRows++
	}
	b.kept[id] = sum
	b.mu.Unlock()
	return nil
}

// StudentsDir holds the per-student reports inside the output directory.
const StudentsDir = "students"

func studentPath(out, id, ext string) string { return filepath.Join(out, StudentsDir, id+ext) }

// writeAtomic writes a class file (mode 0644) in full or not at all.
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, write)
}

// writeStudentFile writes a student's report (mode 0644) in full or not at
// all, without its own fsync: a class has thousands of them, and
// Class.WriteFiles syncs the file system once before the class files that
// list them are written.
func writeStudentFile(path string, write func(io.Writer) error) error {
	return atomicfile.WriteUnsynced(path, 0o644, write)
}
