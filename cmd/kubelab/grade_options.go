package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/labs"
)

// From grade's flags to grade.Options: each flag checked, with a usage error that names it.

// options turns the flags into the batch's options (everything but the
// roster's students).
func (o *gradeOptions) options(lab *labs.Lab) (grade.Options, error) {
	opt := grade.Options{
		Lab: lab, Lang: o.g.Lang, Out: o.Out, Jobs: o.Jobs, Timeout: o.Timeout,
		Kubeconfig: o.Kubeconfig, Context: o.Context,
		Resume: o.Resume, RetryErrors: o.RetryErrors, Force: o.Force,
		ImageOpts:    o.imageOptions(),
		RunImages:    o.RunImages,
		Settle:       o.Settle,
		App:          o.appOptions(),
		MaxRetryWait: o.MaxRetryWait,
		StudentHTML:  studentHTML,
	}
	if o.Output != "text" && o.Output != "json" {
		return opt, exitf(ExitUsage, "-o %q: use text or json", o.Output)
	}
	if o.LMS.Format != "" {
		if _, err := o.LMS.options(o.g.Lang); err != nil {
			return opt, exitf(ExitUsage, "--lms %q: use %s", o.LMS.Format, strings.Join(grade.ExportFormats, ", "))
		}
	}
	if o.Jobs < 1 {
		return opt, exitf(ExitUsage, "--jobs %d: need at least 1", o.Jobs)
	}
	if o.Timeout <= 0 {
		return opt, exitf(ExitUsage, "--timeout-per-student must be positive")
	}
	if o.Settle < 0 {
		return opt, exitf(ExitUsage, "--settle must not be negative (0 grades each student once)")
	}
	if o.RetryErrors && !o.Resume {
		return opt, exitf(ExitUsage, "--retry-errors goes with --resume")
	}
	if o.Resume && o.Force {
		return opt, exitf(ExitUsage, "--resume keeps the results in --out, --force replaces them: choose one")
	}
	if o.RegistryQPS < 0 {
		return opt, exitf(ExitUsage, "--registry-qps must not be negative")
	}
	if o.RegistryQPS > 0 {
		opt.RegistryInterval = time.Duration(float64(time.Second) / o.RegistryQPS)
	}
	if o.Deadline != "" {
		d, err := grade.ParseDeadline(o.Deadline, time.Local)
		if err != nil {
			return opt, exitf(ExitUsage, "--deadline: %w", err)
		}
		opt.Deadline = d
	}
	pol, err := grade.ParseLatePolicy(o.LatePolicy)
	if err != nil {
		return opt, exitf(ExitUsage, "--late-policy: %w", err)
	}
	if pol.Kind != "none" && o.Deadline == "" && o.latePolicyGiven {
		return opt, exitf(ExitUsage, "--late-policy %s needs --deadline", pol)
	}
	opt.LatePolicy = pol
	if v, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && strings.TrimSpace(v) != "" {
		sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || sec < 0 {
			return opt, exitf(ExitUsage, "SOURCE_DATE_EPOCH=%q: want whole seconds since 1970-01-01 UTC", v)
		}
		fixed := time.Unix(sec, 0).UTC()
		opt.Clock = func() time.Time { return fixed }
	}
	if o.Shard != "" {
		sh, err := grade.ParseShard(o.Shard)
		if err != nil {
			return opt, exitf(ExitUsage, "--shard: %w", err)
		}
		opt.Shard = sh
	}
	return opt, nil
}
