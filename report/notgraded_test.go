package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// unreachableReport is what grading gives when the API server does not
// answer and Docker is absent: the image checks graded, the cluster check
// an error, what needs it skipped as not graded, the container run not
// attempted. 30 points graded (all earned), 70 not graded.
func unreachableReport(lang string) *report.Report {
	r := &report.Report{Schema: report.Schema, Tool: report.Tool{Name: "kubelab", Version: "test"},
		Lab: report.Lab{ID: "kubernetes-basics", Version: "1.0.0", Title: "Kubernetes basics"}, Lang: lang,
		Student: report.Student{ID: "2201234", Name: "Budi Santoso"}, PassPercent: 80,
		Steps: []report.Step{{ID: "cluster", Title: "Your cluster"}, {ID: "image", Title: "The image"}, {ID: "deploy", Title: "Deploy"}}}
	r.Checks = []report.Result{
		{ID: "cluster.reachable", Step: "cluster", Status: report.Error, MaxPoints: 5, Required: true,
			Message: "Could not reach the API server at https://127.0.0.1:1: the server is unreachable."},
		{ID: "image.pushed", Step: "image", Status: report.Pass, Points: 20, MaxPoints: 20, Required: true, Message: "The image is on the registry."},
		{ID: "image.files", Step: "image", Status: report.Pass, Points: 10, MaxPoints: 10, Message: "app.py and requirements.txt are in the image."},
		{ID: "image.runs", Step: "image", Status: report.Skipped, NotGraded: true, MaxPoints: 5,
			Message: "Skipped: the image was not run as a container: no Docker engine reachable."},
		{ID: "deployment.exists", Step: "deploy", Status: report.Skipped, NotGraded: true, MaxPoints: 60, Required: true,
			Message: "Not graded: it needs cluster.reachable, which could not be graded (not your fault)."},
	}
	report.Summarize(r)
	return r
}

