package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// RenderOptions control rendering; each format uses the ones that apply.
type RenderOptions struct {
	// Color adds ANSI colours (text).
	Color bool
	// Evidence prints each check's evidence (text; the other formats always
	// carry it).
	Evidence bool
	// LessonURL links each step to its lesson (html, markdown); nil links a
	// step title to its own anchor in the HTML and to nothing in Markdown.
	LessonURL func(stepID string) string
}

// Format is one way to render a report.
type Format struct {
	Name string
	// Ext is the usual file extension, with the dot.
	Ext string
	// MediaType is the content type to serve it with.
	MediaType string
	Write     func(w io.Writer, r *Report, opt RenderOptions) error
}

// Formats lists every renderer by name; `kubelab check -o`, `kubelab
// report render -o` and batch grading all use it.
var Formats = map[string]Format{
	"text": {Name: "text", Ext: ".txt", MediaType: "text/plain; charset=utf-8", Write: func(w io.Writer, r *Report, o RenderOptions) error {
		return WriteText(w, r, TextOptions{Color: o.Color, Evidence: o.Evidence})
	}},
	"json": {Name: "json", Ext: ".json", MediaType: "application/json", Write: func(w io.Writer, r *Report, _ RenderOptions) error {
		return WriteJSON(w, r)
	}},
	"html": {Name: "html", Ext: ".html", MediaType: "text/html; charset=utf-8", Write: func(w io.Writer, r *Report, o RenderOptions) error {
		return WriteHTML(w, r, HTMLOptions{LessonURL: o.LessonURL})
	}},
	"junit": {Name: "junit", Ext: ".xml", MediaType: "application/xml", Write: func(w io.Writer, r *Report, _ RenderOptions) error {
		return WriteJUnit(w, r)
	}},
	"markdown": {Name: "markdown", Ext: ".md", MediaType: "text/markdown; charset=utf-8", Write: func(w io.Writer, r *Report, o RenderOptions) error {
		return WriteMarkdown(w, r, MarkdownOptions{LessonURL: o.LessonURL})
	}},
	"gradescope": {Name: "gradescope", Ext: ".json", MediaType: "application/json", Write: func(w io.Writer, r *Report, _ RenderOptions) error {
		return WriteGradescope(w, r)
	}},
	"csv": {Name: "csv", Ext: ".csv", MediaType: "text/csv; charset=utf-8", Write: func(w io.Writer, r *Report, _ RenderOptions) error {
		return WriteCSV(w, r)
	}},
	"classroom": {Name: "classroom", Ext: ".b64", MediaType: "text/plain; charset=us-ascii", Write: func(w io.Writer, r *Report, _ RenderOptions) error {
		return WriteClassroom(w, r)
	}},
}

// formatOrder is the order formats are listed in help and errors.
var formatOrder = []string{"text", "json", "html", "junit", "markdown", "gradescope", "csv", "classroom"}

