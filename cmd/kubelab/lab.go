package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

func newLabCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "List, show and validate labs",
		Example: `  kubelab lab list
  kubelab lab show --step dockerfile
  kubelab lab validate ./my-lab`,
	}
	cmd.AddCommand(newLabListCmd(g), newLabStepsCmd(g), newLabShowCmd(g), newLabValidateCmd(g), newLabChecksCmd())
	cmd.AddCommand(newLabSelftestCmd(g))
	cmd.AddCommand(newLabNewCmd(g))
	return cmd
}

func newLabListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the built-in labs (and the one in --lab-dir)",
		Example: "  kubelab lab list\n  kubelab lab list --lab-dir ./my-lab",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := labs.Builtin(checks.CatalogForLabs())
			if err != nil {
				return exitf(ExitInternal, "%w", err)
			}
			if g.LabDir != "" {
				l, err := labs.Find("", g.LabDir, checks.CatalogForLabs())
				if err != nil {
					return exitf(ExitUsage, "%w", err)
				}
				all = append(all, l)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVERSION\tSTEPS\tPOINTS\tSOURCE\tTITLE")
			for _, l := range all {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", l.ID, l.Version, len(l.Steps), fmtNum(l.MaxScore()), l.Source, l.Title.Get(g.Lang))
			}
			return tw.Flush()
		},
	}
}

type labShowOptions struct {
	g      *globalOptions
	Step   string
	Format string
	Out    string
	Width  int
}

func newLabShowCmd(g *globalOptions) *cobra.Command {
	o := &labShowOptions{g: g}
	cmd := &cobra.Command{
		Use:   "show [LAB]",
		Short: "Show a lab's lesson in the terminal, as HTML or as Markdown",
		Example: `  kubelab lab show
  kubelab lab show kubernetes-basics --step docker-push --lang id
  kubelab lab show --format html --output-file lesson.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			return o.run(cmd.OutOrStdout(), lab)
		},
	}
	// pflag shows the first back-quoted word of a usage as the value's
	// name: "--step ID". The ids themselves come from kubelab lab steps.
	cmd.Flags().StringVar(&o.Step, "step", "", "show only the step with this `ID` (kubelab lab steps lists them)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text (terminal), html (one self-contained page) or md (the Markdown)")
	cmd.Flags().StringVar(&o.Out, "output-file", "", "write to this file instead of standard output")
	cmd.Flags().IntVar(&o.Width, "width", 0, "wrap --format text to this many columns (default: the terminal's width, else 80)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "html", "md"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *labShowOptions) run(stdout io.Writer, lab *labs.Lab) (err error) {
	if o.Step != "" && lab.Step(o.Step) == nil {
		var ids []string
		for _, s := range lab.Steps {
			ids = append(ids, s.ID)
		}
		return exitf(ExitUsage, "--step %q: lab %s has no such step (steps: %s; kubelab lab steps lists them with titles)", o.Step, lab.ID, strings.Join(ids, ", "))
	}
	w, done, err := openOutput(stdout, o.Out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done(err == nil)) }()
	lang := o.g.Lang
	switch o.Format {
	case "html":
		return labs.WritePage(w, lab, lang, o.Step)
	case "md", "markdown":
		for _, st := range lab.Steps {
			if o.Step == "" || st.ID == o.Step {
				fmt.Fprintf(w, "<!-- step: %s -->\n%s\n", st.ID, strings.TrimRight(lab.Markdown[st.ID].Get(lang), "\n"))
			}
		}
		return nil
	case "text":
		width := o.Width
		if width <= 0 {
			width = termWidth(stdout)
		}
		opt := labs.TermOptions{Color: o.Out == "" && isTerminal(stdout), Width: width}
		for i, st := range lab.Steps {
			if o.Step != "" && st.ID != o.Step {
				continue
			}
			fmt.Fprintf(w, "[%d/%d %s]\n\n", i+1, len(lab.Steps), st.ID)
			if err := labs.RenderTerminal(w, lab.Markdown[st.ID].Get(lang), opt); err != nil {
				return err
			}
			fmt.Fprintln(w)
		}
		return nil
	}
	return exitf(ExitUsage, "--format %q: use text, html or md", o.Format)
}

func newLabValidateCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "validate DIR",
		Short:   "Check a lab directory (lab.yaml + Markdown) and list every problem with file, line and field",
		Example: `  kubelab lab validate ./my-lab`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return exitf(ExitUsage, "%s is not a directory", dir)
			}
			l, err := labs.Load(os.DirFS(dir), ".", checks.CatalogForLabs())
			if err != nil {
				var ve *labs.ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						p.File = strings.TrimSuffix(dir, "/") + "/" + p.File
						fmt.Fprintln(cmd.ErrOrStderr(), p.String())
					}
					return exitf(ExitUsage, "%s: %d problem(s)", dir, len(ve.Problems))
				}
				return exitf(ExitUsage, "%s: %w", dir, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s %s is valid: %d steps, %d checks, %s points, languages %s\n",
				dir, l.ID, l.Version, len(l.Steps), len(l.Checks()), fmtNum(l.MaxScore()), strings.Join(l.Languages, ", "))
			return nil
		},
	}
}

func newLabChecksCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "checks",
		Short:   "List the check catalog: every check id a lab can use, with its parameters",
		Example: "  kubelab lab checks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, id := range checks.IDs() {
				c, _ := checks.Lookup(id)
				fmt.Fprintf(w, "%s\n    %s\n", id, c.Doc)
				for _, p := range c.Params {
					fmt.Fprintf(w, "    param %s (default %v): %s\n", p.Name, p.Default, p.Doc)
				}
			}
			return nil
		},
	}
}
