package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGradeExportCLI: kubelab grade export writes the golden Canvas file of
// package grade for the sample results.json; bad input is exit code 2.
func TestGradeExportCLI(t *testing.T) {
	t.Parallel()
	sample := filepath.Join("..", "..", "grade", "testdata", "lms", "results.json")
	out := filepath.Join(t.TempDir(), "canvas.csv")
	// Every sample grade is incomplete (image.runs not graded: no Docker
	// engine): without --provisional those students are left out of the
	// file (a blank cell would remove the LMS's grade) and listed.
	r := kubelabCLI(t, "", "grade", "export", "--format", "canvas", sample, "--output-file", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(out); strings.Contains(string(got), "Santoso, Budi") {
		t.Errorf("an incomplete grade is exported without --provisional:\n%s", got)
	}
	if !strings.Contains(r.stderr, "5 student(s) left out") || !strings.Contains(r.stderr, "2205678 Santoso, Budi: incomplete") {
		t.Errorf("stderr does not say the incomplete grades were left out: %q", r.stderr)
	}
	r = kubelabCLI(t, "", "grade", "export", "--format", "canvas", sample, "--assignment", "Lab 1: Kubernetes", "--assignment-id", "4711", "--output-file", out, "--provisional")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(out)
	want, err := os.ReadFile(filepath.Join("..", "..", "grade", "testdata", "lms", "canvas.csv.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("canvas export differs from the golden file:\n%s", got)
	}
	// The student whose grading failed is left out: listed on stderr and
	// in the file beside the export, with why.
	if !strings.Contains(r.stderr, "1 student(s) left out of the file") || !strings.Contains(r.stderr, "2207777 @Ani; Rahma: not graded") {
		t.Errorf("stderr %q: want the student left out, with why", r.stderr)
	}
	side, err := os.ReadFile(filepath.Join(filepath.Dir(out), "canvas-left-out.csv"))
	if err != nil || !strings.HasPrefix(string(side), "student_id,name,reason\n2207777,'@Ani; Rahma,\"not graded") {
		t.Errorf("canvas-left-out.csv: %q, %v", side, err)
	}
	r = kubelabCLI(t, "", "grade", "export", "--format", "moodle", "--moodle-id", "idnumber", "--provisional", sample)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ID number,Full name,") || !strings.Contains(r.stdout, "\nS-2205678,\"Santoso, Budi\",66,") {
		t.Errorf("moodle to stdout: exit %d, %q", r.code, r.stdout)
	}
	for _, bad := range [][]string{
		{"grade", "export", "--format", "blackboard", sample},
		{"grade", "export", "--format", "moodle", "--moodle-id", "userid", sample},
		{"grade", "export", "--format", "csv", filepath.Join(t.TempDir(), "missing.json")},
		{"grade", "export", "--format", "csv", fixturePath("correct.json")},
	} {
		if r := kubelabCLI(t, "", bad...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", bad, r.code, r.stderr)
		}
	}
}

// TestClassroomGitHubOutput: kubelab report render -o classroom prints the
// base64 result and, under GitHub Actions ($GITHUB_OUTPUT set), appends
// result=VALUE to that file, which the workflow hands to the Classroom
// reporter as <STEP-ID>_RESULTS.
func TestClassroomGitHubOutput(t *testing.T) {
	ghout := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(ghout, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_OUTPUT", ghout)
	r := kubelabCLI(t, "", "report", "render", fixturePath("mistakes.json"), "-o", "classroom")
	want, err := os.ReadFile(fixturePath("mistakes.classroom.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || r.stdout != string(want) {
		t.Fatalf("exit %d, stdout %q; want the golden value", r.code, r.stdout)
	}
	got, _ := os.ReadFile(ghout)
	if string(got) != "earlier=1\nresult="+string(want) {
		t.Errorf("GITHUB_OUTPUT holds %q; want the earlier line kept and result=VALUE appended", got)
	}
}

// TestGradeLMSAfterGrade: kubelab grade --lms moodle writes
// results/lms-moodle.csv, and beside it lms-moodle-left-out.csv, and says
// on stderr who was left out.
func TestGradeLMSAfterGrade(t *testing.T) {
	out := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "grade", "testdata", "lms", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	x := &exportFlags{Format: "moodle", MoodleID: "email", NotesColumn: "Notes", Provisional: true}
	var stderr strings.Builder
	path, err := x.exportAfterGrade(out, "en", &stderr)
	if err != nil || path != filepath.Join(out, "lms-moodle.csv") {
		t.Fatalf("%q, %v", path, err)
	}
	got, _ := os.ReadFile(path)
	side, _ := os.ReadFile(filepath.Join(out, "lms-moodle-left-out.csv"))
	if !strings.HasPrefix(string(got), "Email address,Full name,") || !strings.Contains(string(side), "2207777,'@Ani; Rahma,") ||
		!strings.Contains(stderr.String(), "1 student(s) left out") || !strings.Contains(stderr.String(), "lms-moodle-left-out.csv") {
		t.Errorf("file %q\nleft out %q\nstderr %q", got, side, stderr.String())
	}
}
