package grade

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/report"
)

// notGradedClass: one student graded in full, one whose image could not be
// run (no Docker: 5 points not graded, passed), one whose cluster did not
// answer (a required check not graded: never passed).
func notGradedClass(t *testing.T) *Class {
	t.Helper()
	mk := func(id string, checks ...report.Result) *report.Report {
		r := &report.Report{Schema: report.Schema, Lab: report.Lab{ID: "kubernetes-basics", Version: "1.0.0", Title: "Kubernetes basics"},
			Lang: "en", Student: report.Student{ID: id, Name: "Student " + id}, PassPercent: 80,
			Steps: []report.Step{{ID: "image", Title: "Image"}, {ID: "deploy", Title: "Deploy"}}, Checks: checks}
		report.Summarize(r)
		return r
	}
	pushed := report.Result{ID: "image.pushed", Step: "image", Status: report.Pass, Points: 10, MaxPoints: 10, Required: true, Message: "on the registry"}
	runs := report.Result{ID: "image.runs", Step: "image", Status: report.Pass, Points: 5, MaxPoints: 5, Message: "answered"}
	deploy := report.Result{ID: "deployment.exists", Step: "deploy", Status: report.Pass, Points: 10, MaxPoints: 10, Required: true, Message: "runs your image"}
	noDocker := runs
	noDocker.Status, noDocker.Points, noDocker.NotGraded = report.Skipped, 0, true
	noDocker.Message = "Skipped: the image was not run as a container: no Docker engine reachable."
	unreachable := deploy
	unreachable.Status, unreachable.Points = report.Error, 0
	unreachable.Message = "Could not reach the API server at https://127.0.0.1:1: the server is unreachable."
	c, err := NewClass([]*report.Report{mk("1", pushed, runs, deploy), mk("2", pushed, noDocker, deploy), mk("3", pushed, noDocker, unreachable)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNotGradedGradesCSV: grades.csv marks the students with points not
// graded incomplete, says how many points, and leaves the cells of the
// checks not graded empty (neither earned nor lost).
func TestNotGradedGradesCSV(t *testing.T) {
	var b bytes.Buffer
	if err := notGradedClass(t).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"student_id", "name", "score", "max_score", "percent", "late", "incomplete", "not_graded_points", "percent_of_whole", "held", "image.pushed", "image.runs", "deployment.exists"},
		// percent_of_whole: 20 of 25, 10 of 25 (the points not graded
		// counted as not earned) beside 100% of what was graded.
		{"1", "Student 1", "25", "25", "100", "", "no", "0", "100", "", "10", "5", "10"},
		{"2", "Student 2", "20", "20", "100", "", "yes", "5", "80", "", "10", "", "10"},
		{"3", "Student 3", "10", "10", "100", "", "yes", "15", "40", "", "10", "", ""},
	}
	if got, exp := strings.Join(flatten(rows), "|"), strings.Join(flatten(want), "|"); got != exp {
		t.Errorf("grades.csv:\n%v\nwant\n%v", rows, want)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

// TestNotGradedDashboard: the dashboard counts and marks the incomplete
// students, shows each check not graded as such, and the student whose
// cluster did not answer is not counted as passed.
func TestNotGradedDashboard(t *testing.T) {
	c := notGradedClass(t)
	if c.Summary.Passed != 2 {
		t.Errorf("%d passed, want 2 (the unreachable cluster's student must not pass)", c.Summary.Passed)
	}
	var b bytes.Buffer
	if err := c.WriteDashboard(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`<dt>Incomplete</dt><dd data-count="incomplete">2</dd>`,
		`<p class="note" id="incomplete-note">Students whose checks could not all be graded`,
		`<th data-sort="num" scope="col">Not graded (points)</th>`,
		`<span class="notgraded">○ not graded</span>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	rowOf := func(id string) string {
		return regexp.MustCompile(`(?s)<tr data-id="` + id + `">.*?</tr>`).FindString(html)
	}
	if r := rowOf("1"); !strings.Contains(r, `data-incomplete="false">–</td>`) || strings.Contains(r, "notgraded") {
		t.Errorf("complete row is marked:\n%s", r)
	}
	r2 := rowOf("2")
	for _, want := range []string{`<td class="num incomplete-yes" data-v="5" data-incomplete="true">○ 5</td>`,
		`<td class="num notgraded" data-v="-1" title="image.runs: not graded — Skipped: the image was not run as a container: no Docker engine reachable.">○</td>`} {
		if !strings.Contains(r2, want) {
			t.Errorf("row 2 lacks %q:\n%s", want, r2)
		}
	}
	r3 := rowOf("3")
	for _, want := range []string{`data-v="15" data-incomplete="true">○ 15</td>`,
		`title="deployment.exists: not graded — Could not reach the API server`} {
		if !strings.Contains(r3, want) {
			t.Errorf("row 3 lacks %q:\n%s", want, r3)
		}
	}
}

// TestNotGradedRegrade: kubelab grade --resume --retry-errors grades again
// the students with points not graded (as those with errors), and keeps
// those graded in full.
func TestNotGradedRegrade(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "alice/app:latest", registrytest.LessonImage())
	lab := testLab(t)
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	var students []Student
	for i, e := range notGradedClass(t).Students {
		r := e.Report
		r.Lab = report.Lab{ID: lab.ID, Version: lab.Version, Title: r.Lab.Title}
		b, err := report.JSON(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(studentPath(out, e.ID, ".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if want := i > 0; r.NeedsRegrade() != want {
			t.Fatalf("student %s: NeedsRegrade %v, want %v", e.ID, r.NeedsRegrade(), want)
		}
		students = append(students, Student{ID: e.ID, Name: e.Name, Image: reg.Ref("alice/app:latest"), Namespace: SanitizeNamespace(e.ID)})
	}
	res := runOffline(t, context.Background(), students, out, func(o *Options) { o.Resume, o.RetryErrors = true, true })
	if res.Skipped != 1 || res.Graded != 2 {
		t.Errorf("--resume --retry-errors: %d kept, %d graded; want 1 kept (graded in full) and 2 graded again", res.Skipped, res.Graded)
	}
}
