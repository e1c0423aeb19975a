package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/report"
)

// commit and date are set by the release build (cmd/kubelab-release:
// -ldflags "-X main.commit=... -X main.date=..."), so a student's bug report
// names the exact build. The version itself lives in report.Version,
// because every report carries it.
var (
	commit = "unknown"
	date   = "unknown"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print kubelab's version, commit and build date",
		Example: "  kubelab version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "kubelab %s (commit %s, built %s; report schema %s, %s %s/%s)\n", report.Version, commit, date, report.Schema, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
