package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
)

// kubelab grade merge: one class from the shards of a sharded grade.

type gradeMergeOptions struct {
	Out    string
	Output string
	Memory memoryLimitFlag
}

func newGradeMergeCmd(g *globalOptions) *cobra.Command {
	o := &gradeMergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge DIR... --out DIR",
		Short: "Combine the output directories of grade shards into one class",
		Long: `merge combines the --out directories of finished kubelab grade runs (the
shards of one class, --shard I/N) into one directory with every student's
reports and the class's index.html, grades.csv and results.json.`,
		Example: `  kubelab grade merge shard-0 shard-1 shard-2 --out results`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Output != "text" && o.Output != "json" {
				return exitf(ExitUsage, "-o %q: use text or json", o.Output)
			}
			limit, restore, err := o.Memory.apply(shardMemoryLimit)
			if err != nil {
				return err
			}
			defer restore()
			mem := startMemorySampler()
			defer mem.close()
			t0 := time.Now()
			// A shard that is missing, unfinished or not kubelab's is a
			// grade.InputError (exit 2); failing to write is exit 4.
			c, err := grade.Merge(args, o.Out, studentHTML)
			if err != nil {
				return err
			}
			stats := &grade.RunStats{TookMS: time.Since(t0).Milliseconds(), Graded: len(c.Students)}
			mem.finish(stats, limit)
			if err := grade.WriteSummary(cmd.OutOrStdout(), o.Output, c, o.Out, stats); err != nil {
				return exitf(ExitInternal, "%w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Out, "out", "", "output directory")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "summary printed at the end: text or json")
	o.Memory.add(cmd.Flags())
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
