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
	r := kubelabCLI(t, "", "grade", "export", "--format", "canvas", sample, "--assignment", "Lab 1: Kubernetes", "--assignment-id", "4711", "--output-file", out)
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
	r = kubelabCLI(t, "", "grade", "export", "--format", "moodle", sample)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ID number,Email address,Full name,") {
		t.Errorf("moodle to stdout: exit %d, %q", r.code, r.stdout)
	}
	for _, bad := range [][]string{
		{"grade", "export", "--format", "blackboard", sample},
		{"grade", "export", "--format", "csv", filepath.Join(t.TempDir(), "missing.json")},
		{"grade", "export", "--format", "csv", fixturePath("correct.json")},
	} {
		if r := kubelabCLI(t, "", bad...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", bad, r.code, r.stderr)
		}
	}
}
