package labs

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// TermOptions control terminal rendering.
type TermOptions struct {
	// Color adds ANSI styles. The caller sets it only for a terminal and
	// never when NO_COLOR is set (see UseColor).
	Color bool
	// Width is the column count text is wrapped to; below 20 means 80.
	Width int
}

// UseColor is the one rule for colour: only on a terminal, and never when
// the NO_COLOR environment variable is set to anything (https://no-color.org).
func UseColor(isTerminal bool, noColor string) bool {
	return isTerminal && noColor == ""
}

// ANSI styles used by the terminal renderer.
const (
	sBold   = "\x1b[1m"
	sItalic = "\x1b[3m"
	sCode   = "\x1b[36m"   // inline code and commands: cyan
	sPrompt = "\x1b[1;32m" // the "$" prompt: bold green
	sDim    = "\x1b[2m"    // output and file contents: dim
	sReset  = "\x1b[0m"
)

// RenderTerminal writes Markdown as terminal text: paragraphs, lists,
// headings and tables wrapped to the width; commands (```sh blocks) shown
// after a "$ " prompt and output indented without one; inline code cyan
// when colour is on, between backquotes when it is off; links followed by
// their address.
// Code blocks are never wrapped, so what is shown can be copied as is.
// Control characters in the source are dropped, so a lesson cannot move the
// cursor or change colours.
func RenderTerminal(w io.Writer, md string, opt TermOptions) error {
	src := []byte(md)
	doc := markdown.Parser().Parse(text.NewReader(src))
	r := &termRenderer{src: src, opt: opt, width: opt.Width}
	if r.width < 20 {
		r.width = 80
	}
	r.block(doc)
	_, err := io.WriteString(w, strings.TrimRight(r.b.String(), "\n")+"\n")
	return err
}

type termRenderer struct {
	src   []byte
	opt   TermOptions
	width int // columns available to this renderer (nested blocks get less)
	b     strings.Builder
}

func (r *termRenderer) style(code, s string) string {
	if !r.opt.Color || s == "" {
		return s
	}
	return code + s + sReset
}

// sub renders n's children with the width reduced by the given margin and
// returns the lines.
func (r *termRenderer) sub(n ast.Node, margin int) []string {
	s := &termRenderer{src: r.src, opt: r.opt, width: r.width - margin}
	if s.width < 10 {
		s.width = 10
	}
	s.block(n)
	return strings.Split(strings.TrimRight(s.b.String(), "\n"), "\n")
}

func (r *termRenderer) block(n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Heading:
			lines := wrapWords(r.inline(t), "", r.width)
			for _, l := range lines {
				r.b.WriteString(r.style(sBold, l) + "\n")
			}
			if t.Level <= 2 {
				under := "="
				if t.Level == 2 {
					under = "-"
				}
				n := 0
				for _, l := range lines {
					n = max(n, visibleLen(l))
				}
				r.b.WriteString(strings.Repeat(under, n) + "\n")
			}
			r.b.WriteString("\n")
		case *ast.Paragraph, *ast.TextBlock:
			for _, l := range wrapWords(r.inline(t), "", r.width) {
				r.b.WriteString(l + "\n")
			}
			if _, ok := t.(*ast.Paragraph); ok || t.NextSibling() != nil {
				r.b.WriteString("\n")
			}
		case *ast.FencedCodeBlock:
			lang := string(t.Language(r.src))
			prompt := ""
			if IsCommandLang(lang) {
				prompt = Prompt(lang)
			}
			r.code(blockLines(t, r.src), prompt)
		case *ast.CodeBlock:
			r.code(blockLines(t, r.src), "")
		case *ast.List:
			r.list(t)
		case *ast.Blockquote:
			for _, l := range r.sub(t, 2) {
				r.b.WriteString("│ " + l + "\n")
			}
			r.b.WriteString("\n")
		case *ast.ThematicBreak:
			r.b.WriteString(strings.Repeat("─", min(40, r.width)) + "\n\n")
		case *extast.Table:
			r.table(t)
		case *ast.HTMLBlock:
			r.htmlBlock(t)
		default:
			r.block(c)
		}
	}
}

// code writes a code block indented by four spaces; a command block gives
// each command its prompt ("$ " or "PS> ", continuation lines line up under
// it); with no prompt the block is output or file contents, shown as it is.
func (r *termRenderer) code(lines []string, prompt string) {
	starts := CommandLines(lines)
	for i, l := range lines {
		l = clean(l)
		switch {
		case prompt == "":
			r.b.WriteString("    " + r.style(sDim, l) + "\n")
		case starts[i]:
			r.b.WriteString("    " + r.style(sPrompt, strings.TrimSpace(prompt)) + " " + r.style(sCode, l) + "\n")
		default:
			r.b.WriteString("    " + strings.Repeat(" ", len(prompt)) + r.style(sCode, l) + "\n")
		}
	}
	r.b.WriteString("\n")
}

