package report

import (
	"fmt"
	"io"
)

// WriteTextBrief renders the report for a student whose machine is not
// ready yet: the heading, the before block the caller wrote (what is
// missing and the command that fixes each, in the student's language),
// then one line per step instead of one per check. The checks that could
// not run all failed for the same few reasons the before block names, so
// listing them again (each with its hints) would only hide the fix.
func WriteTextBrief(w io.Writer, r *Report, before string, opt TextOptions) error {
	r, L, paint, b := beginText(r, opt)
	if r.Target.Image != "" {
		fmt.Fprintf(b, "%s: %s\n", L.Image, clean(r.Target.Image))
	}
	b.WriteString("\n")
	b.WriteString(before)
	fmt.Fprintf(b, "\n%s:\n", paint(ansiBold, L.Steps))
	for i, g := range groups(r, L.OtherChecks) {
		st := g.Step
		notGraded := 0
		for _, c := range g.Checks {
			if c.NotGraded || c.Status == Error || c.Status == Skipped {
				notGraded++
			}
		}
		max := st.MaxPoints + st.NotGradedPoints
		mark, color, note := marks[Fail], colors[Fail], ""
		switch {
		case notGraded == len(g.Checks):
			mark, color, note = notGradedMark, colors[Skipped], L.NotCheckedYet
		case st.Points >= max && notGraded == 0:
			mark, color = marks[Pass], colors[Pass]
		case notGraded > 0:
			mark, color, note = marks[Partial], colors[Partial], L.PartlyChecked
		case st.Points > 0:
			mark, color = marks[Partial], colors[Partial]
		}
		line := fmt.Sprintf("%d. %s  %s/%s", i+1, clean(st.Title), num(st.Points), num(max))
		if note != "" {
			line += " (" + note + ")"
		}
		fmt.Fprintf(b, "  %s %s\n", paint(color, mark), line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