func render(t *testing.T, format string, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, format, r, report.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestNotGradedSummary: checks not graded earn nothing, are left out of
// the maximum, and a required one keeps the lab from passing.
func TestNotGradedSummary(t *testing.T) {
	r := unreachableReport("en")
	if r.Score != 30 || r.MaxScore != 30 || r.NotGradedPoints != 70 || r.Percent() != 100 {
		t.Errorf("score %v/%v (%v%%), %v not graded; want 30/30 (100%%), 70 not graded", r.Score, r.MaxScore, r.Percent(), r.NotGradedPoints)
	}
	if r.Passed || !r.Incomplete || !r.Undecided() || !r.NeedsRegrade() {
		t.Errorf("passed %v incomplete %v undecided %v regrade %v; want false true true true", r.Passed, r.Incomplete, r.Undecided(), r.NeedsRegrade())
	}
	if !r.Checks[0].NotGraded {
		t.Error("an error must be marked not graded")
	}
	if s := r.Steps[2]; s.Points != 0 || s.MaxPoints != 0 || s.NotGradedPoints != 60 {
		t.Errorf("deploy step %+v, want 0/0 with 60 not graded", s)
	}

	// A not-graded mark on a verdict about the work is dropped: a failed
	// check counts, whatever the file says.
	forged := unreachableReport("en")
	forged.Checks[2].Status, forged.Checks[2].Points, forged.Checks[2].NotGraded = report.Fail, 0, true
	report.Summarize(forged)
	if forged.Checks[2].NotGraded || forged.MaxScore != 30 || forged.Score != 20 {
		t.Errorf("a failed check marked not graded: %+v, score %v/%v; want it counted (20/30)", forged.Checks[2], forged.Score, forged.MaxScore)
	}

	// A required check the student failed decides: not passed, not undecided.
	failed := unreachableReport("en")
	failed.Checks[1].Status, failed.Checks[1].Points = report.Fail, 0
	report.Summarize(failed)
	if failed.Passed || failed.Undecided() {
		t.Errorf("required image.pushed failed: passed %v undecided %v, want neither", failed.Passed, failed.Undecided())
	}

	// Nothing graded at all is never passed.
	none := unreachableReport("en")
	none.Checks = none.Checks[:1]
	none.Checks[0].Required = false
	report.Summarize(none)
	if none.Passed || none.MaxScore != 0 || none.NotGradedPoints != 5 {
		t.Errorf("only a not graded check: passed %v, %v/%v with %v not graded", none.Passed, none.Score, none.MaxScore, none.NotGradedPoints)
	}

	// Only the container run not graded: passed, with the note.
	ok := unreachableReport("en")
	ok.Checks = []report.Result{ok.Checks[1], ok.Checks[2], ok.Checks[3]}
	report.Summarize(ok)
	if !ok.Passed || !ok.Incomplete || ok.Undecided() || ok.NotGradedPoints != 5 || ok.Percent() != 100 {
		t.Errorf("only image.runs not graded: passed %v incomplete %v undecided %v, %v not graded, %v%%", ok.Passed, ok.Incomplete, ok.Undecided(), ok.NotGradedPoints, ok.Percent())
	}
	out := render(t, "text", ok)
	for _, want := range []string{"Total: 30/30 (100%; 5 points not graded)", "\nLab passed\n", "image.runs (5): Skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// TestNotGradedEveryFormat renders one report with checks not graded
// (an unreachable cluster, no Docker) in every format and reads what a
// lecturer sees: the score with the points not graded beside it, each
// check shown as not graded with its reason, and never "passed".
func TestNotGradedEveryFormat(t *testing.T) {
	r := unreachableReport("en")
	L := report.LabelsFor("en")
	reason := "Could not reach the API server at https://127.0.0.1:1"
	for _, format := range report.FormatNames() {
		t.Run(format, func(t *testing.T) {
			out := render(t, format, r)
			if strings.Contains(out, L.Passed) {
				t.Errorf("%s says %q", format, L.Passed)
			}
			var want []string
			switch format {
			case "text":
				want = []string{"Total: 30/30 (100%; 70 points not graded)", L.Undecided, L.NotGradedList + ":",
					"○ not graded cluster.reachable", "-/5", "○ cluster.reachable (5): " + reason, "○ deployment.exists (60): Not graded: it needs cluster.reachable",
					"Deploy  0/0 (60 points not graded)", L.NotGradedAdvice}
			case "json":
				want = []string{`"not_graded": true`, `"max_score": 30,`, `"not_graded_points": 70,`, `"incomplete": true,`, `"passed": false`}
				if err := report.Validate([]byte(out)); err != nil {
					t.Errorf("JSON breaks the schema: %v", err)
				}
				back, err := report.Read([]byte(out))
				if err != nil {
					t.Fatal(err)
				}
				if back.NotGradedPoints != 70 || !back.Incomplete || !back.Checks[3].NotGraded {
					t.Errorf("read back: %v not graded, incomplete %v", back.NotGradedPoints, back.Incomplete)
				}
			case "html":
				want = []string{`<span id="score">30/30</span>`, `<div class="note" id="not-graded-points">70 points not graded</div>`,
					`class="verdict wait"`, `data-incomplete="true"`, `<div class="passed" id="passed">` + L.Undecided,
					`<section class="notgraded" id="not-graded">`, `<code>cluster.reachable</code></a> (5): ` + reason,
					`data-status="error" data-not-graded="true"`, `<div class="bar notgraded" role="progressbar" aria-label="Deploy"`, `<span class="badge s-notgraded">not graded</span>`, `<span class="pts">-/60</span>`}
			case "junit":
				want = []string{`name="kubelab Kubernetes basics: 30/30 (70 points not graded) (Budi Santoso (2201234))"`,
					`<error message="not graded (-/5 points): ` + reason, `<skipped message="not graded (-/60 points): Not graded: it needs cluster.reachable`,
					`<property name="not_graded_points" value="60">`}
			case "markdown":
				want = []string{"— 30/30 (100%; 70 points not graded)", "## ⏸️ ", L.Undecided, "| ⏸️ not graded | `cluster.reachable` (required) | -/5 |",
					"**⏸️ not graded** | `cluster.reachable` (5), `image.runs` (5), `deployment.exists` (60)"}
			case "gradescope":
				want = []string{"Score: 30/30 (100%; 70 points not graded). " + L.Undecided, "- cluster.reachable (5): " + reason}
				var res struct {
					Score  float64
					Output string
					Tests  []struct {
						Name     string
						Score    float64
						MaxScore float64 `json:"max_score"`
						Status   *string
						Output   string
					}
				}
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatal(err)
				}
				var max float64
				for _, tc := range res.Tests {
					max += tc.MaxScore
					// Not graded is not passed: an explicit "failed", or
					// Gradescope shows the 0/0 test as passing.
					if strings.HasSuffix(tc.Name, "(not graded)") && (tc.MaxScore != 0 || tc.Status == nil || *tc.Status != "failed" || !strings.HasPrefix(tc.Output, "not graded\n")) {
						t.Errorf("test %q: max %v, status %v, output %q; want 0, failed, not graded first", tc.Name, tc.MaxScore, tc.Status, tc.Output)
					}
				}
				if res.Score != 30 || max != 30 || !strings.Contains(out, "cluster.reachable (not graded)") {
					t.Errorf("score %v, tests worth %v; want 30 and 30, cluster.reachable named not graded", res.Score, max)
				}
			case "csv":
				rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				col := map[string]int{}
				for i, h := range rows[0] {
					col[h] = i
				}
				for _, row := range rows[1:] {
					ng := row[col["check"]] != "image.pushed" && row[col["check"]] != "image.files"
					if row[col["not_graded"]] != map[bool]string{true: "true", false: "false"}[ng] ||
						row[col["report_not_graded_points"]] != "70" || row[col["report_incomplete"]] != "true" || row[col["report_max_score"]] != "30" {
						t.Errorf("row %v", row)
					}
				}
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("%s lacks %q:\n%s", format, w, out)
				}
			}
		})
	}
}

// TestNotGradedIndonesian: the lecturer's and the student's words in
// Bahasa Indonesia.
func TestNotGradedIndonesian(t *testing.T) {
	r := unreachableReport("id")
	out := render(t, "text", r)
	L := report.LabelsFor("id")
	for _, want := range []string{"Total: 30/30 (100%; 70 poin tidak dinilai)", L.Undecided, "○ tidak dinilai cluster.reachable", "Tidak dinilai (tidak dihitung dalam nilai maksimum"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, L.Passed) {
		t.Errorf("says %q", L.Passed)
	}
}
