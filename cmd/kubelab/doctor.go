package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
)

type doctorOptions struct {
	g          *globalOptions
	Image      string
	Kubeconfig string
	Context    string
	Insecure   bool
	Timeout    time.Duration
}

// newDoctorCmd is `kubelab doctor`: only the environment probes that check
// runs first, for a student setting up their machine.
func newDoctorCmd(g *globalOptions) *cobra.Command {
	o := &doctorOptions{g: g}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that your computer is ready for the lab: kubeconfig, cluster, registry, Docker",
		Long: `doctor checks only what every step needs before kubelab can check your
work: a kubeconfig, a cluster that answers (minikube, in the expected
context), the registry of your image (Docker Hub unless --image names
another) and a running Docker engine. For each thing missing it prints the
one command that fixes it. It only reads; it changes nothing.

Exit codes: 0 ready, 3 something is missing.`,
		Example: `  kubelab doctor
  kubelab doctor --image budi/hello-flask --lang id`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Image, "image", "", "your image; its registry is the one probed (default: Docker Hub)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config, as kubectl)")
	f.StringVar(&o.Context, "context", "", "kubeconfig context (default: the current context)")
	f.BoolVar(&o.Insecure, "insecure", false, "reach the registry over plain HTTP (a local test registry)")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Second, "how long each probe waits")
	return cmd
}

func (o *doctorOptions) run(ctx context.Context, w io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	env := gather.EnvOptions{Kube: gather.LoadKube(o.Kubeconfig, o.Context, ""), Kubeconfig: o.Kubeconfig,
		Image: o.Image, Insecure: o.Insecure, Timeout: o.Timeout}
	ps := gather.ProbeEnv(ctx, env)
	if len(ps) > 0 {
		fmt.Fprint(w, beforeYouStart(o.g.Lang, ps, env))
		return silentExit(ExitEnv)
	}
	k := env.Kube
	fmt.Fprintln(w, checks.T("Ready: kubeconfig (context %s, server %s), the registry %s and Docker all answer. Next: kubelab lab show",
		k.Context, k.Server, gather.RegistryHost(o.Image, o.Insecure)).In(o.g.Lang))
	return nil
}

// beforeYouStart is the block check and doctor open with when the machine
// is not ready: each problem in a line, its fixing command below it. The
// wording is gather.EnvFixes', shared with the serve page.
func beforeYouStart(lang string, ps []gather.EnvProblem, env gather.EnvOptions) string {
	var b strings.Builder
	b.WriteString(checks.T("Before you start: kubelab cannot check your work yet.").In(lang) + "\n")
	for i, f := range gather.EnvFixes(ps, env) {
		fmt.Fprintf(&b, "  %d. %s\n       $ %s\n", i+1, f.What.In(lang), f.Command)
	}
	b.WriteString(checks.T("Then run the same command again (kubelab doctor checks only these).").In(lang) + "\n")
	return b.String()
}

// envProbes are the environment probes of one check or submit, running
// beside the grading.
type envProbes struct {
	env gather.EnvOptions
	ch  chan []gather.EnvProblem
}

// envOptions are what the environment probes of check, submit and serve
// look at: the target's kubeconfig, context and image.
func (o *checkOptions) envOptions(req pipeline.Request) gather.EnvOptions {
	return gather.EnvOptions{Kube: req.Kube, Kubeconfig: o.Kubeconfig, Image: o.Image, Insecure: o.Insecure}
}

func (o *checkOptions) startProbes(ctx context.Context, req pipeline.Request) *envProbes {
	p := &envProbes{env: o.envOptions(req), ch: make(chan []gather.EnvProblem, 1)}
	go func() { p.ch <- gather.ProbeEnv(ctx, p.env) }()
	return p
}

// writeBrief writes the brief report (the before block, then one line per
// step) when the probes found something that keeps steps from being
// checked, and says whether it did; otherwise the caller writes the full
// report. A nil p (output that is not the terminal's text) never does.
func (p *envProbes) writeBrief(w io.Writer, r *report.Report, lang string, color bool) (bool, error) {
	if p == nil {
		return false, nil
	}
	ps := <-p.ch
	if !gather.BlocksSteps(ps) {
		return false, nil
	}
	if err := report.WriteTextBrief(w, r, beforeYouStart(lang, ps, p.env), report.TextOptions{Color: color}); err != nil {
		return true, exitf(ExitInternal, "writing report: %v", err)
	}
	return true, nil
}
