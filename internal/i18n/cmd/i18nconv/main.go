// Command i18nconv rewrites old-style two-language messages into catalog
// calls, and adds their Indonesian to internal/i18n/messages/id.yaml:
//
//	T(en, id, args...)          -> T(en, args...)        (also checks.T, handin.T)
//	L{En: en, Id: id}           -> T(en)                 (also checks.L, L{en, id})
//	L{En: fmt.Sprintf(en, a...), Id: fmt.Sprintf(id, a...)} -> T(en, a...)
//	x.Message.En / x.Hint.Id    -> x.Message.In("en") / x.Hint.In("id")
//
// en and id must be string literals (or sums of them). A call whose English
// is already in the catalog with a different Indonesian is left as it is and
// reported: give it a context (TC) by hand. Run from the repository root:
//
//	go run ./internal/i18n/cmd/i18nconv ./...
//
// It is idempotent: new-style calls are told from old ones by their format
// verbs (an old call has two texts before the verbs' arguments, a new one
// one), and a second run changes nothing. It exits 1 when something was left
// unconverted, listing each place.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kubelab/kubelab/internal/i18n"
)

const catalogPath = "internal/i18n/messages/id.yaml"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run converts the trees named in args and returns the exit code: 0 done,
// 1 places left for a person, 2 an error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("i18nconv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("n", false, "report what would change; write nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: i18nconv [-n] [dir | dir/...]... (run at the repository root)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	roots := fs.Args()
	if len(roots) == 0 {
		roots = []string{"./..."}
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "i18nconv:", err)
		return 2
	}
	cat, err := loadCatalog(catalogPath)
	if err != nil {
		return fail(err)
	}
	c := &converter{cat: cat}
	for _, root := range roots {
		if err := c.walk(root); err != nil {
			return fail(err)
		}
	}
	for _, f := range c.changed {
		fmt.Fprintln(stdout, "rewrote", f)
	}
	if len(cat.added) > 0 {
		fmt.Fprintf(stdout, "added %d translations to %s\n", len(cat.added), catalogPath)
	}
	if !*dry {
		for _, f := range c.changed {
			if err := os.WriteFile(f, c.out[f], 0o644); err != nil {
				return fail(err)
			}
		}
		if err := cat.save(catalogPath); err != nil {
			return fail(err)
		}
	}
	for _, p := range c.left {
		fmt.Fprintln(stderr, p)
	}
	if len(c.left) > 0 {
		fmt.Fprintf(stderr, "i18nconv: %d places left for a person to convert\n", len(c.left))
		return 1
	}
	return 0
}

type converter struct {
	cat     *catalog
	changed []string
	out     map[string][]byte
	left    []string
}

func (c *converter) walk(root string) error {
	recursive := strings.HasSuffix(root, "/...")
	root = strings.TrimSuffix(root, "/...")
	if root == "" || root == "." {
		root = "."
	}
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (!recursive || name == "testdata" || name == "vendor" || name == "tools" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			// The catalog package itself and this command speak of
			// T and L, they do not call them.
			if filepath.ToSlash(p) == "internal/i18n" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") {
			return c.file(p)
		}
		return nil
	})
}

func (c *converter) file(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Pass 1 edits calls as text: the Indonesian argument is cut out with
	// the comma before it, so the code around keeps its layout. Pass 2
	// rewrites L literals and .En/.Id selectors on the syntax tree.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return err
	}
	fc := &fileConv{c: c, fset: fset, path: filepath.ToSlash(path), pkg: f.Name.Name}
	fc.textPass = true
	replace(f, fc.expr)
	out := src
	if len(fc.edits) > 0 {
		out = applyEdits(src, fc.edits)
		fset = token.NewFileSet()
		if f, err = parser.ParseFile(fset, path, out, parser.ParseComments); err != nil {
			return fmt.Errorf("%s: after rewriting calls: %w", path, err)
		}
		fc.fset = fset
	}
	fc.textPass = false
	replace(f, fc.expr)
	if fc.needI18n {
		fc.changed = addImport(f, "github.com/kubelab/kubelab/internal/i18n") || fc.changed
	}
	if !fc.changed && len(fc.edits) == 0 {
		return nil
	}
	if fc.changed {
		var buf bytes.Buffer
		if err := format.Node(&buf, fset, f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = buf.Bytes()
	} else if out, err = format.Source(out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if fc.dropFmt {
		out = dropUnusedFmt(path, out)
	}
	if c.out == nil {
		c.out = map[string][]byte{}
	}
	c.out[path] = out
	c.changed = append(c.changed, path)
	return nil
}

type fileConv struct {
	c        *converter
	fset     *token.FileSet
	path     string
	pkg      string
	changed  bool
	dropFmt  bool
	needI18n bool
	textPass bool
	edits    []edit
}

// edit replaces src[pos:end] with text.
type edit struct {
	pos, end int
	text     string
}

func applyEdits(src []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].pos > edits[j].pos })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.pos], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

