package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/report"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render, show and verify saved JSON reports",
		Long: `A JSON report (kubelab check -o json) is the source of truth: every other
format is rendered from it, and a signed one can be verified.`,
		Example: `  kubelab report show report.json
  kubelab report render report.json -o html --output-file report.html
  kubelab report verify report.json --pubkey kubelab.pub`,
	}
	cmd.AddCommand(newReportRenderCmd(), newReportShowCmd(), newReportVerifyCmd())
	return cmd
}

type reportRenderOptions struct {
	Output     string
	OutputFile string
	LessonURL  string
	Evidence   bool
}

func newReportRenderCmd() *cobra.Command {
	o := &reportRenderOptions{}
	cmd := &cobra.Command{
		Use:   "render FILE.json",
		Short: "Render a saved JSON report as html, junit, markdown, gradescope, csv, text or json",
		Long: `render turns a saved JSON report into another format. The result is the
same as kubelab check -o FORMAT gave when the report was made. FILE.json may
be - for standard input.

Exit codes: 0 rendered, 2 the file is missing or no valid report, or an
unknown format, 4 the output could not be written.`,
		Example: `  kubelab report render report.json -o html --output-file report.html
  kubelab report render report.json -o junit > junit.xml
  kubelab report render report.json -o markdown --lesson-url https://example.edu/lab1.html
  kubelab report render report.json -o gradescope --output-file /autograder/results/results.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(streams(cmd), args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "html", "format: "+strings.Join(report.FormatNames(), ", "))
	f.StringVar(&o.OutputFile, "output-file", "", "write to this file instead of standard output")
	f.StringVar(&o.LessonURL, "lesson-url", "", "link each step (html, markdown) to its lesson: URL#STEP, or URL with {step} in it")
	f.BoolVar(&o.Evidence, "evidence", false, "print each check's evidence (text format)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(report.FormatNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *reportRenderOptions) run(ios *ioStreams, path string) (err error) {
	stdin, stdout := ios.In, ios.Out
	if _, ok := report.Formats[o.Output]; !ok {
		return exitf(ExitUsage, "-o %q: use one of %s", o.Output, strings.Join(report.FormatNames(), ", "))
	}
	r, err := readReport(stdin, path)
	if err != nil {
		return err
	}
	w, done, err := openOutput(stdout, o.OutputFile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done(err == nil)) }()
	opt := report.RenderOptions{Color: o.OutputFile == "" && isTerminal(stdout), Evidence: o.Evidence, LessonURL: lessonURL(o.LessonURL)}
	if err := report.Render(w, o.Output, r, opt); err != nil {
		return exitf(ExitInternal, "writing the report: %w", err)
	}
	if o.Output == "classroom" {
		return classroomOutput(r)
	}
	return nil
}

func newReportShowCmd() *cobra.Command {
	var evidence bool
	cmd := &cobra.Command{
		Use:   "show FILE.json",
		Short: "Show a saved JSON report in the terminal",
		Long: `show prints a saved JSON report as kubelab check prints it. It does not
check a signature: use kubelab report verify for that.

Exit codes: 0 shown, 2 the file is missing or no valid report.`,
		Example: `  kubelab report show report.json
  kubelab report show report.json --evidence`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := readReport(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if err := report.WriteText(out, r, report.TextOptions{Color: isTerminal(out), Evidence: evidence}); err != nil {
				return exitf(ExitInternal, "%w", err)
			}
			if r.Signature != nil {
				fmt.Fprintf(out, "signed with key %s (not checked here: kubelab report verify %s --pubkey KEY)\n", printable(r.Signature.KeyID), printable(args[0]))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&evidence, "evidence", false, "print each check's evidence")
	return cmd
}

func newReportVerifyCmd() *cobra.Command {
	var pubkeys []string
	cmd := &cobra.Command{
		Use:   "verify FILE.json --pubkey KEY",
		Short: "Check a signed report: valid, altered or unsigned",
		Long: `verify checks the report's ed25519 signature against the public key(s) you
trust (--pubkey, repeatable: a PEM file from kubelab keys generate, or the
base64 public key). It says:

  valid     the report is byte for byte what the key's holder signed
  altered   the report or its signature was changed after signing
  unsigned  the report carries no signature
  other key the signature is intact but was made by a key you did not give

and prints the key id and the fingerprint of the cluster and image the
report came from.

A valid signature proves that the report was not changed after the holder of
the key signed it, and which cluster (its CA and kube-system namespace) and
image digest the grading machine saw. It does not prove that kubelab's checks
ran unmodified on that machine, or that the cluster was a real one and not a
fake that answers like one.

Exit codes: 0 valid, 1 altered, unsigned or signed by another key, 2 the
file or key cannot be read.`,
		Example: `  kubelab report verify report.json --pubkey kubelab.pub
  kubelab report verify report.json --pubkey lab-pc-1.pub --pubkey lab-pc-2.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(streams(cmd), args[0], pubkeys)
		},
	}
	cmd.Flags().StringArrayVar(&pubkeys, "pubkey", nil, "public key to trust (PEM file, or base64 of the raw key); repeatable")
	_ = cmd.MarkFlagRequired("pubkey")
	return cmd
}

func runVerify(ios *ioStreams, path string, pubkeys []string) error {
	var trusted []ed25519.PublicKey
	for _, p := range pubkeys {
		k, err := loadPublicKey(p)
		if err != nil {
			return err
		}
		trusted = append(trusted, k)
	}
	data, err := readInput(ios.In, path)
	if err != nil {
		return err
	}
	v, err := report.Verify(data, trusted)
	if err != nil {
		return exitf(ExitUsage, "%s: %w", path, err)
	}
	v.WriteSummary(ios.Out)
	if v.Status != report.Valid {
		return silentExit(ExitNotPassed)
	}
	return nil
}
