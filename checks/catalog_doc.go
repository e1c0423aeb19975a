package checks

import (
	"fmt"
	"strings"
)

// The markers around the generated catalog in docs/lab-authoring.md.
const (
	CatalogDocBegin = "<!-- BEGIN CHECK CATALOG: generated from the code by `go test ./checks -run TestCatalogDocs -update-docs`; do not edit by hand -->"
	CatalogDocEnd   = "<!-- END CHECK CATALOG -->"
)

// CatalogMarkdown documents every check of the catalog, with what it reads
// and each parameter's default, as Markdown for docs/lab-authoring.md.
func CatalogMarkdown() string {
	var b strings.Builder
	b.WriteString("| id | verifies | reads | parameters |\n| --- | --- | --- | --- |\n")
	for _, id := range IDs() {
		c := catalog[id]
		var names []string
		for _, p := range c.Params {
			names = append(names, "`"+p.Name+"`")
		}
		params := strings.Join(names, ", ")
		if params == "" {
			params = "none"
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", id, anchor(id), mdCell(c.Doc), sources(c), params)
	}
	for _, id := range IDs() {
		c := catalog[id]
		fmt.Fprintf(&b, "\n#### `%s`\n\n%s. Reads: %s.\n", id, upperFirst(c.Doc), sources(c))
		if len(c.Params) == 0 {
			b.WriteString("\nTakes no parameters.\n")
			continue
		}
		b.WriteString("\n| parameter | default | meaning |\n| --- | --- | --- |\n")
		for _, p := range c.Params {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Name, defaultText(p.Default), mdCell(p.Doc))
		}
	}
	return b.String()
}

func sources(c *Check) string {
	s := make([]string, len(c.Sources))
	for i, x := range c.Sources {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

func defaultText(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `"" (empty)`
		}
		return "`" + x + "`"
	case nil:
		return "none"
	}
	return fmt.Sprintf("`%v`", v)
}

// anchor is the id GitHub gives the heading "#### `id`".
func anchor(id string) string { return strings.ReplaceAll(id, ".", "") }

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
