// Package depcheck asserts what a package may not depend on, in the style
// of go-containerregistry's internal/depcheck: it asks `go list -deps` for
// the package's whole import graph (test files excluded, as in the binary)
// and fails the test with the import chain that reaches a banned package.
// Only tests import it.
package depcheck

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// Graph is a package's dependency graph: each import path with its imports.
type Graph map[string][]string

// Load runs `go list -deps` on pkg in dir.
func Load(t testing.TB, dir, pkg string) Graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.String())
	}
	g := Graph{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	return g
}

// Rule bans packages from a root package's dependencies.
type Rule struct {
	// Banned import paths; one ending in "/..." bans the path and all
	// below it.
	Banned []string
	// Through lists packages (same "/..." form) whose own imports are not
	// followed: third-party libraries we use that drag a banned package in
	// themselves, each one kept for a reason its caller states.
	Through []string
}

func matches(pats []string, p string) bool {
	for _, pat := range pats {
		if base, ok := strings.CutSuffix(pat, "/..."); ok {
			if p == base || strings.HasPrefix(p, base+"/") {
				return true
			}
		} else if p == pat {
			return true
		}
	}
	return false
}

// Violations returns, for each banned package root reaches, the import
// chain from root to it ("a -> b -> testing"), breadth first, so the
// shortest chain is reported.
func (g Graph) Violations(root string, r Rule) []string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	var found []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if matches(r.Banned, p) {
			chain := []string{p}
			for q := parent[p]; q != ""; q = parent[q] {
				chain = append([]string{q}, chain...)
			}
			found = append(found, strings.Join(chain, " -> "))
			continue
		}
		if p != root && matches(r.Through, p) {
			continue
		}
		for _, imp := range g[p] {
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return found
}

// AssertNoDependency fails t for each banned package that pkg (an import
// path, listed from dir) reaches.
func AssertNoDependency(t *testing.T, dir, pkg string, r Rule) {
	t.Helper()
	g := Load(t, dir, pkg)
	if len(g) < 2 {
		t.Fatalf("go list -deps %s named %d packages: the check is not looking at it", pkg, len(g))
	}
	for _, v := range g.Violations(pkg, r) {
		t.Errorf("%s must not depend on it: %s", pkg, v)
	}
}
