// Package goldentest compares what a test produces with a file kept in the
// repository (a golden file, a fixture, a lesson), for tests only: the
// product never imports it (cmd/kubelab's TestNoTestCodeInTheProduct).
//
// Each test package keeps its own -update flag, whose help says what it
// rewrites, and passes its value to Check.
package goldentest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// maxLines is how many differing lines Diff shows: enough to see the kind
// of change, short enough to read in a test log.
const maxLines = 20

// Check compares got with the file at path. With update it writes got to
// path instead, for a person to review with git diff. fix is the command
// that rewrites the file (e.g. "go test ./report -update"); the failure
// names it.
func Check(t testing.TB, path string, got []byte, update bool, fix string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s writes it)", err, fix)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is not what the test produces now (%s rewrites it; then review the diff):\n%s", path, fix, Diff(string(want), string(got)))
	}
}

// Diff shows the lines that differ between want and got, with their
// numbers, the first maxLines of them.
func Diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a == c {
			continue
		}
		fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, a, c)
		if n++; n == maxLines {
			b.WriteString("...\n")
			break
		}
	}
	if n == 0 {
		return "(no line differs)\n"
	}
	return b.String()
}
