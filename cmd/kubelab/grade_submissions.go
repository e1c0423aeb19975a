package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/labs"
)

// runSubmissions is kubelab grade --submissions.
func runSubmissions(cmd *cobra.Command, o *gradeOptions, sf *submissionsFlags, lab *labs.Lab) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if o.Roster != "" {
		return exitf(ExitUsage, "--roster grades clusters, --submissions grades handed-in files: choose one")
	}
	for _, name := range []string{"resume", "retry-errors", "settle", "shard", "run-images", "namespace-prefix", "kubeconfig", "context"} {
		if cmd.Flags().Changed(name) {
			return exitf(ExitUsage, "--%s does not apply to --submissions", name)
		}
	}
	if sf.Keys != "" {
		if _, err := handin.ReadKeyHistory(sf.Keys); err != nil {
			return exitf(ExitUsage, "--keys: %w", err)
		}
	}
	accept, err := parseAccept(sf.Accept)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if sf.MaxSize <= 0 {
		return exitf(ExitUsage, "--max-submission-size must be positive")
	}
	if st, err := os.Stat(sf.Dir); err != nil || !st.IsDir() {
		return exitf(ExitUsage, "--submissions %s: not a directory", sf.Dir)
	}
	opt, err := o.options(lab)
	if err != nil {
		return err
	}
	hopt := handin.Options{
		Lab: lab, Lang: o.g.Lang, Dir: sf.Dir, Out: o.Out, KeysFile: sf.Keys,
		ImageOpts: opt.ImageOpts, Jobs: o.Jobs, Deadline: opt.Deadline, LatePolicy: opt.LatePolicy,
		StudentHTML: studentHTML, Accept: accept, MaxSize: sf.MaxSize,
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := handin.Grade(ctx, hopt)
	if res != nil {
		// File names and reasons come from the hand-in folder: printed as
		// one clean line each (no escape sequence, no bidi override).
		for _, r := range res.Refused {
			fmt.Fprintf(stderr, "refused %s\n", printable(r.String()))
		}
		for _, r := range res.Superseded {
			fmt.Fprintf(stderr, "not graded: %s\n", printable(r.String()))
		}
		for _, d := range res.Duplicates {
			fmt.Fprintf(stderr, "held: %s\n", printable(d.String()))
		}
		if res.Interrupted {
			fmt.Fprintf(stderr, "interrupted: nothing of this run's class files or key history was written; the reports written so far are in %s. Run the same command again to grade everyone.\n",
				filepath.Join(o.Out, grade.StudentsDir))
			return silentExit(exitInterrupted)
		}
	}
	if errors.Is(err, handin.ErrNoSubmissions) {
		return exitf(ExitUsage, "%w", err)
	}
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	if err := writeSubmissionsSummary(stdout, o.Output, res, o.Out); err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	if path, err := o.LMS.exportAfterGrade(o.Out, o.g.Lang, stderr); err != nil {
		return err
	} else if path != "" {
		fmt.Fprintf(stderr, "wrote %s\n", path)
	}
	fmt.Fprintf(stderr, "graded %d submission(s) in %s (%d image(s) checked on the registry)\n", len(res.Students), res.Took.Round(1e6), res.ImageChecks)
	if len(res.Refused) > 0 {
		return exitf(ExitUsage, "%d file(s) in %s refused (see above); the others are graded", len(res.Refused), sf.Dir)
	}
	held := 0
	for _, s := range res.Students {
		if len(s.Held) > 0 {
			held++
		}
	}
	if held > 0 {
		return exitf(ExitNotPassed, "%d student(s) held (see above): no grade for them in grades.csv or the LMS files until you accept the flags (--accept)", held)
	}
	if o.Strict && res.Class.Summary.WithErrors > 0 {
		return silentExit(ExitEnv)
	}
	return nil
}
