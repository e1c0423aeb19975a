// grade_run.go holds the run of kubelab grade over a roster: reading the
// roster, grading under the memory limit and Ctrl-C, and the closing
// summary. The command and its flags are in grade.go.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/labs"
)

func (o *gradeOptions) run(ctx context.Context, stdout, stderr io.Writer, lab *labs.Lab) error {
	if o.Roster == "" {
		return exitf(ExitUsage, "--roster FILE (or --submissions DIR) is required")
	}
	opt, err := o.options(lab)
	if err != nil {
		return err
	}
	budget := int64(defaultMemoryLimit)
	if o.Shard != "" {
		budget = shardMemoryLimit
	}
	limit, restore, err := o.Memory.apply(budget)
	if err != nil {
		return err
	}
	defer restore()
	mem := startMemorySampler()
	defer mem.close()
	data, err := os.ReadFile(o.Roster)
	if err != nil {
		return exitf(ExitUsage, "--roster: %w", err)
	}
	students, err := grade.ParseRoster(data, grade.RosterOptions{File: o.Roster, NamespacePrefix: o.NamespacePrefix})
	if err != nil {
		return exitf(ExitUsage, "%w", err)
	}
	if err := vetStudentKubeconfigs(o.Roster, students); err != nil {
		return exitf(ExitUsage, "%w", err)
	}
	opt.Students = students
	opt.Progress = grade.NewProgress(stderr, isTerminal(stderr))
	var requests atomic.Int64
	opt.Requests = &requests
	if studentHTML == nil {
		fmt.Fprintln(stderr, "note: this kubelab has no HTML report renderer (report.WriteHTML), so students/<id>.html is not written; the dashboard links to the JSON reports")
	}

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.Resume || o.Force {
		removeStaleTemps(stderr, o.Out)
	}
	res, err := grade.Run(ctx, opt)
	if errors.Is(err, grade.ErrExistingResults) {
		return exitf(ExitUsage, "%w", err)
	}
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "interrupted: %d student(s) graded now, %d before; their results are in %s. Run the same command with --resume to grade the rest.\n",
			res.Graded, res.Skipped, filepath.Join(o.Out, grade.StudentsDir))
		return silentExit(exitInterrupted)
	}
	stats := &grade.RunStats{TookMS: res.Took.Milliseconds(), Graded: res.Graded, Kept: res.Skipped,
		APIRequests: requests.Load(), ImageReads: res.ImageGathers, RateLimitRetries: res.RateLimitRetries}
	mem.finish(stats, limit)
	if err := grade.WriteSummary(stdout, o.Output, res.Class, o.Out, stats); err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	if path, err := o.LMS.exportAfterGrade(o.Out, o.g.Lang, stderr); err != nil {
		return err
	} else if path != "" {
		fmt.Fprintf(stderr, "wrote %s\n", path)
	}
	fmt.Fprintf(stderr, "graded %d student(s) now and kept %d in %s (%d API request(s), %d image read(s), %d rate-limit retr(ies))\n",
		res.Graded, res.Skipped, res.Took.Round(time.Millisecond), stats.APIRequests, res.ImageGathers, res.RateLimitRetries)
	if res.Settled > 0 {
		fmt.Fprintf(stderr, "%d student(s) caught their cluster mid-change and were graded again as it settled; %d still mid-change after --settle %s\n",
			res.Settled, res.Unsettled, o.Settle)
	}
	if o.Strict && res.Class.Summary.WithErrors > 0 {
		return silentExit(ExitEnv)
	}
	return nil
}
