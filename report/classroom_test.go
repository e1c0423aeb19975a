package report_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// TestClassroomGolden decodes -o classroom (testdata/NAME.classroom.golden
// for the fixtures, and a report with points not graded) as GitHub
// Classroom's reporter does (Buffer.from(value, "base64"), JSON.parse) and
// checks what it would record: version 1; the sum of tests[].score, added
// in order as notify-classroom.js adds them, equals the report's score;
// max_score equals the report's maximum, the points not graded left out;
// a check not graded is an error worth 0, a passed check pass, any other
// fail with its points; the status follows the verdict.
func TestClassroomGolden(t *testing.T) {
	cases := map[string]*report.Report{"not graded": notGradedReport(t)}
	for _, name := range fixtures {
		cases[name] = readFixture(t, name)
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Render(&buf, "classroom", r, report.RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if golden := filepath.Join("testdata", name+".classroom.golden"); name != "not graded" {
				want, err := os.ReadFile(golden)
				if err != nil || string(want) != out {
					t.Errorf("differs from %s (%v)", golden, err)
				}
			}
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Fatalf("want one line of base64: %q", out)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(out, "\n"))
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				Version  int     `json:"version"`
				Status   string  `json:"status"`
				MaxScore float64 `json:"max_score"`
				Tests    []struct {
					Name    string   `json:"name"`
					Status  string   `json:"status"`
					Score   *float64 `json:"score"`
					Message *string  `json:"message"`
					LineNo  *int     `json:"line_no"`
				} `json:"tests"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			if res.Version != 1 {
				t.Errorf("version %d, want 1", res.Version)
			}
			if len(res.Tests) != len(r.Checks) {
				t.Fatalf("%d tests for %d checks", len(res.Tests), len(r.Checks))
			}
			total := 0.0
			byName := map[string]report.Result{}
			for _, c := range r.Checks {
				byName[report.CleanLine(c.ID)] = c
			}
			for _, tc := range res.Tests {
				if tc.Score == nil || tc.Message == nil || tc.LineNo == nil || *tc.LineNo != 0 {
					t.Fatalf("test %q: score, message and line_no 0 are what the reporter reads", tc.Name)
				}
				total += *tc.Score
				c := byName[tc.Name[strings.LastIndex(tc.Name, " › ")+len(" › "):]]
				want, pts := "fail", c.Points
				switch {
				case c.NotGraded || c.Status == report.Error:
					want, pts = "error", 0
				case c.Status == report.Pass:
					want = "pass"
				}
				if tc.Status != want || *tc.Score != pts {
					t.Errorf("test %q (%s, not graded %v): %s %v, want %s %v", tc.Name, c.Status, c.NotGraded, tc.Status, *tc.Score, want, pts)
				}
			}
			if total != r.Score {
				t.Errorf("the reporter records %v, the report says %v", total, r.Score)
			}
			if res.MaxScore != r.MaxScore {
				t.Errorf("max_score %v, the report's maximum is %v (not graded: %v)", res.MaxScore, r.MaxScore, r.NotGradedPoints)
			}
			wantStatus := "error"
			if r.Passed && !r.Incomplete {
				wantStatus = "pass"
			} else if !r.Passed && !r.Undecided() {
				wantStatus = "fail"
			}
			if res.Status != wantStatus {
				t.Errorf("status %q, want %q (passed %v, incomplete %v)", res.Status, wantStatus, r.Passed, r.Incomplete)
			}
		})
	}
}
