package main

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
)

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
	for di, d := range f.Decls {
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
		if len(g.Specs) == 0 {
			f.Decls = append(f.Decls[:di], f.Decls[di+1:]...)
			break
		}
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return src
	}
	return buf.Bytes()
}
