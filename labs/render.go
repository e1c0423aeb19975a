package labs

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// markdown is the one goldmark set-up every page uses: GitHub-flavoured
// Markdown and stable heading ids for anchors. Raw HTML is kept (lessons fold
// answers in <details>); the pages' Content-Security-Policy stops any of it
// from fetching anything.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

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

// TermOptions control terminal rendering.
type TermOptions struct {
	Color bool
	Width int
}

// RenderTerminal writes Markdown as plain, readable terminal text: headings
// underlined, code blocks indented, lists with bullets, links with their
// address. Colour only when asked (a terminal without NO_COLOR).
func RenderTerminal(w io.Writer, md string, opt TermOptions) error {
	src := []byte(md)
	doc := markdown.Parser().Parse(text.NewReader(src))
	r := &termRenderer{src: src, opt: opt}
	r.block(doc, "")
	_, err := io.WriteString(w, strings.TrimRight(r.b.String(), "\n")+"\n")
	return err
}

type termRenderer struct {
	src []byte
	opt TermOptions
	b   strings.Builder
}

func (r *termRenderer) style(code, s string) string {
	if !r.opt.Color {
		return s
	}
	return code + s + "\x1b[0m"
}

func (r *termRenderer) block(n ast.Node, indent string) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Heading:
			title := r.inline(t)
			under := "="
			if t.Level > 1 {
				under = "-"
			}
			if t.Level > 2 {
				r.b.WriteString(indent + r.style("\x1b[1m", title) + "\n\n")
				continue
			}
			r.b.WriteString(indent + r.style("\x1b[1m", title) + "\n" + indent + strings.Repeat(under, len([]rune(title))) + "\n\n")
		case *ast.Paragraph, *ast.TextBlock:
			r.b.WriteString(wrap(r.inline(t), indent, r.width()) + "\n")
			if _, ok := t.(*ast.Paragraph); ok {
				r.b.WriteString("\n")
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			lines := t.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				line := strings.TrimRight(string(seg.Value(r.src)), "\n")
				r.b.WriteString(indent + "    " + r.style("\x1b[36m", line) + "\n")
			}
			r.b.WriteString("\n")
		case *ast.List:
			i := t.Start
			for item := t.FirstChild(); item != nil; item = item.NextSibling() {
				bullet := "  • "
				if t.IsOrdered() {
					bullet = fmt.Sprintf("  %d. ", i)
					i++
				}
				var sub termRenderer
				sub.src, sub.opt = r.src, r.opt
				sub.block(item, "")
				body := strings.TrimRight(sub.b.String(), "\n")
				pad := strings.Repeat(" ", len([]rune(bullet)))
				for j, line := range strings.Split(body, "\n") {
					if j == 0 {
						r.b.WriteString(indent + bullet + line + "\n")
					} else if line != "" {
						r.b.WriteString(indent + pad + line + "\n")
					} else {
						r.b.WriteString("\n")
					}
				}
			}
			r.b.WriteString("\n")
		case *ast.Blockquote:
			var sub termRenderer
			sub.src, sub.opt = r.src, r.opt
			sub.block(t, "")
			for _, line := range strings.Split(strings.TrimRight(sub.b.String(), "\n"), "\n") {
				r.b.WriteString(indent + "│ " + line + "\n")
			}
			r.b.WriteString("\n")
		case *ast.ThematicBreak:
			r.b.WriteString(indent + strings.Repeat("─", 40) + "\n\n")
		case *extast.Table:
			r.table(t, indent)
		case *ast.HTMLBlock:
			lines := t.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				line := strings.TrimSpace(string(seg.Value(r.src)))
				line = stripTags(line)
				if line != "" {
					r.b.WriteString(indent + line + "\n")
				}
			}
		default:
			r.block(c, indent)
		}
	}
}

func (r *termRenderer) table(t *extast.Table, indent string) {
	var rows [][]string
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, r.inline(cell))
		}
		rows = append(rows, cells)
	}
	widths := map[int]int{}
	for _, row := range rows {
		for i, c := range row {
			if l := len([]rune(c)); l > widths[i] {
				widths[i] = l
			}
		}
	}
	for ri, row := range rows {
		var parts []string
		for i, c := range row {
			parts = append(parts, c+strings.Repeat(" ", widths[i]-len([]rune(c))))
		}
		r.b.WriteString(indent + "  " + strings.Join(parts, "  ") + "\n")
		if ri == 0 {
			var seps []string
			for i := range row {
				seps = append(seps, strings.Repeat("─", widths[i]))
			}
			r.b.WriteString(indent + "  " + strings.Join(seps, "  ") + "\n")
		}
	}
	r.b.WriteString("\n")
}

func (r *termRenderer) width() int {
	if r.opt.Width > 20 {
		return r.opt.Width
	}
	return 80
}

func (r *termRenderer) inline(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(r.src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			b.WriteString(r.style("\x1b[36m", "`"+plain(t, r.src)+"`"))
		case *ast.Emphasis:
			code := "\x1b[3m"
			if t.Level == 2 {
				code = "\x1b[1m"
			}
			b.WriteString(r.style(code, r.inline(t)))
		case *ast.Link:
			label := r.inline(t)
			dest := string(t.Destination)
			if label == dest {
				b.WriteString(dest)
			} else {
				b.WriteString(label + " (" + dest + ")")
			}
		case *ast.AutoLink:
			b.Write(t.URL(r.src))
		case *ast.RawHTML:
			// inline tags like <br> are dropped
		default:
			b.WriteString(r.inline(c))
		}
	}
	return b.String()
}

func wrap(s, indent string, width int) string {
	words := strings.Fields(s)
	var b strings.Builder
	line := indent
	for _, w := range words {
		if len([]rune(line))+len([]rune(w))+1 > width && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += w + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
