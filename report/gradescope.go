package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Gradescope's results.json, as gradescope/autograder_samples docs/specs.md
// ("Output format", "Test case status") describes it. Every field written
// here is one the spec names; TestGradescopeSpec holds the list.

type gradescopeTest struct {
	Score        float64 `json:"score"`
	MaxScore     float64 `json:"max_score"`
	Name         string  `json:"name"`
	Number       string  `json:"number"`
	Output       string  `json:"output"`
	OutputFormat string  `json:"output_format"`
	// Status is "passed" or "failed", always: without it Gradescope
	// marks a test passed when its score equals its max_score, so a check
	// not graded (0 of 0) would show green.
	Status     string            `json:"status"`
	Visibility string            `json:"visibility"`
	ExtraData  map[string]string `json:"extra_data"`
}

type gradescopeResults struct {
	Score float64 `json:"score"`
	// ExecutionTime is the run's length in whole seconds (rounded up).
	ExecutionTime    *int64            `json:"execution_time,omitempty"`
	Output           string            `json:"output"`
	OutputFormat     string            `json:"output_format"`
	TestOutputFormat string            `json:"test_output_format"`
	Visibility       string            `json:"visibility"`
	ExtraData        map[string]string `json:"extra_data"`
	Tests            []gradescopeTest  `json:"tests"`
}

// WriteGradescope renders the report as a Gradescope autograder
// results.json: the total score, the run's execution_time, extra_data
// (lab, image digest, signing key id), and one test per check, numbered
// step.check (score, max_score, name "step › check", an explicit status,
// output with status, message, hints and evidence), all visible. A check
// passes when its status is pass; every other check is "failed". A check
// not graded has max_score 0, status failed (it did not pass: Gradescope
// would show a 0/0 test without a status as passed), "(not graded)" in its
// name and the reason in its output; the total's output says how many
// points were not graded. Outputs are declared plain text, so nothing in
// them is read as HTML or Markdown by Gradescope.
func WriteGradescope(w io.Writer, r *Report) error {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	res := gradescopeResults{Score: r.Score, OutputFormat: "text", TestOutputFormat: "text", Visibility: "visible", Tests: []gradescopeTest{},
		ExtraData: map[string]string{"lab": clean(r.Lab.ID + " " + r.Lab.Version)}}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && !r.FinishedAt.Before(r.StartedAt) {
		secs := int64(math.Ceil(r.FinishedAt.Sub(r.StartedAt).Seconds()))
		res.ExecutionTime = &secs
	}
	if d := r.Target.Digest; d != "" {
		res.ExtraData["image_digest"] = clean(d)
	} else if r.Fingerprint != nil && r.Fingerprint.ImageDigest != "" {
		res.ExtraData["image_digest"] = clean(r.Fingerprint.ImageDigest)
	}
	if r.Signature != nil {
		res.ExtraData["signing_key_id"] = clean(r.Signature.KeyID)
	}
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
	for si, g := range groups(r, L.OtherChecks) {
		title := g.Step.Title
		if title == "" {
			title = g.Step.ID
		}
		for ci, c := range g.Checks {
			status := "failed"
			if c.Status == Pass && !c.NotGraded {
				status = "passed"
			}
			t := gradescopeTest{
				Score: c.Points, MaxScore: c.MaxPoints,
				Name:   clean(title) + " › " + clean(c.ID),
				Number: fmt.Sprintf("%d.%d", si+1, ci+1),
				Output: clean2(statusName(L, c) + "\n" + checkDetail(L, c)), OutputFormat: "text",
				Status: status, Visibility: "visible",
				ExtraData: map[string]string{"check": clean(c.ID), "status": string(c.Status)},
			}
			if c.NotGraded {
				// Left out of the maximum, and not passed: the name and
				// output say why.
				t.MaxScore = 0
				t.Name += " (" + L.NotGraded + ")"
				t.ExtraData["not_graded"] = "true"
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
