package i18n_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubelab/kubelab/internal/i18n"
)

// use is one T, TC or Tr call with a literal key; test marks a call in a
// _test.go file, which keeps an entry in use but needs no translation.
type use struct {
	key, where string
	test       bool
	// formats is true when the call has arguments: only then are the
	// key's verbs verbs ("100% of" is text in T("100% of")).
	formats bool
}

// scanUses finds every message key in the repository's Go sources: T(key, ...) and checks.T / i18n.T, TC(ctx, key, ...), Tr(lang,
// key, ...). It also returns the old-style two-text calls left, which
// i18nconv converts.
func scanUses(t *testing.T, root string) (uses []use, old []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "tools" || d.Name() == "testdata" || d.Name() == "vendor" || (strings.HasPrefix(d.Name(), ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		test := strings.HasSuffix(rel, "_test.go")
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := c.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			lit := func(i int) (string, bool) {
				if i >= len(c.Args) {
					return "", false
				}
				bl, ok := c.Args[i].(*ast.BasicLit)
				if !ok || bl.Kind != token.STRING {
					return "", false
				}
				s, err := strconv.Unquote(bl.Value)
				return s, err == nil
			}
			where := fmt.Sprintf("%s:%d", rel, fset.Position(c.Pos()).Line)
			switch name {
			case "T":
				if k, ok := lit(0); ok {
					if _, two := lit(1); two && !test && !c.Ellipsis.IsValid() && len(i18n.Verbs(k)) == len(c.Args)-2 {
						old = append(old, where)
					}
					uses = append(uses, use{k, where, test, len(c.Args) > 1})
				}
			case "TC":
				ctx, ok1 := lit(0)
				k, ok2 := lit(1)
				if ok1 && ok2 {
					uses = append(uses, use{"[" + ctx + "] " + k, where, test, len(c.Args) > 2})
				}
			case "Tr":
				if k, ok := lit(1); ok {
					uses = append(uses, use{k, where, test, len(c.Args) > 2})
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uses, old
}

// labLanguages is the languages the built-in labs declare (lab.yaml's
// languages), English left out: it is the keys.
func labLanguages(t *testing.T, root string) []string {
	t.Helper()
	specs, _ := filepath.Glob(filepath.Join(root, "content", "*", "lab.yaml"))
	if len(specs) == 0 {
		t.Fatal("no built-in lab.yaml found under content/")
	}
	var langs []string
	for _, p := range specs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct{ Languages []string }
		if err := yaml.Unmarshal(b, &spec); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, l := range spec.Languages {
			if l != "en" && !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	sort.Strings(langs)
	return langs
}

// TestCatalogComplete fails for every message a built-in lab's language
// lacks (naming the file and line of the T call), for a translation whose
// format verbs differ from its key's, for an entry no code uses, and for
// an old-style T(en, id, ...) call left unconverted.
func TestCatalogComplete(t *testing.T) {
	if err := i18n.Err(); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	uses, old := scanUses(t, root)
	if len(uses) < 200 {
		t.Fatalf("found only %d message keys in the Go sources: the scan is not looking at the repository", len(uses))
	}
	for _, w := range old {
		t.Errorf("%s: an old-style T(en, id, ...) call: run go run ./internal/i18n/cmd/i18nconv ./... (docs/i18n.md)", w)
	}
	used := map[string]bool{}
	for _, u := range uses {
		used[u.key] = true
	}
	langs := labLanguages(t, root)
	for _, lang := range langs {
		if !i18n.Supports(lang) {
			t.Errorf("a built-in lab declares language %q, which has no catalog internal/i18n/messages/%s.yaml", lang, lang)
			continue
		}
		cat := i18n.Catalog(lang)
		reported := map[string]bool{}
		for _, u := range uses {
			if u.test {
				continue
			}
			tr, ok := cat[u.key]
			switch {
			case (!ok || tr == "") && !reported[u.key]:
				reported[u.key] = true
				t.Errorf("%s: %q has no %s translation in internal/i18n/messages/%s.yaml", u.where, u.key, lang, lang)
			case ok && tr != "" && u.formats && !sameVerbs(u.key, tr) && !reported[u.key]:
				reported[u.key] = true
				t.Errorf("%s: the %s translation of %q uses verbs %v, the English %v: %q", u.where, lang, u.key, i18n.Verbs(tr), i18n.Verbs(u.key), tr)
			}
		}
		var unused []string
		for k := range cat {
			if !used[k] {
				unused = append(unused, k)
			}
		}
		sort.Strings(unused)
		for _, k := range unused {
			t.Errorf("internal/i18n/messages/%s.yaml: %q is used by no T call: remove it (or the code lost its T)", lang, k)
		}
	}
}

func sameVerbs(a, b string) bool {
	va, vb := i18n.Verbs(a), i18n.Verbs(b)
	sort.Strings(va)
	sort.Strings(vb)
	return slices.Equal(va, vb)
}
