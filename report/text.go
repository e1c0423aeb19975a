package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// TextOptions control the terminal rendering.
type TextOptions struct {
	// Color adds ANSI colours (only for a terminal without NO_COLOR).
	Color bool
	// Evidence prints each check's evidence.
	Evidence bool
}

var marks = map[Status]string{Pass: "✔", Fail: "✘", Partial: "◐", Error: "!", Skipped: "–"}

// notGradedMark marks a check that was not graded.
const notGradedMark = "○"

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var colors = map[Status]string{Pass: "\x1b[32m", Fail: "\x1b[31m", Partial: "\x1b[33m", Error: "\x1b[35m", Skipped: "\x1b[90m"}

// paintFunc wraps s in an ANSI colour code, or returns it as it is when
// the output has no colour.
type paintFunc func(code, s string) string

// beginText starts a terminal report the way both text renderers do: the
// report sanitized, its labels, the painter, and the title line
// ("Title — lab (id version)") already written to the builder returned.
func beginText(r *Report, opt TextOptions) (*Report, Labels, paintFunc, *strings.Builder) {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	paint := func(code, s string) string {
		if !opt.Color {
			return s
		}
		return code + s + ansiReset
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s — %s (%s %s)\n", paint(ansiBold, L.Title), clean(r.Lab.Title), clean(r.Lab.ID), clean(r.Lab.Version))
	return r, L, paint, b
}

// WriteText renders the report for a terminal: one block per step with
// each check's status, points, message and hint, then the total.
func WriteText(w io.Writer, r *Report, opt TextOptions) error {
	r, L, paint, b := beginText(r, opt)
	if r.Student.ID != "" || r.Student.Name != "" {
		fmt.Fprintf(b, "%s: %s %s\n", L.Student, clean(r.Student.ID), clean(r.Student.Name))
	}
	if r.Target.Image != "" {
		img := clean(r.Target.Image)
		if r.Target.Digest != "" {
			img += " (" + clean(r.Target.Digest) + ")"
		}
		fmt.Fprintf(b, "%s: %s\n", L.Image, img)
	}
	if r.Target.Server != "" || r.Target.Context != "" {
		fmt.Fprintf(b, "%s: %s (%s %s, %s %s)\n", L.Cluster, clean(r.Target.Server), strings.ToLower(L.Context), clean(r.Target.Context), strings.ToLower(L.Namespace), clean(r.Target.Namespace))
	}
	if next := NextSteps(r); len(next) > 0 {
		first := next[0]
		fmt.Fprintf(b, "\n%s: %s — %s\n", paint(ansiBold, L.NextSteps), clean(first.ID), clean(first.Message))
		if h := nextHint(first); h != "" {
			fmt.Fprintf(b, "  → %s\n", clean(h))
		}
		if more := andMore(L, next, clean); more != "" {
			fmt.Fprintf(b, "  %s\n", more)
		}
	}
	width, statusW := 0, 8
	for _, c := range r.Checks {
		if len(c.ID) > width {
			width = len(c.ID)
		}
		if n := utf8.RuneCountInString(statusName(L, c)); n > statusW {
			statusW = n
		}
	}
	indent := width + statusW + 11
	for _, g := range groups(r, L.OtherChecks) {
		st, rows := g.Step, g.Checks
		head := fmt.Sprintf("%s/%s", num(st.Points), num(st.MaxPoints))
		if st.NotGradedPoints > 0 {
			head += " (" + fmt.Sprintf(L.NotGradedPoints, num(st.NotGradedPoints)) + ")"
		}
		fmt.Fprintf(b, "\n%s  %s\n", paint(ansiBold, clean(st.Title)), paint(ansiDim, head))
		for _, c := range rows {
			mark, color := marks[c.Status], colors[c.Status]
			if c.NotGraded {
				mark, color = notGradedMark, colors[Skipped]
			}
			status := fmt.Sprintf("%s %-*s", mark, statusW, statusName(L, c))
			fmt.Fprintf(b, "  %s %-*s %7s  %s\n", paint(color, status), width, clean(c.ID), pointsLine(c), clean(c.Message))
			for _, h := range allHints(c) {
				fmt.Fprintf(b, "  %*s %s: %s\n", indent, "", strings.ToLower(L.Hint), clean(h))
			}
			if opt.Evidence {
				for _, e := range c.Evidence {
					fmt.Fprintf(b, "  %*s %s\n", indent, "", paint(ansiDim, clean(e.Name)+": "+clean(e.Value)))
				}
			}
		}
	}
	fmt.Fprintf(b, "\n%s: %s/%s (%s)", paint(ansiBold, L.Total), num(r.Score), num(r.MaxScore), percentNote(r, L))
	var counts []string
	for _, s := range Statuses {
		counts = append(counts, fmt.Sprintf("%s %d", L.StatusName[s], r.Counts[s]))
	}
	fmt.Fprintf(b, "   %s\n", strings.Join(counts, " · "))
	switch state, text := verdictOf(r, L); state {
	case verdictPassed:
		fmt.Fprintln(b, paint(colors[Pass], text))
	case verdictUndecided:
		fmt.Fprintln(b, paint(colors[Error], text))
	default:
		fmt.Fprintln(b, paint(colors[Fail], text))
	}
	if lines := notGradedLines(r); len(lines) > 0 {
		fmt.Fprintf(b, "%s:\n", L.NotGradedList)
		for _, l := range lines {
			fmt.Fprintf(b, "  %s %s\n", notGradedMark, clean(l))
		}
		fmt.Fprintln(b, L.NotGradedAdvice)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(f float64) string { return FormatPoints(f) }

// FormatPoints writes points (and percentages) the way every report,
// class file and command shows them: at most two decimals, no trailing
// zeros, never "-0" ("7.5", "10", "66.67"). Two decimals also hide float
// noise such as 0.30000000000000004.
func FormatPoints(f float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// clean removes control characters (terminal escapes) from text that came
// from a student's cluster or image, so it cannot repaint the grader's
// terminal.
func clean(s string) string { return CleanLine(s) }