// FormatNames returns the format names in display order.
func FormatNames() []string {
	out := append([]string(nil), formatOrder...)
	var extra []string
	for n := range Formats {
		if !contains(out, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Render writes r in the named format.
func Render(w io.Writer, format string, r *Report, opt RenderOptions) error {
	f, ok := Formats[format]
	if !ok {
		return fmt.Errorf("unknown report format %q (formats: %s)", format, strings.Join(FormatNames(), ", "))
	}
	return f.Write(w, r, opt)
}

// stepGroup is a step with its checks, in report order.
type stepGroup struct {
	Step   Step
	Checks []Result
}

// groups returns the report's steps that have checks, each with its
// checks; checks naming no listed step come last under an "other" group
// titled other.
func groups(r *Report, other string) []stepGroup {
	idx := map[string]int{}
	var out []stepGroup
	for _, s := range r.Steps {
		if _, dup := idx[s.ID]; dup {
			continue
		}
		idx[s.ID] = len(out)
		out = append(out, stepGroup{Step: s})
	}
	var orphans []Result
	for _, c := range r.Checks {
		if i, ok := idx[c.Step]; ok {
			out[i].Checks = append(out[i].Checks, c)
		} else {
			orphans = append(orphans, c)
		}
	}
	kept := out[:0]
	for _, g := range out {
		if len(g.Checks) > 0 {
			kept = append(kept, g)
		}
	}
	if len(orphans) > 0 {
		g := stepGroup{Step: Step{ID: "other", Title: other}, Checks: orphans}
		for _, c := range orphans {
			g.Step.Points += c.Points
			g.Step.MaxPoints += c.MaxPoints
		}
		g.Step.Points, g.Step.MaxPoints = round2(g.Step.Points), round2(g.Step.MaxPoints)
		kept = append(kept, g)
	}
	return kept
}

// studentLine is "Name (id)", "Name" or "id".
func studentLine(s Student) string {
	switch {
	case s.Name != "" && s.ID != "":
		return s.Name + " (" + s.ID + ")"
	case s.Name != "":
		return s.Name
	}
	return s.ID
}

// dateLine formats a time in UTC for the reports.
func dateLine(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// durationLine formats the run's length ("3.2 s").
func durationLine(r *Report) string {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return ""
	}
	d := r.FinishedAt.Sub(r.StartedAt)
	if d < 0 {
		return ""
	}
	return num(round2(d.Seconds())) + " s"
}

// pointsLine is "2/3", "-" for an informational check worth nothing, or
// "-/3" for a check that was not graded (it earned nothing and is left out
// of the maximum).
func pointsLine(c Result) string {
	if c.MaxPoints == 0 {
		return "-"
	}
	if c.NotGraded {
		return "-/" + num(c.MaxPoints)
	}
	return num(c.Points) + "/" + num(c.MaxPoints)
}

// evidenceLines renders evidence as "name: value" lines.
func evidenceLines(ev []Fact) []string {
	out := make([]string, 0, len(ev))
	for _, e := range ev {
		out = append(out, e.Name+": "+e.Value)
	}
	return out
}

// extraHints are the check's further hints, without the one already shown
// as its hint.
func extraHints(c Result) []string {
	var out []string
	for _, h := range c.Hints {
		if h != c.Hint && h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Verdict states: what a report says of the lab as a whole.
const (
	verdictPassed    = "passed"
	verdictNotPassed = "not-passed"
	// verdictUndecided: a required check was not graded and nothing graded
	// decides the lab yet (Report.Undecided).
	verdictUndecided = "undecided"
)

// verdictOf returns the report's verdict state and its words.
func verdictOf(r *Report, L Labels) (state, text string) {
	switch {
	case r.Passed:
		return verdictPassed, L.Passed
	case r.Undecided():
		return verdictUndecided, L.Undecided
	}
	return verdictNotPassed, L.NotPassed
}

// scoreNote is the note that goes beside the score when points were not
// graded ("5 points not graded"), else "".
func scoreNote(r *Report, L Labels) string {
	if r.NotGradedPoints <= 0 {
		return ""
	}
	return fmt.Sprintf(L.NotGradedPoints, num(r.NotGradedPoints))
}

// percentNote is "95%", or "100%; 5 points not graded".
func percentNote(r *Report, L Labels) string {
	s := num(r.Percent()) + "%"
	if n := scoreNote(r, L); n != "" {
		s += "; " + n
	}
	return s
}

// statusName is the status a reader sees: "not graded" for a check that
// was not graded, whatever its status.
func statusName(L Labels, c Result) string {
	if c.NotGraded {
		return L.NotGraded
	}
	if n := L.StatusName[c.Status]; n != "" {
		return n
	}
	return string(c.Status)
}

// notGradedLines lists the checks that were not graded, one line each:
// "id (5): why".
func notGradedLines(r *Report) []string {
	var out []string
	for _, c := range r.NotGradedChecks() {
		out = append(out, notGradedLine(c))
	}
	return out
}

func notGradedLine(c Result) string {
	id := c.ID
	if c.MaxPoints > 0 {
		id += " (" + num(c.MaxPoints) + ")"
	}
	return id + ": " + c.Message
}
