package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

type checkOptions struct {
	g *globalOptions
	clusterFlags
	Image       string
	Namespace   string
	Deployment  string
	Timeout     time.Duration
	Output      string
	OutputFile  string
	Steps       []string
	NoRun       bool
	StudentID   string
	StudentName string
	MinScore    float64
	Evidence    bool
	SignKey     string
	LessonURL   string
	Watch       bool
}

func newCheckCmd(g *globalOptions) *cobra.Command {
	o := &checkOptions{g: g}
	cmd := &cobra.Command{
		Use:   "check [LAB]",
		Short: "Check your work: inspect your cluster and your Docker Hub image and score each step",
		Long: `check grades the lab against your real cluster (the kubeconfig and context
kubectl uses) and your image on Docker Hub. It never changes your cluster.

Formats (-o): text (the terminal), json (the report itself: keep it; every
other format can be rendered from it with kubelab report render), html (one
self-contained page that prints on A4), junit, markdown (for a pull request
or issue comment), gradescope (results.json), csv and classroom (the result
GitHub Classroom's autograding reporter reads; also written as result= to
$GITHUB_OUTPUT when set, and the exit code is then 0 whatever the grade:
the reporter fails the job; see docs/lms.md).

--sign KEY signs the JSON report with an ed25519 private key (kubelab keys
generate) and records the cluster's and image's fingerprint in it; kubelab
report verify checks it later.

Exit codes: 0 the lab passed, 1 not passed yet (or below --min-score),
2 bad flags or input, 3 the environment failed (cluster unreachable, forbidden,
registry rate limit), 4 internal error.`,
		Example: `  kubelab check --image budi/hello-flask
  kubelab check --image budi/hello-flask -n lab1 --context minikube
  kubelab check --image budi/hello-flask --step expose -o json
  kubelab check --image budi/hello-flask -o html --output-file report.html
  kubelab check --image budi/hello-flask --student-id 2201234 --name "Budi Santoso" \
      --sign ~/.config/kubelab/kubelab.key -o json --output-file report.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), streams(cmd), lab)
		},
	}
	f := cmd.Flags()
	o.addTargetFlags(f)
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "deadline for the whole check")
	f.StringVarP(&o.Output, "output", "o", "text", "report format: "+strings.Join(report.FormatNames(), ", "))
	f.StringVar(&o.OutputFile, "output-file", "", "write the report to this file")
	f.StringSliceVar(&o.Steps, "step", nil, "check only these steps (repeatable)")
	f.StringVar(&o.StudentID, "student-id", "", "your student id, printed in the report")
	f.StringVar(&o.StudentName, "name", "", "your name, printed in the report")
	f.Float64Var(&o.MinScore, "min-score", 0, "exit 1 when the score is below this")
	f.BoolVar(&o.Evidence, "evidence", false, "print each check's evidence (text output)")
	f.StringVar(&o.SignKey, "sign", "", "sign the report with this ed25519 private key (PEM, from kubelab keys generate)")
	f.StringVar(&o.LessonURL, "lesson-url", "", "link each step of an html or markdown report to its lesson: URL#STEP, or URL with {step} in it")
	f.BoolVarP(&o.Watch, "watch", "w", false, "keep watching your namespace and redraw the table whenever something changes (Ctrl-C to stop)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(report.FormatNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *checkOptions) request(lab *labs.Lab) (pipeline.Request, error) {
	if o.Image == "" {
		return pipeline.Request{}, exitf(ExitUsage, "--image is required: the image you pushed, e.g. --image budi/hello-flask")
	}
	if _, _, err := snapshot.NormalizeImage(o.Image); err != nil {
		return pipeline.Request{}, exitf(ExitUsage, "--image: %w", err)
	}
	var steps map[string]bool
	for _, s := range o.Steps {
		if lab.Step(s) == nil {
			return pipeline.Request{}, exitf(ExitUsage, "--step %q: lab %s has no such step", s, lab.ID)
		}
		if steps == nil {
			steps = map[string]bool{}
		}
		steps[s] = true
	}
	return pipeline.Request{
		Job: pipeline.Job{Lab: lab, Lang: o.g.Lang, Image: o.Image, Deployment: o.Deployment,
			Student: report.Student{ID: o.StudentID, Name: o.StudentName}, Steps: steps},
		Kube:      gather.LoadKube(o.Kubeconfig, o.Context, o.Namespace),
		ImageOpts: o.imageOptions(),
		NoRun:     o.NoRun,
		App:       o.appOptions(),
		Timeout:   o.Timeout,
	}, nil
}

func (o *checkOptions) run(ctx context.Context, ios *ioStreams, lab *labs.Lab) (err error) {
	stdout, stderr := ios.Out, ios.ErrOut
	if _, ok := report.Formats[o.Output]; !ok {
		return exitf(ExitUsage, "-o %q: use one of %s", o.Output, strings.Join(report.FormatNames(), ", "))
	}
	req, err := o.request(lab)
	if err != nil {
		return err
	}
	if o.Watch {
		return o.watch(ctx, stdout, req)
	}
	var key ed25519.PrivateKey
	if o.SignKey != "" {
		if key, err = loadPrivateKey(o.SignKey, stderr); err != nil {
			return err
		}
		req.Fingerprint = true
		if o.Output != "json" {
			fmt.Fprintf(stderr, "note: only a JSON report can be verified later; use -o json to hand in a signed report\n")
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	// A student reading the terminal gets the environment probes too, run
	// beside the grading: when their machine is not ready, the fix leads
	// the output instead of a list of checks that could not run.
	var probes *envProbes
	if o.Output == "text" && o.OutputFile == "" {
		probes = o.startProbes(ctx, req)
	}
	r := pipeline.Grade(ctx, req)
	if key != nil {
		if err := report.Sign(r, key); err != nil {
			return exitf(ExitInternal, "signing the report: %w", err)
		}
	}

	w, done, err := openOutput(stdout, o.OutputFile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done(err == nil || isExit(err))) }()
	if ok, err := probes.writeBrief(w, r, o.g.Lang, isTerminal(stdout)); ok {
		return errors.Join(err, exitFor(r, o.MinScore))
	}
	err = report.Render(w, o.Output, r, report.RenderOptions{
		Color:     o.OutputFile == "" && ios.IsTerminal,
		Evidence:  o.Evidence,
		LessonURL: lessonURL(o.LessonURL),
	})
	if err != nil {
		return exitf(ExitInternal, "writing report: %w", err)
	}
	if o.OutputFile != "" {
		fmt.Fprintf(stderr, "report written to %s (score %s/%s)\n", o.OutputFile, fmtNum(r.Score), fmtNum(r.MaxScore))
	}
	if o.Output == "classroom" {
		// In a Classroom workflow the reporter step records the grade
		// and fails the job; a failing grader step would stop the job
		// before it runs (as autograding-command-grader, exit 0).
		return classroomOutput(r)
	}
	return exitFor(r, o.MinScore)
}

func fmtNum(f float64) string { return report.FormatPoints(f) }
