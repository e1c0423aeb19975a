package main

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/watch"
)

// watch runs `kubelab check --watch`: the table is redrawn from package
// watch's reports until Ctrl-C, which ends it cleanly (exit 0).
func (o *checkOptions) watch(ctx context.Context, stdout io.Writer, req pipeline.Request) error {
	if o.Output != "text" || o.OutputFile != "" || o.SignKey != "" {
		return exitf(ExitUsage, "--watch draws the text table on the terminal: leave out -o, --output-file and --sign")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	term := isTerminal(stdout)
	p := &watch.Printer{W: stdout, Terminal: term, Color: term, Evidence: o.Evidence}
	w := &watch.Watcher{Req: req}
	return w.Run(ctx, func(r *report.Report) { _ = p.Print(r) })
}
