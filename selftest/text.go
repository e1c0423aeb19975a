package selftest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kubelab/kubelab/internal/shellwords"
)

// TextOptions control WriteText.
type TextOptions struct {
	// BrokenOnly lists only the expectations that did not hold.
	BrokenOnly bool
	// Transcript shows each command's output.
	Transcript bool
}

// WriteText writes the self-test as a table per state (step, check,
// expected, got, result, message), then what broke, then a summary.
func WriteText(w io.Writer, r *Result, opt TextOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Self-test of lab %s %s\n", r.Lab, r.Version)
	fmt.Fprintf(&b, "  namespace %s, student image %s\n", r.Namespace, r.Image)
	for i, s := range r.States {
		fmt.Fprintf(&b, "\n[%d/%d] %s  (%.1fs, graded %d time(s))\n", i+1, len(r.States), s.Name(), s.Duration.Seconds(), s.Grades)
		for _, f := range s.Files {
			fmt.Fprintf(&b, "  wrote %s\n", f)
		}
		for _, p := range s.Pushed {
			fmt.Fprintf(&b, "  pushed %s\n", p)
		}
		for _, c := range s.Commands {
			shown := c.Line
			if len(c.Args) > 0 {
				shown = shellwords.Join(c.Args)
			}
			fmt.Fprintf(&b, "  $ %s\n", shown)
			if opt.Transcript || c.Err != "" {
				if out := indent(c.Output); out != "" {
					b.WriteString("  " + strings.ReplaceAll(out, "\n", "\n  ") + "\n")
				}
			}
			if c.Err != "" {
				fmt.Fprintf(&b, "    (%s)\n", c.Err)
			}
		}
		if s.Served != "" {
			fmt.Fprintf(&b, "  standing in for the app behind service %s on its node port\n", s.Served)
		}
		for _, p := range s.Problems {
			fmt.Fprintf(&b, "  PROBLEM: %s\n", p)
		}
		var rows []Row
		for _, row := range s.Rows {
			if !opt.BrokenOnly || !row.Held {
				rows = append(rows, row)
			}
		}
		if len(rows) == 0 {
			if len(s.Rows) == 0 {
				b.WriteString("  (no check to judge in this state)\n")
			}
			continue
		}
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  STEP\tCHECK\tEXPECTED\tGOT\tRESULT\tMESSAGE")
		for _, row := range rows {
			result := "ok"
			if !row.Held {
				result = "BROKEN"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", row.Step, row.Check, row.ExpectText(), row.GotText(), result, short(row.Message, 90))
		}
		_ = tw.Flush()
	}
	held, broken, notTested := r.Counts()
	fmt.Fprintf(&b, "\n%d expectation(s) held, %d broken", held, broken)
	if notTested > 0 {
		fmt.Fprintf(&b, ", %d not tested (needs Docker)", notTested)
	}
	fmt.Fprintf(&b, "; %d state(s) in %.1fs\n", len(r.States), r.Duration.Seconds())
	if r.OK() {
		fmt.Fprintf(&b, "PASSED: the solution completes every step, no check passes before its step, and the finished lab earns every check.\n")
	} else {
		b.WriteString("FAILED:\n")
		for _, x := range r.Broken() {
			b.WriteString("  - " + strings.ReplaceAll(x, "\n", "\n    ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