func (r *termRenderer) list(t *ast.List) {
	i := t.Start
	for item := t.FirstChild(); item != nil; item = item.NextSibling() {
		bullet := "• "
		if t.IsOrdered() {
			bullet = fmt.Sprintf("%d. ", i)
			i++
		}
		pad := strings.Repeat(" ", utf8.RuneCountInString(bullet))
		for j, line := range r.sub(item, 2+len(pad)) {
			switch {
			case j == 0:
				r.b.WriteString("  " + bullet + line + "\n")
			case line == "":
				r.b.WriteString("\n")
			default:
				r.b.WriteString("  " + pad + line + "\n")
			}
		}
	}
	r.b.WriteString("\n")
}

// htmlBlock shows the text of raw HTML (the lessons' <details> questions):
// tags dropped, entities decoded, wrapped; a <summary> gets a "▸" marker.
func (r *termRenderer) htmlBlock(t *ast.HTMLBlock) {
	var parts []string
	for _, l := range blockLines(t, r.src) {
		mark := strings.Contains(strings.ToLower(l), "<summary")
		l = strings.TrimSpace(html.UnescapeString(stripTags(clean(l))))
		if l == "" {
			continue
		}
		if mark {
			l = "▸ " + l
		}
		parts = append(parts, l)
	}
	for _, p := range parts {
		for i, l := range wrapWords(p, "", r.width-2) {
			if i > 0 {
				l = "  " + l // under the text, after the "▸ "
			}
			r.b.WriteString(r.style(sBold, l) + "\n")
		}
	}
	if len(parts) > 0 {
		r.b.WriteString("\n")
	}
}

func (r *termRenderer) inline(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.WriteString(clean(string(t.Segment.Value(r.src))))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.WriteString(clean(string(t.Value)))
		case *ast.CodeSpan:
			// Colour marks code on a terminal; piped or under NO_COLOR the
			// backquotes stay, or `lab show | less` could not tell a
			// command from the sentence around it.
			code := clean(plain(t, r.src))
			if !r.opt.Color {
				code = "`" + code + "`"
			}
			b.WriteString(r.style(sCode, code))
		case *ast.Emphasis:
			code := sItalic
			if t.Level == 2 {
				code = sBold
			}
			b.WriteString(r.style(code, r.inline(t)))
		case *ast.Link:
			label := r.inline(t)
			dest := clean(string(t.Destination))
			if label == dest {
				b.WriteString(dest)
			} else {
				b.WriteString(label + " (" + dest + ")")
			}
		case *ast.AutoLink:
			b.WriteString(clean(string(t.URL(r.src))))
		case *ast.RawHTML:
			// inline tags like <code> or <br> are dropped; their text stays
		default:
			b.WriteString(r.inline(c))
		}
	}
	return b.String()
}

// wrapWords breaks s into lines of at most width visible columns, each
// starting with indent. A word longer than a line is cut.
func wrapWords(s, indent string, width int) []string {
	var out []string
	line, n := indent, visibleLen(indent)
	for _, w := range strings.Fields(s) {
		wl := visibleLen(w)
		if n > visibleLen(indent) && n+1+wl > width {
			out = append(out, line)
			line, n = indent, visibleLen(indent)
		}
		for wl > width-visibleLen(indent) && width-visibleLen(indent) > 0 {
			// a word wider than the line: cut it (only plain words; a
			// styled word this long keeps its styles on the first piece)
			head, rest := cutVisible(w, width-n-boolInt(n > visibleLen(indent)))
			if head == "" {
				out = append(out, line)
				line, n = indent, visibleLen(indent)
				continue
			}
			if n > visibleLen(indent) {
				line += " "
			}
			out = append(out, line+head)
			line, n = indent, visibleLen(indent)
			w, wl = rest, visibleLen(rest)
		}
		if n > visibleLen(indent) {
			line += " "
			n++
		}
		line += w
		n += wl
	}
	if n > visibleLen(indent) || len(out) == 0 {
		out = append(out, line)
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cutVisible splits s after at most cols visible columns, keeping escape
// sequences whole.
func cutVisible(s string, cols int) (string, string) {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := strings.IndexByte(s[i:], 'm')
			if j < 0 {
				return s, ""
			}
			i += j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if n+runeWidth(r) > cols {
			return s[:i], s[i:]
		}
		n += runeWidth(r)
		i += size
	}
	return s, ""
}

// visibleLen is the number of terminal columns s takes: escape sequences
// take none, wide (CJK, emoji) characters two.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if j := strings.IndexByte(s[i:], 'm'); j >= 0 {
				i += j + 1
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeWidth(r)
		i += size
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r == 0x200d || (r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x300 && r <= 0x36f):
		return 0 // joiners, variation selectors, combining marks
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f, r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1faff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// clean drops control characters (escape sequences included) from lesson
// text: tabs become a space, everything else below 0x20, DEL and the C1
// range go.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f || (r >= 0x80 && r <= 0x9f)
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
