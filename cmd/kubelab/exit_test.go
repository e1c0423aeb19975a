package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/snapshot"
)

// TestExitCodeByType: the code follows the error's type, never its text;
// an error no rule knows is internal (4), never usage.
func TestExitCodeByType(t *testing.T) {
	t.Parallel()
	cmdErr := func(err error) error { return &commandError{err} }
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"chosen by the command", exitf(ExitUsage, "--jobs 0: need at least 1"), ExitUsage},
		{"chosen, wrapped again", cmdErr(fmt.Errorf("grading: %w", exitf(ExitEnv, "cluster down"))), ExitEnv},
		{"silent", silentExit(ExitNotPassed), ExitNotPassed},
		{"cobra's own (unknown flag)", errors.New("unknown flag: --bogus"), ExitUsage},
		{"an environment failure", cmdErr(fmt.Errorf("reading: %w", &snapshot.GatherError{Kind: snapshot.ErrUnreachable, What: "list pods"})), ExitEnv},
		{"bad input", cmdErr(&grade.InputError{Err: errors.New("not a kubelab results.json")}), ExitUsage},
		{"unknown, even naming results.json", cmdErr(errors.New("results.json: disk full")), ExitInternal},
		{"a write failure", cmdErr(&fs.PathError{Op: "open", Path: "out/x", Err: fs.ErrPermission}), ExitInternal},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestExitCodesCLI runs real command lines that need no cluster and checks
// the code a user's script sees, and that a message says why.
func TestExitCodesCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := filepath.Join("..", "..", "grade", "testdata", "lms", "results.json")
	aFile := filepath.Join(dir, "file")
	if err := os.WriteFile(aFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"frobnicate"}, ExitUsage},
		{"unknown flag", []string{"check", "--bogus"}, ExitUsage},
		{"missing argument", []string{"report", "render"}, ExitUsage},
		{"required flag missing", []string{"grade", "export", sample}, ExitUsage},
		{"bad --lang", []string{"--lang", "fr", "version"}, ExitUsage},
		{"export: no such results.json", []string{"grade", "export", "--format", "csv", filepath.Join(dir, "missing.json")}, ExitUsage},
		{"export: a report, not a results.json", []string{"grade", "export", "--format", "csv", fixturePath("correct.json")}, ExitUsage},
		{"export: output cannot be written", []string{"grade", "export", "--format", "csv", sample, "--output-file", filepath.Join(aFile, "x.csv")}, ExitInternal},
		{"merge: shard without results.json", []string{"grade", "merge", dir, "--out", filepath.Join(dir, "merged")}, ExitUsage},
		{"merge: output cannot be written", []string{"grade", "merge", dir, "--out", filepath.Join(aFile, "merged")}, ExitInternal},
		{"render: no such report", []string{"report", "render", filepath.Join(dir, "missing.json")}, ExitUsage},
	} {
		r := kubelabCLI(t, "", tc.args...)
		if r.code != tc.want {
			t.Errorf("%s: kubelab %v: exit %d, want %d; stderr %q", tc.name, tc.args, r.code, tc.want, r.stderr)
		}
		if tc.want != ExitOK && r.stderr == "" && r.stdout == "" {
			t.Errorf("%s: exit %d with nothing said", tc.name, r.code)
		}
	}
}
