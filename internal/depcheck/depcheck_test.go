package depcheck

import (
	"slices"
	"testing"
)

func TestViolations(t *testing.T) {
	g := Graph{
		"app":      {"lib", "tc"},
		"lib":      {"testhelp", "fmt"},
		"testhelp": {"testing"},
		"tc":       {"testing", "tc/log"},
		"tc/log":   {"testing"},
	}
	got := g.Violations("app", Rule{Banned: []string{"testing", "testhelp/..."}, Through: []string{"tc/..."}})
	want := []string{"app -> lib -> testhelp"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Without the exception, the library's own use is reported too.
	got = g.Violations("app", Rule{Banned: []string{"testing"}})
	want = []string{"app -> tc -> testing"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
