package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

type gradescopeTest struct {
	Score        float64 `json:"score"`
	MaxScore     float64 `json:"max_score"`
	Name         string  `json:"name"`
	Output       string  `json:"output"`
	OutputFormat string  `json:"output_format"`
	Status       string  `json:"status,omitempty"`
	Visibility   string  `json:"visibility"`
}

type gradescopeResults struct {
	Score            float64          `json:"score"`
	Output           string           `json:"output"`
	OutputFormat     string           `json:"output_format"`
	TestOutputFormat string           `json:"test_output_format"`
	Visibility       string           `json:"visibility"`
	Tests            []gradescopeTest `json:"tests"`
}

// WriteGradescope renders the report as a Gradescope autograder
// results.json: the total score, one test per check (score, max_score,
// name "step › check", output with status, message, hints and evidence),
// all visible. A check not graded has max_score 0 and no status (neither
// passed nor failed), "(not graded)" in its name and the reason in its
// output; the total's output says how many points were not graded. Outputs are declared plain text, so nothing in them is read
// as HTML or Markdown by Gradescope.
func WriteGradescope(w io.Writer, r *Report) error {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	res := gradescopeResults{Score: r.Score, OutputFormat: "text", TestOutputFormat: "text", Visibility: "visible", Tests: []gradescopeTest{}}
	_, verdict := verdictOf(r, L)
	var out strings.Builder
	if st := studentLine(r.Student); st != "" {
		fmt.Fprintf(&out, "%s: %s\n", L.Student, st)
	}
	fmt.Fprintf(&out, "%s: %s %s\n", L.Lab, r.Lab.ID, r.Lab.Version)
	fmt.Fprintf(&out, "%s: %s/%s (%s). %s.\n", L.Score, num(r.Score), num(r.MaxScore), percentNote(r, L), verdict)
	if lines := notGradedLines(r); len(lines) > 0 {
		fmt.Fprintf(&out, "%s:\n", L.NotGradedList)
		for _, l := range lines {
			fmt.Fprintf(&out, "- %s\n", l)
		}
		fmt.Fprintf(&out, "%s\n", L.NotGradedAdvice)
	}
	if r.Target.Image != "" {
		fmt.Fprintf(&out, "%s: %s %s\n", L.Image, r.Target.Image, r.Target.Digest)
	}
	if r.Target.Server != "" {
		fmt.Fprintf(&out, "%s: %s (%s %s, %s %s)\n", L.Cluster, r.Target.Server, L.Context, r.Target.Context, L.Namespace, r.Target.Namespace)
	}
	if r.Signature != nil {
		fmt.Fprintf(&out, "%s: ed25519, %s %s\n", L.Signature, L.SignedWith, r.Signature.KeyID)
	}
	res.Output = clean2(out.String())
	for _, g := range groups(r, L.OtherChecks) {
		title := g.Step.Title
		if title == "" {
			title = g.Step.ID
		}
		for _, c := range g.Checks {
			status := "failed"
			if c.Status == Pass {
				status = "passed"
			}
			t := gradescopeTest{
				Score: c.Points, MaxScore: c.MaxPoints,
				Name:   clean(title) + " › " + clean(c.ID),
				Output: clean2(statusName(L, c) + "\n" + checkDetail(L, c)), OutputFormat: "text",
				Status: status, Visibility: "visible",
			}
			if c.NotGraded {
				// Left out of the maximum, and neither passed nor
				// failed: no status, the name and output say why.
				t.MaxScore, t.Status = 0, ""
				t.Name += " (" + L.NotGraded + ")"
			}
			res.Tests = append(res.Tests, t)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(true)
	if err := enc.Encode(res); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// clean2 is clean for multi-line text: it keeps newlines.
func clean2(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}
