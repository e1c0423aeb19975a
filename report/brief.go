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
	for _, st := range StepLines(r) {
		mark, color := marks[st.Status], colors[st.Status]
		if st.NotChecked {
			mark, color = notGradedMark, colors[Skipped]
		}
		line := fmt.Sprintf("%d. %s  %s/%s", st.N, clean(st.Title), num(st.Points), num(st.MaxPoints))
		if st.Note != "" {
			line += " (" + st.Note + ")"
		}
		fmt.Fprintf(b, "  %s %s\n", paint(color, mark), line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// StepLine is one step of the brief report: its points out of all it is
// worth (points not graded included) and how far it could be checked.
type StepLine struct {
	N         int
	ID, Title string
	Points    float64
	MaxPoints float64
	// Status is Pass (every point earned, all checked), Partial (some
	// earned, or partly checked) or Fail; NotChecked is set when none of
	// the step's checks could run. Note says "not checked yet" or "partly
	// checked" in the report's language when checks could not run.
	Status     Status
	NotChecked bool
	Note       string
}

// StepLines sums the report up one line per step, as WriteTextBrief and
// the serve page show it when the student's machine is not ready.
func StepLines(r *Report) []StepLine {
	L := LabelsFor(r.Lang)
	var out []StepLine
	for i, g := range groups(r, L.OtherChecks) {
		st := g.Step
		notGraded := 0
		for _, c := range g.Checks {
			if c.NotGraded || c.Status == Error || c.Status == Skipped {
				notGraded++
			}
		}
		l := StepLine{N: i + 1, ID: st.ID, Title: st.Title, Points: st.Points, MaxPoints: st.MaxPoints + st.NotGradedPoints, Status: Fail}
		switch {
		case notGraded == len(g.Checks):
			l.NotChecked, l.Note = true, L.NotCheckedYet
		case st.Points >= l.MaxPoints && notGraded == 0:
			l.Status = Pass
		case notGraded > 0:
			l.Status, l.Note = Partial, L.PartlyChecked
		case st.Points > 0:
			l.Status = Partial
		}
		out = append(out, l)
	}
	return out
}
