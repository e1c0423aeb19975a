package labs

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown is the one goldmark set-up every page uses: GitHub-flavoured
// Markdown and stable heading ids for anchors. Raw HTML is kept (lessons fold
// answers in <details>); the pages' Content-Security-Policy stops any of it
// from fetching anything. Fenced code goes through codeRenderer, so commands
// and their output look different.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	goldmark.WithRendererOptions(gmhtml.WithUnsafe(),
		renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 100))),
)

// IsCommandLang reports whether a fenced block of this language holds
// commands the student types (as opposed to output or a file's contents).
// The lessons write commands as ```sh and output as ```text.
func IsCommandLang(lang string) bool {
	switch strings.ToLower(lang) {
	case "sh", "bash", "shell", "console", "zsh", "powershell", "pwsh", "ps1":
		return true
	}
	return false
}

// Prompt is the prompt shown before each command of a command block:
// "PS> " for PowerShell lines (the lessons give them for Windows, where the
// sh line would not work, and the prompt tells the two apart), "$ " else.
func Prompt(lang string) string {
	switch strings.ToLower(lang) {
	case "powershell", "pwsh", "ps1":
		return "PS> "
	}
	return "$ "
}

// CommandLines splits a command block into its lines and says, for each,
// whether it starts a command (and so gets a "$" prompt) or continues the
// one before (after a trailing backslash).
func CommandLines(lines []string) []bool {
	starts := make([]bool, len(lines))
	cont := false
	for i, l := range lines {
		starts[i] = !cont && strings.TrimSpace(l) != ""
		cont = strings.HasSuffix(strings.TrimRight(l, " \t"), `\`)
	}
	return starts
}

// codeRenderer renders fenced code blocks. A command block becomes
// <pre class="cmd"> with one span per command line, which the stylesheet
// prefixes with a "$" prompt that is not copied with the text; any other
// block becomes <pre class="out">. Both keep <code class="language-x">.
type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFenced)
}

func renderFenced(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	fb := n.(*ast.FencedCodeBlock)
	lang := string(fb.Language(src))
	lines := blockLines(fb, src)
	cmd := IsCommandLang(lang)
	class := "out"
	if cmd {
		class = "cmd"
	}
	_, _ = w.WriteString(`<pre class="` + class + `"><code`)
	if lang != "" {
		_, _ = w.WriteString(` class="language-` + html.EscapeString(lang) + `"`)
	}
	_, _ = w.WriteString(">")
	if cmd {
		starts := CommandLines(lines)
		for i, l := range lines {
			span := "cmdline"
			if !starts[i] {
				span = "cmdcont"
			}
			_, _ = w.WriteString(`<span class="` + span + `">` + html.EscapeString(l) + "</span>\n")
		}
	} else {
		for _, l := range lines {
			_, _ = w.WriteString(html.EscapeString(l) + "\n")
		}
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}

// blockLines returns a code block's lines without their line endings.
func blockLines(n ast.Node, src []byte) []string {
	var out []string
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		out = append(out, strings.TrimRight(string(seg.Value(src)), "\r\n"))
	}
	return out
}

// Heading is an entry of a table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// RenderHTML renders a step's Markdown to an HTML fragment and returns its
// headings. idPrefix keeps ids unique when several steps share a page.
func RenderHTML(md, idPrefix string) (template.HTML, []Heading, error) {
	src := []byte(md)
	doc := markdown.Parser().Parse(text.NewReader(src))
	var heads []Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			id, _ := h.AttributeString("id")
			ids := idPrefix + string(asBytes(id))
			h.SetAttributeString("id", []byte(ids))
			heads = append(heads, Heading{Level: h.Level, ID: ids, Text: plain(h, src)})
		}
		return ast.WalkContinue, nil
	})
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return "", nil, err
	}
	return template.HTML(buf.String()), heads, nil // #nosec: lesson Markdown is the lab author's own
}

func asBytes(v any) []byte {
	switch b := v.(type) {
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	return nil
}

func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
			if t.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			for x := t.FirstChild(); x != nil; x = x.NextSibling() {
				if tx, ok := x.(*ast.Text); ok {
					b.Write(tx.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}