func (fc *fileConv) off(p token.Pos) int { return fc.fset.Position(p).Offset }

// cut removes argument i of x with the comma before it.
func (fc *fileConv) cut(x *ast.CallExpr, i int) {
	fc.edits = append(fc.edits, edit{pos: fc.off(x.Args[i-1].End()), end: fc.off(x.Args[i].End())})
}

func (fc *fileConv) where(n ast.Node) string {
	p := fc.fset.Position(n.Pos())
	return fmt.Sprintf("%s:%d", fc.path, p.Line)
}

// expr returns the replacement of e, or nil to keep it.
func (fc *fileConv) expr(e ast.Expr) ast.Expr {
	if fc.textPass {
		if x, ok := e.(*ast.CallExpr); ok {
			fc.call(x)
		}
		return nil
	}
	switch x := e.(type) {
	case *ast.CompositeLit:
		return fc.lit(x)
	case *ast.SelectorExpr:
		// x.Message.En -> x.Message.In("en"): the fields are gone.
		if (x.Sel.Name == "En" || x.Sel.Name == "Id") && isMsgField(x.X) {
			fc.changed = true
			return &ast.CallExpr{Fun: &ast.SelectorExpr{X: x.X, Sel: ast.NewIdent("In")},
				Args: []ast.Expr{str(strings.ToLower(x.Sel.Name))}}
		}
	}
	return nil
}

func isMsgField(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	switch s.Sel.Name {
	case "Message", "Hint", "Why", "Title":
		return true
	}
	return false
}

func funName(e ast.Expr) (qual, name string) {
	switch x := e.(type) {
	case *ast.Ident:
		return "", x.Name
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name, x.Sel.Name
		}
	}
	return "", ""
}

// pairFuncs are helpers that took a message as two texts, (en, id,
// args...) from argument index at: fixHint(cmds, en, id, args...) becomes
// fixHint(cmds, T(en, args...)); with toTr, tr(lang, en, id, args...)
// becomes i18n.Tr(lang, en, args...).
var pairFuncs = map[string]struct {
	at   int
	toTr bool
}{
	"fixHint":      {at: 1},
	"reexposeHint": {at: 4},
	"tr":           {at: 1, toTr: true},
}

// call rewrites an old-style T(en, id, args...).
func (fc *fileConv) call(x *ast.CallExpr) ast.Expr {
	qual, name := funName(x.Fun)
	if pf, ok := pairFuncs[name]; ok && qual == "" && len(x.Args) >= pf.at+2 {
		return fc.pairCall(x, pf.at, pf.toTr)
	}
	if name != "T" || (qual != "" && qual != "checks" && qual != "handin") || len(x.Args) < 2 || x.Ellipsis.IsValid() && len(x.Args) == 2 {
		return nil
	}
	en, ok1 := constString(x.Args[0])
	id, ok2 := constString(x.Args[1])
	if !ok1 || !ok2 {
		return nil
	}
	nargs := len(x.Args) - 2
	if x.Ellipsis.IsValid() {
		// T(en, id, args...): the verbs take whatever args holds.
		nargs = -1
	}
	if nargs >= 0 && argCount(en) != nargs {
		return nil // a new-style call whose first argument is a literal
	}
	if !fc.add(x, en, id) {
		return nil
	}
	fc.cut(x, 1)
	if qual == "handin" || (qual == "" && fc.pkg == "handin") { // handin.T was a copy of checks.T
		fc.edits = append(fc.edits, edit{pos: fc.off(x.Fun.Pos()), end: fc.off(x.Fun.End()), text: "checks.T"})
	}
	return nil
}

func (fc *fileConv) pairCall(x *ast.CallExpr, at int, toTr bool) ast.Expr {
	en, ok1 := constString(x.Args[at])
	id, ok2 := constString(x.Args[at+1])
	if !ok1 || !ok2 || (!x.Ellipsis.IsValid() && argCount(en) != len(x.Args)-at-2) {
		return nil
	}
	if en == "" && id == "" && len(x.Args) == at+2 {
		// No explanation: the empty message.
		empty := "L{}"
		if fc.pkg != "checks" {
			empty = "checks.L{}"
		}
		fc.edits = append(fc.edits, edit{pos: fc.off(x.Args[at].Pos()), end: fc.off(x.Args[at+1].End()), text: empty})
		return nil
	}
	if !fc.add(x, en, id) {
		return nil
	}
	fc.cut(x, at+1)
	if toTr {
		fc.needI18n = true
		fc.edits = append(fc.edits, edit{pos: fc.off(x.Fun.Pos()), end: fc.off(x.Fun.End()), text: "i18n.Tr"})
		return nil
	}
	fun := "T("
	if fc.pkg != "checks" {
		fun = "checks.T("
	}
	end := x.Args[len(x.Args)-1].End()
	if x.Ellipsis.IsValid() {
		end = x.Ellipsis + 3
	}
	fc.edits = append(fc.edits, edit{pos: fc.off(x.Args[at].Pos()), end: fc.off(x.Args[at].Pos()), text: fun},
		edit{pos: fc.off(end), end: fc.off(end), text: ")"})
	return nil
}

