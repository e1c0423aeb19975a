package layout

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const (
	module    = "github.com/kubelab/kubelab"
	cmdLimit  = 200 // lines in a non-test file under cmd/kubelab
	fileLimit = 500 // lines in any non-test Go file (tools/ excluded)
	funcLimit = 100 // lines in a function of a non-test Go file (bench/ and tools/ excluded)
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

// sourceFiles lists the repository's non-test Go files (tools/, testdata
// and vendor excluded), relative to root with forward slashes.
func sourceFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
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
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFileSizeLimits(t *testing.T) {
	root := repoRoot(t)
	seen := map[string]bool{}
	for _, rel := range sourceFiles(t, root) {
		limit := fileLimit
		if strings.HasPrefix(rel, "cmd/kubelab/") {
			limit = cmdLimit
		}
		n := countLines(t, filepath.Join(root, rel))
		switch {
		case n > limit && !oversize[rel]:
			t.Errorf("%s has %d lines, over the limit of %d: split it by responsibility (commands: move the work into a package)", rel, n, limit)
		case n <= limit && oversize[rel]:
			t.Errorf("%s has %d lines, within the limit of %d: remove it from the oversize list", rel, n, limit)
		}
		seen[rel] = true
	}
	for f := range oversize {
		if !seen[f] {
			t.Errorf("oversize list names %s, which no longer exists: remove it", f)
		}
	}
}

// TestFunctionLengthLimit keeps every function of the product (bench/
// excluded: a benchmark's script reads best top to bottom) within funcLimit
// lines, its doc comment not counted: past that, a reader loses the thread
// (issue 25).
func TestFunctionLengthLimit(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	n := 0
	for _, rel := range sourceFiles(t, root) {
		if strings.HasPrefix(rel, "bench/") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(root, rel), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n++
			start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
			if lines := end.Line - start.Line + 1; lines > funcLimit {
				t.Errorf("%s:%d: %s has %d lines, over the limit of %d: split it where it reads better", rel, start.Line, fd.Name.Name, lines, funcLimit)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d functions found: the check is not looking at the repository", n)
	}
}

// ranks orders every package of the module, lowest first: a package may
// import its own rank or lower, never higher. docs/architecture.md lists
// the same table between its ranks markers (TestArchitectureListsRanks), and
// a package missing here fails TestLayering, so a new package is placed on
// purpose.
var ranks = map[string]int{
	// 0: building blocks, importing no package of ours.
	"content": 0, "internal/atomicfile": 0, "internal/imagebuild": 0,
	"internal/netguard": 0, "internal/pysource": 0, "internal/shellwords": 0,
	"internal/testenv": 0, "internal/depcheck": 0, "internal/layout": 0, "internal/i18n": 0,
	"internal/regularfile": 0, "internal/subcmd": 0, "internal/goldentest": 0, "internal/htmlfrag": 0,
	// 1: the result model.
	"report": 1,
	// 2: real environments (simcluster is product: the lab self-test starts
	// one; the others only tests and kubelab-sim/-real use).
	"internal/simcluster": 2, "internal/simcluster/simclustertest": 2, "internal/realnode": 2,
	"internal/dockerd": 2, "internal/registrytest": 2, "internal/testimages": 2, "internal/browser": 2,
	// 3-7: the grading core.
	"labs":     3,
	"snapshot": 4,
	"checks":   5,
	"gather":   6,
	"pipeline": 7,
	// 8: what a command grades with.
	"grade": 8, "handin": 8, "serve": 8, "selftest": 8, "watch": 8,
	// 9: programs.
	"cmd/kubelab": 9, "cmd/kubelab-sim": 9, "cmd/kubelab-real": 9, "cmd/kubelab-release": 9,
	"internal/dockerd/cmd/kubelab-dockerd": 9, "internal/i18n/cmd/i18nconv": 9, "bench": 9,
}

func rel(pkg string) string { return strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/") }

func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go not found: the layering check needs go list: %v", err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		pkg := rel(f[0])
		seen[pkg] = true
		from, ok := ranks[pkg]
		if !ok {
			t.Errorf("%s has no rank: add it to ranks here and to the table in docs/architecture.md", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if to, ok := ranks[rel(imp)]; ok && to > from {
				t.Errorf("%s (rank %d) imports %s (rank %d), a package above it (docs/architecture.md)", pkg, from, rel(imp), to)
			}
		}
	}
	for pkg := range ranks {
		if !seen[pkg] {
			t.Errorf("ranks names %s, which go list does not: remove it here and in docs/architecture.md", pkg)
		}
	}
	if len(seen) < 20 {
		t.Fatalf("go list named only %d packages: the check is not looking at the repository", len(seen))
	}
}

// TestArchitectureListsRanks keeps docs/architecture.md's table of ranks
// the one the layering test enforces: each row between the markers is
// "| rank | `pkg`, `pkg` | ... |".
func TestArchitectureListsRanks(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- ranks:start -->", "<!-- ranks:end -->"
	i, j := bytes.Index(data, []byte(start)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md has no %s ... %s table", start, end)
	}
	doc := map[string]int{}
	for _, line := range strings.Split(string(data[i+len(start):j]), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		r, err := strconv.Atoi(strings.TrimSpace(cells[1]))
		if err != nil {
			continue // the header and its rule
		}
		for _, name := range strings.Split(cells[2], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if prev, dup := doc[name]; dup {
				t.Errorf("docs/architecture.md ranks %s twice (%d and %d)", name, prev, r)
			}
			doc[name] = r
		}
	}
	for pkg, r := range ranks {
		if d, ok := doc[pkg]; !ok {
			t.Errorf("docs/architecture.md does not rank %s (rank %d here)", pkg, r)
		} else if d != r {
			t.Errorf("docs/architecture.md ranks %s %d, the layering test %d", pkg, d, r)
		}
	}
	for pkg, d := range doc {
		if _, ok := ranks[pkg]; !ok {
			t.Errorf("docs/architecture.md ranks %s (%d), which the layering test does not know", pkg, d)
		}
	}
}
