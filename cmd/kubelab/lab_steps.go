package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
)

// newLabStepsCmd lists a lab's steps, so a student can pick one for
// lab show --step without reading the Markdown.
func newLabStepsCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "steps [LAB]",
		Short:   "List a lab's steps: the ids lab show --step takes, with their titles",
		Example: "  kubelab lab steps\n  kubelab lab steps --lang id",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			head := checks.T("#\tID\tPOINTS\tTITLE").In(g.Lang)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, head)
			for i, st := range lab.Steps {
				pts := 0.0
				for _, c := range st.Checks {
					if !c.Informational {
						pts += c.Points
					}
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, st.ID, fmtNum(pts), st.Title.Get(g.Lang))
			}
			return tw.Flush()
		},
	}
}
