package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/serve"
	"github.com/kubelab/kubelab/watch"
)

type serveOptions struct {
	check checkOptions
	Addr  string
	Open  bool
	Live  bool
}

func newServeCmd(g *globalOptions) *cobra.Command {
	o := &serveOptions{check: checkOptions{g: g}}
	cmd := &cobra.Command{
		Use:   "serve [LAB]",
		Short: "Open the lesson in your browser, with a live \"Check this step\" button under each hands-on step",
		Long: `serve runs a small web app on your own machine (127.0.0.1) with the lesson
and a button under each hands-on step that checks it against your cluster and
image, like kubelab check. Stop it with Ctrl-C.`,
		Example: `  kubelab serve --image budi/hello-flask
  kubelab serve --image budi/hello-flask --lang id --open
  kubelab serve --image budi/hello-flask -n lab1 --addr 127.0.0.1:9000`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), lab)
		},
	}
	f := cmd.Flags()
	c := &o.check
	c.addTargetFlags(f)
	f.DurationVar(&c.Timeout, "timeout", 90*time.Second, "deadline for one check")
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on (keep it on 127.0.0.1)")
	f.BoolVar(&o.Open, "open", false, "open the page in your browser")
	f.BoolVar(&o.Live, "live", true, "watch your namespace and update the open page as soon as something changes (--live=false: only the buttons check)")
	return cmd
}

func (o *serveOptions) run(ctx context.Context, stdout, stderr io.Writer, lab *labs.Lab) error {
	req, err := o.check.request(lab)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return exitf(ExitUsage, "--addr %q: %w", o.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(stderr, "WARNING: --addr %s makes the lesson reachable from other machines; anyone who can open it sees your results. Prefer 127.0.0.1.\n", o.Addr)
	}
	srv, err := serve.New(lab, o.check.g.Lang, func(ctx context.Context, steps map[string]bool, lang string) *report.Report {
		r := req
		r.Steps, r.Lang = steps, lang
		return pipeline.Grade(ctx, r)
	})
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	srv.Image, srv.Namespace = req.Image, req.Kube.Namespace
	// The page opens with doctor's "Before you start" block while the
	// machine is not ready, as check does in the terminal.
	srv.EnvOptions = o.check.envOptions(req)
	srv.Env = func(ctx context.Context) []gather.EnvProblem { return gather.ProbeEnv(ctx, srv.EnvOptions) }
	srv.Log = log.New(stderr, "kubelab serve: ", log.LstdFlags)
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return exitf(ExitEnv, "cannot listen on %s: %w", o.Addr, err)
	}
	url := "http://" + l.Addr().String() + "/" + o.check.g.Lang + "/"
	fmt.Fprintf(stdout, "kubelab lesson at %s (Ctrl-C to stop)\n", url)
	if o.Open {
		openBrowser(url)
	}
	hs := &http.Server{Handler: srv.Handler(l.Addr().String()), ReadHeaderTimeout: 10 * time.Second}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if o.Live {
		// Package watch grades on every change; the page gets each report
		// over /events.
		w := &watch.Watcher{Req: req}
		w.Req.Lang = o.check.g.Lang
		go func() { _ = w.Run(ctx, srv.Publish) }()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return exitf(ExitInternal, "%w", err)
	}
	return nil
}

func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	_ = cmd.Start()
}
