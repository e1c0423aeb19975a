package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/selftest"
)

type labSelftestOptions struct {
	g           *globalOptions
	BinDir      string
	Namespace   string
	Repository  string
	Settle      time.Duration
	BrokenOnly  bool
	Transcript  bool
	Quiet       bool
	ClusterDir  string
	runSelftest func(ctx context.Context, lab *labs.Lab, o *labSelftestOptions, stdout, stderr io.Writer) error
}

func newLabSelftestCmd(g *globalOptions) *cobra.Command {
	o := &labSelftestOptions{g: g, runSelftest: runSelftest}
	cmd := &cobra.Command{
		Use:   "selftest [LAB|DIR]",
		Short: "Prove a lab: play its solution on a simulated cluster and check that every check fails before its step and passes after it",
		Long: `selftest starts a simulated cluster (a real control plane with a kwok node
"minikube") and a container registry, both on 127.0.0.1, then plays the lab's
solution step by step with the real kubectl and grades after each step.

Before any step, every check must fail or be skipped (informational checks and
checks that need only a working cluster may pass). After a step's solution,
that step's checks must pass (and those of the steps without a solution that
follow it), while the checks of later steps must not pass yet. image.runs is
"not tested": a self-test never runs containers.

LAB is a built-in lab id or a lab directory; --lab-dir works too. The cluster
binaries come from --cluster-bins, $KUBELAB_CLUSTER_BINS, or tools/build.sh in
a source checkout.

Exit codes: 0 every expectation held, 1 an expectation broke, 2 bad input
(invalid lab, no solution), 3 the simulated environment could not start.`,
		Example: `  kubelab lab selftest kubernetes-basics
  kubelab lab selftest ./my-lab
  kubelab lab selftest --lab-dir ./my-lab --broken-only`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := loadLabOrDir(g, args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return o.runSelftest(ctx, lab, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.BinDir, "cluster-bins", os.Getenv("KUBELAB_CLUSTER_BINS"), "directory of the simulated cluster's binaries (etcd, kube-apiserver, ..., kubectl, kwok)")
	f.StringVar(&o.Namespace, "namespace", "", "the student's namespace in the simulated cluster (default selftest-<lab id>)")
	f.StringVar(&o.Repository, "repository", "student/hello-flask", "the student's image repository on the test registry ($REPO without the registry)")
	f.DurationVar(&o.Settle, "settle", 60*time.Second, "how long each step may take to show its effect before its checks count as broken")
	f.BoolVar(&o.BrokenOnly, "broken-only", false, "list only the expectations that broke")
	f.BoolVar(&o.Transcript, "transcript", false, "show each command's output")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress lines on standard error")
	f.StringVar(&o.ClusterDir, "cluster-dir", "", "keep the simulated cluster's files (logs, kubeconfig) in this directory")
	return cmd
}

// loadLabOrDir loads the lab named by args: a directory holding lab.yaml,
// else a built-in lab id (or --lab-dir).
func loadLabOrDir(g *globalOptions, args []string) (*labs.Lab, error) {
	if len(args) == 1 && g.LabDir == "" {
		if st, err := os.Stat(filepath.Join(args[0], labs.SpecFile)); err == nil && !st.IsDir() {
			l, err := labs.Find("", args[0], checks.CatalogForLabs())
			if err != nil {
				return nil, exitf(ExitUsage, "%w", err)
			}
			return l, nil
		}
	}
	return g.loadLab(args)
}

func runSelftest(ctx context.Context, lab *labs.Lab, o *labSelftestOptions, stdout, stderr io.Writer) error {
	if !lab.HasSolution() {
		return exitf(ExitUsage, "lab %s: %w", lab.ID, selftest.ErrNoSolution)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	logw := stderr
	if o.Quiet {
		logw = io.Discard
	}
	bins := o.BinDir
	if bins == "" {
		var err error
		if bins, err = simcluster.Binaries(); err != nil {
			return exitf(ExitEnv, "the simulated cluster's binaries are missing: %w (set --cluster-bins or KUBELAB_CLUSTER_BINS, or run `make cluster-bins` in a source checkout)", err)
		}
	}
	fmt.Fprintf(logw, "selftest: starting the simulated cluster and registry on 127.0.0.1\n")
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	env, err := selftest.StartEnv(sctx, selftest.EnvOptions{BinDir: bins, Dir: o.ClusterDir})
	cancel()
	if err != nil {
		return exitf(ExitEnv, "starting the simulated environment: %w", err)
	}
	defer env.Close()
	fmt.Fprintf(logw, "selftest: environment up in %.1fs\n", time.Since(t0).Seconds())
	res, err := selftest.Run(ctx, env, lab, selftest.Options{
		Namespace: o.Namespace, Repository: o.Repository, Settle: o.Settle, Log: logw,
	})
	if err != nil {
		if errors.Is(err, selftest.ErrNoSolution) {
			return exitf(ExitUsage, "lab %s: %w", lab.ID, err)
		}
		return exitf(ExitEnv, "self-test of %s: %w", lab.ID, err)
	}
	if err := selftest.WriteText(stdout, res, selftest.TextOptions{BrokenOnly: o.BrokenOnly, Transcript: o.Transcript}); err != nil {
		return exitf(ExitInternal, "writing the result: %w", err)
	}
	if !res.OK() {
		return silentExit(ExitNotPassed)
	}
	return nil
}
