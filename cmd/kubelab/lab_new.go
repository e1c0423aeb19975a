package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

type labNewOptions struct {
	Dir   string
	Force bool
}

func newLabNewCmd(_ *globalOptions) *cobra.Command {
	o := &labNewOptions{}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new lab skeleton (lab.yaml, lessons in en and id, a solution) that validates and self-tests as written",
		Long: `new writes a small working lab into DIR (default ./NAME): a lab.yaml with four
steps (push an image, deploy it, expose it, open it), their lessons in English
and Bahasa Indonesia, and a solution for every step. Edit it into your own
lab, then prove it:

  kubelab lab validate NAME
  kubelab lab selftest NAME

NAME is the lab id: lower-case letters, digits, '-' and '.'.`,
		Example: `  kubelab lab new demo
  kubelab lab new k8s-week3 --dir labs/week3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(streams(cmd), args[0])
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", "", "directory to write the lab into (default ./NAME)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "write into a directory that is not empty (files of the skeleton are overwritten)")
	return cmd
}

func (o *labNewOptions) run(ios *ioStreams, id string) error {
	stdout := ios.Out
	dir := o.Dir
	if dir == "" {
		dir = id
	}
	l, written, err := labs.NewSkeleton(dir, id, o.Force, checks.CatalogForLabs())
	if errors.Is(err, labs.ErrSkeletonArgs) {
		return exitf(ExitUsage, "%s", strings.TrimPrefix(err.Error(), labs.ErrSkeletonArgs.Error()+": "))
	}
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	fmt.Fprintf(stdout, "wrote lab %s to %s: %d steps, %d checks, %s points\n", l.ID, dir, len(l.Steps), len(l.Checks()), fmtNum(l.MaxScore()))
	for _, p := range written {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	fmt.Fprintf(stdout, "next:\n  kubelab lab validate %s\n  kubelab lab selftest %s\n  kubelab lab show --lab-dir %s\n", dir, dir, dir)
	return nil
}
