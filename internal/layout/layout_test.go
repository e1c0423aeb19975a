package layout

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	module    = "github.com/kubelab/kubelab"
	cmdLimit  = 200 // lines in a non-test file under cmd/kubelab
	fileLimit = 500 // lines in any non-test Go file (tools/ excluded)
)

// oversize lists the files still over their limit, each waiting for a split
// by responsibility. The list may only shrink: a file on it that is back
// under its limit fails the test too, so the entry is removed.
var oversize = map[string]bool{}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", dir, err)
	}
	return dir
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}

func TestFileSizeLimits(t *testing.T) {
	root := repoRoot(t)
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel == "tools" || rel == "testdata" || name == "testdata" || name == "vendor" || (strings.HasPrefix(name, ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		limit := fileLimit
		if strings.HasPrefix(rel, "cmd/kubelab/") {
			limit = cmdLimit
		}
		n := countLines(t, p)
		switch {
		case n > limit && !oversize[rel]:
			t.Errorf("%s has %d lines, over the limit of %d: split it by responsibility (commands: move the work into a package)", rel, n, limit)
		case n <= limit && oversize[rel]:
			t.Errorf("%s has %d lines, within the limit of %d: remove it from the oversize list", rel, n, limit)
		}
		seen[rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f := range oversize {
		if !seen[f] {
			t.Errorf("oversize list names %s, which no longer exists: remove it", f)
		}
	}
}

// rank orders the packages of docs/architecture.md, lowest first. A package
// may import its own rank or lower, never higher. Packages not named here
// (internal helpers, tools) are not ranked.
func rank(pkg string) (int, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	top := strings.SplitN(rel, "/", 2)[0]
	switch top {
	case "report":
		return 0, true
	case "labs", "content":
		return 1, true
	case "snapshot":
		return 2, true
	case "checks":
		return 3, true
	case "gather":
		return 4, true
	case "pipeline":
		return 5, true
	case "grade", "handin", "serve", "selftest":
		return 6, true
	case "cmd":
		return 7, true
	}
	return 0, false
}

func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go not found: the layering check needs go list: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		from, ok := rank(f[0])
		if !ok {
			continue
		}
		checked++
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if to, ok := rank(imp); ok && to > from {
				t.Errorf("%s imports %s, a package above it (docs/architecture.md: report < labs, content < snapshot < checks < gather < pipeline < grade, handin, serve, selftest < cmd)", f[0], imp)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("go list named only %d ranked packages: the check is not looking at the repository", checked)
	}
}
