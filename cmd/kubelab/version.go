package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/report"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print kubelab's version",
		Example: "  kubelab version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "kubelab %s (report schema %s, %s %s/%s)\n", report.Version, report.Schema, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
