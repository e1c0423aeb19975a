package goldentest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	got := Diff("a\nb\nc", "a\nB\nc\nd")
	want := "line 2:\n  want b\n  got  B\nline 4:\n  want \n  got  d\n"
	if got != want {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	if got := Diff("same", "same"); got != "(no line differs)\n" {
		t.Errorf("Diff of equal texts = %q", got)
	}
	long := Diff(strings.Repeat("x\n", 30), strings.Repeat("y\n", 30))
	if n := strings.Count(long, "line "); n != maxLines || !strings.HasSuffix(long, "...\n") {
		t.Errorf("Diff of 30 changed lines shows %d and ends %q, want %d and ...", n, long[len(long)-8:], maxLines)
	}
}

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	Check(t, path, []byte("one\n"), true, "go test -update")
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\n" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	r := &recorder{TB: t}
	Check(r, path, []byte("one\n"), false, "go test -update")
	if len(r.errors) != 0 {
		t.Errorf("the same bytes failed: %v", r.errors)
	}
	Check(r, path, []byte("two\n"), false, "go test -update")
	if len(r.errors) != 1 {
		t.Errorf("different bytes gave %d failures, want 1", len(r.errors))
	}
}
