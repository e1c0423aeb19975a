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
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubelab/kubelab/internal/i18n"
)

const catalogPath = "internal/i18n/messages/id.yaml"

func main() {
	dry := flag.Bool("n", false, "report what would change; write nothing")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: i18nconv [-n] [dir | dir/...]... (run at the repository root)")
	}
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"./..."}
	}
	cat, err := loadCatalog(catalogPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "i18nconv:", err)
		os.Exit(2)
	}
	c := &converter{cat: cat}
	for _, root := range roots {
		if err := c.walk(root); err != nil {
			fmt.Fprintln(os.Stderr, "i18nconv:", err)
			os.Exit(2)
		}
	}
	for _, f := range c.changed {
		fmt.Println("rewrote", f)
	}
	if len(cat.added) > 0 {
		fmt.Printf("added %d translations to %s\n", len(cat.added), catalogPath)
	}
	if !*dry {
		for _, f := range c.changed {
			if err := os.WriteFile(f, c.out[f], 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "i18nconv:", err)
				os.Exit(2)
			}
		}
		if err := cat.save(catalogPath); err != nil {
			fmt.Fprintln(os.Stderr, "i18nconv:", err)
			os.Exit(2)
		}
	}
	for _, p := range c.left {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(c.left) > 0 {
		fmt.Fprintf(os.Stderr, "i18nconv: %d places left for a person to convert\n", len(c.left))
		os.Exit(1)
	}
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

func str(s string) *ast.BasicLit { return &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(s)} }

// replace walks every expression under n (depth first, children before
// parents) and puts f's replacement, when not nil, in its place.
func replace(n ast.Node, f func(ast.Expr) ast.Expr) {
	walkValue(reflect.ValueOf(n), f)
}

var exprType = reflect.TypeOf((*ast.Expr)(nil)).Elem()

func walkValue(v reflect.Value, f func(ast.Expr) ast.Expr) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if _, ok := v.Interface().(*ast.Object); ok {
			return
		}
		if _, ok := v.Interface().(*ast.Scope); ok {
			return
		}
		walkValue(v.Elem(), f)
	case reflect.Interface:
		if !v.IsNil() {
			walkValue(v.Elem(), f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fv := v.Field(i)
			if !fv.CanSet() {
				continue
			}
			walkValue(fv, f)
			if fv.Type() == exprType && !fv.IsNil() {
				if r := f(fv.Interface().(ast.Expr)); r != nil {
					fv.Set(reflect.ValueOf(r))
				}
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			ev := v.Index(i)
			walkValue(ev, f)
			if ev.Type() == exprType && !ev.IsNil() {
				if r := f(ev.Interface().(ast.Expr)); r != nil {
					ev.Set(reflect.ValueOf(r))
				}
			}
		}
	}
}

// addImport adds path to f's first import block, unless it is there.
func addImport(f *ast.File, path string) bool {
	q := strconv.Quote(path)
	for _, im := range f.Imports {
		if im.Path.Value == q {
			return false
		}
	}
	spec := &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: q}}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			g.Specs = append(g.Specs, spec)
			if !g.Lparen.IsValid() {
				g.Lparen, g.Rparen = g.Pos(), g.End()
			}
			f.Imports = append(f.Imports, spec)
			return true
		}
	}
	f.Decls = append([]ast.Decl{&ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{spec}}}, f.Decls...)
	f.Imports = append(f.Imports, spec)
	return true
}

// dropUnusedFmt removes the "fmt" import when the rewrite took its last use.
func dropUnusedFmt(path string, src []byte) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return src
	}
	used := false
	ast.Inspect(f, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok && id.Name == "fmt" {
				used = true
			}
		}
		return !used
	})
	if used {
		return src
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		for i, s := range g.Specs {
			if s.(*ast.ImportSpec).Path.Value == `"fmt"` {
				g.Specs = append(g.Specs[:i], g.Specs[i+1:]...)
				break
			}
		}
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return src
	}
	return buf.Bytes()
}

// catalog is id.yaml as a YAML node tree, so a rewrite keeps its comments
// and order; new entries go at the end under a comment naming their file.
type catalog struct {
	doc     yaml.Node
	have    map[string]string
	added   []string
	lastSrc string
}

func loadCatalog(path string) (*catalog, error) {
	c := &catalog{have: map[string]string{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &c.doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.doc.Kind == 0 || len(c.doc.Content) == 0 {
		c.doc = yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.TrimSpace(string(b)), Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	m := c.doc.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		*m = yaml.Node{Kind: yaml.MappingNode}
	}
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping of English to Indonesian", path)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		c.have[m.Content[i].Value] = m.Content[i+1].Value
	}
	return c, nil
}

func (c *catalog) add(en, id, src string) error {
	if have, ok := c.have[en]; ok {
		if have != id {
			return fmt.Errorf("%q is in the catalog as %q, here %q: give one a context (i18n.TC) by hand", en, have, id)
		}
		return nil
	}
	c.have[en] = id
	c.added = append(c.added, en)
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: en, Style: yaml.DoubleQuotedStyle}
	if src != c.lastSrc {
		k.HeadComment = "# " + src
		c.lastSrc = src
	}
	m := c.doc.Content[0]
	m.Content = append(m.Content, k, &yaml.Node{Kind: yaml.ScalarNode, Value: id, Style: yaml.DoubleQuotedStyle})
	return nil
}

func (c *catalog) save(path string) error {
	if len(c.added) == 0 {
		return nil
	}
	return os.WriteFile(path, c.encode(), 0o644)
}

// encode writes one "English": "translation" line per entry, each text
// double-quoted with Go's escapes (valid YAML escapes too). yaml.v3's own
// encoder would write a key over 128 bytes as a "? key : value" pair, which
// a translator should not have to read.
func (c *catalog) encode() []byte {
	var b bytes.Buffer
	comment := func(s string) {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				if !strings.HasPrefix(line, "#") {
					line = "# " + line
				}
				b.WriteString(line + "\n")
			}
		}
	}
	m := c.doc.Content[0]
	comment(c.doc.HeadComment)
	comment(m.HeadComment)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.HeadComment != "" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			comment(k.HeadComment)
		}
		fmt.Fprintf(&b, "%s: %s\n", strconv.Quote(k.Value), strconv.Quote(v.Value))
	}
	return b.Bytes()
}