func argCount(format string) int {
	n := 0
	for _, v := range i18n.Verbs(format) {
		if i, _ := strconv.Atoi(v[:len(v)-1]); i > n {
			n = i
		}
	}
	return n
}

// lit rewrites L{En: ..., Id: ...}.
func (fc *fileConv) lit(x *ast.CompositeLit) ast.Expr {
	qual, name := funName(x.Type)
	if name != "L" || (qual != "" && qual != "checks") {
		return nil
	}
	if len(x.Elts) == 0 {
		return nil // L{}, the empty text, is still written so
	}
	var enE, idE ast.Expr
	for i, e := range x.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			switch _, k := funName(kv.Key); k {
			case "En":
				enE = kv.Value
			case "Id":
				idE = kv.Value
			}
		} else if i == 0 {
			enE = e
		} else if i == 1 {
			idE = e
		}
	}
	t := &ast.Ident{Name: "T", NamePos: x.Pos()}
	var fun ast.Expr = t
	if qual != "" || fc.pkg != "checks" {
		fun = &ast.SelectorExpr{X: ast.NewIdent("checks"), Sel: t}
	}
	if enE == nil || idE == nil {
		fc.c.left = append(fc.c.left, fc.where(x)+": an L literal without both En and Id")
		return nil
	}
	if en, ok := constString(enE); ok {
		id, ok := constString(idE)
		if !ok || !fc.add(x, en, id) {
			if !ok {
				fc.c.left = append(fc.c.left, fc.where(x)+": L literal's Id is not a literal")
			}
			return nil
		}
		fc.changed = true
		return &ast.CallExpr{Fun: fun, Lparen: x.Lbrace, Args: []ast.Expr{enE}, Rparen: x.Rbrace}
	}
	// L{En: fmt.Sprintf(en, a...), Id: fmt.Sprintf(id, b...)} where b is
	// a with each y.En as y.Id.
	ce, ok1 := sprintf(enE)
	ci, ok2 := sprintf(idE)
	if !ok1 || !ok2 || len(ce.Args) != len(ci.Args) {
		fc.c.left = append(fc.c.left, fc.where(x)+": L literal not made of literals or matching fmt.Sprintf calls")
		return nil
	}
	en, ok1 := constString(ce.Args[0])
	id, ok2 := constString(ci.Args[0])
	if !ok1 || !ok2 {
		fc.c.left = append(fc.c.left, fc.where(x)+": L literal's formats are not literals")
		return nil
	}
	args := []ast.Expr{ce.Args[0]}
	for i := 1; i < len(ce.Args); i++ {
		a, b := fc.src(ce.Args[i]), fc.src(ci.Args[i])
		if a == b {
			args = append(args, ce.Args[i])
			continue
		}
		if s, ok := ce.Args[i].(*ast.SelectorExpr); ok && s.Sel.Name == "En" && strings.TrimSuffix(a, ".En")+".Id" == b {
			args = append(args, s.X) // a message: translated in place
			continue
		}
		fc.c.left = append(fc.c.left, fmt.Sprintf("%s: argument %d differs between En and Id (%s, %s)", fc.where(x), i, a, b))
		return nil
	}
	if !fc.add(x, en, id) {
		return nil
	}
	fc.changed = true
	fc.dropFmt = true
	return &ast.CallExpr{Fun: fun, Lparen: x.Lbrace, Args: args, Rparen: x.Rbrace}
}

func (fc *fileConv) src(e ast.Expr) string {
	var b bytes.Buffer
	_ = format.Node(&b, token.NewFileSet(), e)
	return b.String()
}

// add records en -> id in the catalog; false (and a report) when en is
// there already with another translation.
func (fc *fileConv) add(n ast.Node, en, id string) bool {
	if err := fc.c.cat.add(en, id, fc.path); err != nil {
		fc.c.left = append(fc.c.left, fc.where(n)+": "+err.Error())
		return false
	}
	return true
}

func sprintf(e ast.Expr) (*ast.CallExpr, bool) {
	c, ok := e.(*ast.CallExpr)
	if !ok || len(c.Args) == 0 || c.Ellipsis.IsValid() {
		return nil, false
	}
	q, n := funName(c.Fun)
	return c, q == "fmt" && n == "Sprintf"
}

// constString evaluates a string literal or a sum of them.
func constString(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(x.X)
		b, ok2 := constString(x.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return constString(x.X)
	}
	return "", false
}
