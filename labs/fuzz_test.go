package labs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzParseSpec: any input gives a lab or a ValidationError whose problems
// all carry a file and a line; never a panic.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(goodSpec))
	f.Add([]byte("id: x\nsteps: [1, 2]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("id: {a: b}\nversion: [1]\ntitle: x\nlanguages: x\nsteps:\n  - checks: {}\n"))
	f.Add([]byte("steps:\n  - id: a\n    checks:\n      - id: deployment.exists\n        points: .inf\n        params: [1]\n        hints: {en: x}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"en/one.md": {Data: []byte("# x")}, "id/one.md": {Data: []byte("# x")}}
		l, err := Parse(fsys, ".", "lab.yaml", data, testCatalog)
		if err == nil {
			if l.ID == "" || len(l.Steps) == 0 {
				t.Fatalf("a valid lab without id or steps: %+v", l)
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("not a ValidationError: %v", err)
		}
		for _, p := range ve.Problems {
			if p.File != "lab.yaml" {
				t.Fatalf("problem without the file: %+v", p)
			}
		}
	})
}

// FuzzRender: any Markdown renders to HTML and to the terminal without a
// panic, and the terminal text never carries escape codes it was not asked
// for.
func FuzzRender(f *testing.F) {
	f.Add("# Title\n\nText with `code` and **bold**.\n\n```sh\nkubectl get pods\n```\n")
	f.Add("| a | b |\n|---|---|\n| 1 | 2 |\n")
	f.Add("<details><summary>x</summary>\n\ny\n</details>\n")
	f.Add("- a\n  - b\n    1. c\n> quote\n\n---\n[l](http://x) <http://y>")
	f.Add("\x1b[31mred\x1b[0m")
	f.Fuzz(func(t *testing.T, md string) {
		if _, _, err := RenderHTML(md, "p-"); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderTerminal(&b, md, TermOptions{Width: 60}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(md, "\x1b") && strings.Contains(b.String(), "\x1b[") {
			t.Fatalf("colour codes without Color: %q", b.String())
		}
	})
}
