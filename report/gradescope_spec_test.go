package report_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// Gradescope's results.json fields, from gradescope/autograder_samples
// docs/specs.md (commit af5dee4c, "Output format" lines 40-72, "Test case
// status" lines 122-131, "Output String Formatting" lines 162-174).
var (
	gradescopeTop = []string{"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
		"visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
	gradescopeTestFields = []string{"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
		"tags", "visibility", "extra_data"}
	gradescopeStatuses   = []string{"passed", "failed"}
	gradescopeFormats    = []string{"text", "html", "simple_format", "md", "ansi"}
	gradescopeVisibility = []string{"hidden", "after_due_date", "after_published", "visible"}
)

// TestGradescopeSpec: for each report (passed, failed, hostile, not graded,
// signed), every field of -o gradescope is one the spec names, with a
// value it allows; every test has an explicit status, passed exactly when
// the check passed; tests are numbered step.check without repeats; the
// tests' scores add up to the report's score and their maxima to its
// maximum (not-graded points excluded); extra_data carries the image
// digest and, when signed, the signing key id.
func TestGradescopeSpec(t *testing.T) {
	signed := readFixture(t, "correct")
	_, key, _ := ed25519.GenerateKey(nil)
	if err := report.Sign(signed, key); err != nil {
		t.Fatal(err)
	}
	reports := map[string]*report.Report{
		"correct": readFixture(t, "correct"), "mistakes": readFixture(t, "mistakes"),
		"hostile": hostileReport(), "not graded": notGradedReport(t), "signed": signed,
	}
	for name, r := range reports {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.WriteGradescope(&buf, r); err != nil {
				t.Fatal(err)
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
				t.Fatal(err)
			}
			for k := range top {
				if !slices.Contains(gradescopeTop, k) {
					t.Errorf("top-level field %q is not in Gradescope's spec", k)
				}
			}
			var res struct {
				Score         float64           `json:"score"`
				ExecutionTime *float64          `json:"execution_time"`
				OutputFormat  string            `json:"output_format"`
				TestFormat    string            `json:"test_output_format"`
				Visibility    string            `json:"visibility"`
				ExtraData     map[string]string `json:"extra_data"`
				Tests         []map[string]json.RawMessage
			}
			if err := json.Unmarshal(buf.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(gradescopeFormats, res.OutputFormat) || !slices.Contains(gradescopeFormats, res.TestFormat) || !slices.Contains(gradescopeVisibility, res.Visibility) {
				t.Errorf("formats %q %q, visibility %q", res.OutputFormat, res.TestFormat, res.Visibility)
			}
			if res.ExecutionTime == nil || *res.ExecutionTime < 1 || *res.ExecutionTime != math.Trunc(*res.ExecutionTime) {
				t.Errorf("execution_time %v: want whole seconds", res.ExecutionTime)
			}
			if r.Target.Digest != "" && res.ExtraData["image_digest"] != report.CleanLine(r.Target.Digest) {
				t.Errorf("extra_data %v: want image_digest %s", res.ExtraData, r.Target.Digest)
			}
			if r.Signature != nil && res.ExtraData["signing_key_id"] != r.Signature.KeyID {
				t.Errorf("extra_data %v: want signing_key_id %s", res.ExtraData, r.Signature.KeyID)
			}
			if len(res.Tests) != len(r.Checks) {
				t.Fatalf("%d tests for %d checks", len(res.Tests), len(r.Checks))
			}
			var score, max float64
			numbers := map[string]bool{}
			byID := map[string]report.Result{}
			for _, c := range r.Checks {
				byID[report.CleanLine(c.ID)] = c
			}
			for _, tc := range res.Tests {
				for k := range tc {
					if !slices.Contains(gradescopeTestFields, k) {
						t.Errorf("test field %q is not in Gradescope's spec", k)
					}
				}
				var f struct {
					Score, MaxScore                  float64
					Name, Number, Status, Visibility string
					OutputFormat                     string            `json:"output_format"`
					ExtraData                        map[string]string `json:"extra_data"`
				}
				b, _ := json.Marshal(tc)
				json.Unmarshal(b, &f)
				var ms float64
				json.Unmarshal(tc["max_score"], &ms)
				f.MaxScore = ms
				c := byID[f.ExtraData["check"]]
				wantStatus := "failed"
				if c.Status == report.Pass && !c.NotGraded {
					wantStatus = "passed"
				}
				if _, ok := tc["status"]; !ok || f.Status != wantStatus || !slices.Contains(gradescopeStatuses, f.Status) {
					t.Errorf("test %q (%s, not graded %v): status %q, want %q", f.Name, c.Status, c.NotGraded, f.Status, wantStatus)
				}
				if f.Number == "" || numbers[f.Number] {
					t.Errorf("test %q: number %q missing or repeated", f.Name, f.Number)
				}
				numbers[f.Number] = true
				if !slices.Contains(gradescopeFormats, f.OutputFormat) || !slices.Contains(gradescopeVisibility, f.Visibility) {
					t.Errorf("test %q: output_format %q, visibility %q", f.Name, f.OutputFormat, f.Visibility)
				}
				score += f.Score
				max += f.MaxScore
			}
			if math.Abs(score-r.Score) > 1e-9 || math.Abs(max-r.MaxScore) > 1e-9 || res.Score != r.Score {
				t.Errorf("tests add up to %v/%v, score %v; the report says %v/%v", score, max, res.Score, r.Score, r.MaxScore)
			}
		})
	}
}

// notGradedReport is a report with points not graded (a check that could
// not reach the cluster).
func notGradedReport(t *testing.T) *report.Report {
	t.Helper()
	r := readFixture(t, "correct")
	for i, c := range r.Checks {
		if c.ID == "cluster.reachable" {
			r.Checks[i].Status, r.Checks[i].NotGraded, r.Checks[i].Points = report.Error, true, 0
			r.Checks[i].Message = fmt.Sprintf("Could not reach the API server at %s.", r.Target.Server)
			r.Score -= c.Points
			r.MaxScore -= c.MaxPoints
			r.NotGradedPoints += c.MaxPoints
			r.Incomplete = true
		}
	}
	return r
}
