package main

import (
	"time"

	"github.com/spf13/cobra"
)

// exitInterrupted ends a grade run stopped by Ctrl-C (or SIGTERM): the
// results so far are kept; --resume finishes the run.
const exitInterrupted = 130

type gradeOptions struct {
	g *globalOptions
	clusterFlags
	Memory          memoryLimitFlag
	latePolicyGiven bool
	Roster          string
	Out             string
	Jobs            int
	Timeout         time.Duration
	Deadline        string
	LatePolicy      string
	Resume          bool
	RetryErrors     bool
	Force           bool
	NamespacePrefix string
	Shard           string
	RunImages       bool
	Settle          time.Duration
	Output          string
	Strict          bool
	RegistryQPS     float64
	MaxRetryWait    time.Duration
	Submissions     submissionsFlags
	LMS             exportFlags
}

func newGradeCmd(g *globalOptions) *cobra.Command {
	o := &gradeOptions{g: g}
	cmd := &cobra.Command{
		Use:   "grade [LAB] (--roster FILE | --submissions DIR) --out DIR",
		Short: "Grade a whole class from a roster: a dashboard, grades for the LMS and a report per student",
		Long: `grade grades every student of a roster (CSV: student_id,name,image and
optionally namespace,context,kubeconfig,deployment; comma or semicolon
separated). Students of a shared cluster each have a namespace (the roster's,
else their sanitised id); the cluster is read once for all of them. A student
with a context or kubeconfig column is graded on that cluster. Each distinct
image is read from the registry once. It never changes any cluster.

Into --out it writes students/<id>.json (as soon as each student is done),
students/<id>.html, and, when every student has a result, index.html (the
class dashboard), grades.csv (for the LMS) and results.json (everything).
Ctrl-C keeps every finished result; run the same command with --resume to
grade the rest. The aggregate files are the same bytes as an uninterrupted
run's.

The last line on stderr counts the API requests, image reads and rate-limit
retries of the run (-o json prints them under "run"). With SOURCE_DATE_EPOCH
set (seconds since 1970), every time written in the reports is that time, so
two runs over the same cluster write the same bytes.

Exit codes: 0 every student graded, 2 bad flags or roster, 3 with --strict:
a student had a check that could not run, 4 internal error, 130 interrupted.` + gradeSubmissionsHelp,
		Example: `  kubelab grade --roster class.csv --out results
  kubelab grade --roster class.csv --out results --deadline "2025-03-10 23:59" --late-policy percent:10
  kubelab grade --roster class.csv --out results --resume
  kubelab grade --roster class.csv --out shard-2 --shard 2/4
  kubelab grade merge shard-0 shard-1 shard-2 shard-3 --out results
  kubelab grade --submissions handed-in/ --out results --keys last-lab/keys.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			// The lab's own late policy applies unless the flag says otherwise.
			o.latePolicyGiven = cmd.Flags().Changed("late-policy")
			if !o.latePolicyGiven && lab.LatePolicy != "" {
				o.LatePolicy = lab.LatePolicy
			}
			if o.Submissions.Dir != "" {
				return runSubmissions(cmd, o, &o.Submissions, lab)
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), lab)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Roster, "roster", "", "the class roster (CSV with a header: student_id,name,image[,namespace,context,kubeconfig,deployment])")
	f.StringVar(&o.Out, "out", "", "output directory")
	f.IntVarP(&o.Jobs, "jobs", "j", 4, "students graded at once")
	f.DurationVar(&o.Timeout, "timeout-per-student", 2*time.Minute, "longest time one student may take; past it the student is an error row")
	f.StringVar(&o.Deadline, "deadline", "", `flag work done after this time: RFC 3339 or "2006-01-02 15:04" (local time)`)
	f.StringVar(&o.LatePolicy, "late-policy", "none", "what lateness costs: none (flag only), zero, or percent:N (N% off per started day)")
	f.BoolVar(&o.Resume, "resume", false, "grade only the students without a result in --out (after an interrupted run)")
	f.BoolVar(&o.RetryErrors, "retry-errors", false, "with --resume, also grade again the students whose result has an error, points not graded, or caught their cluster mid-change")
	f.DurationVar(&o.Settle, "settle", 30*time.Second, "how long to wait for students caught mid-change (a pod still starting, a new pod not yet routed) to settle: they are graded again every 5 s until then (0: grade each once)")
	f.BoolVar(&o.Force, "force", false, "grade everyone again into an --out that already holds results")
	o.clusterFlags.add(f, sharedCluster)
	f.StringVar(&o.NamespacePrefix, "namespace-prefix", "", "put this before the sanitised student id to make a student's default namespace")
	f.StringVar(&o.Shard, "shard", "", "grade one slice of the roster, I/N with 0 <= I < N (stable by student id)")
	f.BoolVar(&o.RunImages, "run-images", false, "run each distinct image in Docker for image.runs (off: the check is skipped)")
	f.StringVarP(&o.Output, "output", "o", "text", "summary printed at the end: text or json")
	f.BoolVar(&o.Strict, "strict", false, "exit 3 when a student had a check that could not run (environment errors)")
	f.Float64Var(&o.RegistryQPS, "registry-qps", 0, "at most this many registry requests per second for the whole run (0: no limit; a 429's Retry-After always pauses every request)")
	f.DurationVar(&o.MaxRetryWait, "max-retry-wait", 2*time.Minute, "longest Retry-After of a rate-limited registry to wait out (then retry once)")
	o.Submissions.add(cmd)
	o.Memory.add(f)
	f.StringVar(&o.LMS.Format, "lms", "", "also write OUT/lms-FORMAT.csv for the LMS: canvas, moodle or csv (see kubelab grade export)")
	f.StringVar(&o.LMS.Assignment, "assignment", "", "with --lms, the gradebook column's name (default: the lab's title)")
	f.BoolVar(&o.LMS.Provisional, "provisional", false, "with --lms, also export incomplete grades (points not graded); without it their grade cell is empty")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("late-policy", cobra.FixedCompletions([]string{"none", "zero", "percent:10"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newGradeMergeCmd(g), newGradeExportCmd(g))
	return cmd
}
