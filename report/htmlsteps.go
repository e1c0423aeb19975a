package report

import (
	"bytes"
	"fmt"
	"strings"
)

// writeSteps writes the page's steps and their checks, the part of an HTML
// report that grows with the lab, straight to b.
//
// Why not html/template here, as for the rest of the page: it calls an
// escaper through reflection for every value it writes, and a check writes
// fifteen or so; that was four fifths of a page's time, and a class of
// 10 000 writes 10 000 pages. Each value below is escaped as html/template
// escapes it in the same place (text, attribute, URL, URL part, CSS value),
// to the same bytes: FuzzHTMLSteps renders the former template beside this
// and compares, and the golden pages did not change.
func writeSteps(b *bytes.Buffer, L Labels, steps []htmlStep) {
	for _, s := range steps {
		b.WriteString("\n<section class=\"step\" id=\"step-")
		escHTML(b, s.ID)
		b.WriteString("\" data-step=\"")
		escHTML(b, s.ID)
		b.WriteString("\">\n<h2>")
		if s.Href != "" {
			b.WriteString("<a href=\"")
			escURL(b, s.Href)
			b.WriteString("\">")
			escHTML(b, s.Title)
			b.WriteString("</a>")
		} else {
			b.WriteString("<span>")
			escHTML(b, s.Title)
			b.WriteString("</span>")
		}
		b.WriteString(" <span class=\"pts\">")
		escHTML(b, s.Points)
		b.WriteByte('/')
		escHTML(b, s.MaxPoints)
		if s.NotGraded != "" {
			b.WriteString(" <span class=\"muted\">(")
			escHTML(b, s.NotGraded)
			b.WriteString(")</span>")
		}
		b.WriteString("</span></h2>\n<div class=\"bar ")
		escHTML(b, s.Fill)
		b.WriteString("\" role=\"progressbar\" aria-label=\"")
		escHTML(b, s.Title)
		b.WriteString("\" aria-valuemin=\"0\" aria-valuemax=\"")
		escHTML(b, s.MaxPoints)
		b.WriteString("\" aria-valuenow=\"")
		escHTML(b, s.Points)
		b.WriteString("\"><span style=\"width: ")
		escCSSNumber(b, s.Pct)
		b.WriteString("%\"></span></div>")
		for _, c := range s.Checks {
			writeCheck(b, L, c)
		}
		b.WriteString("\n</section>")
	}
}

func writeCheck(b *bytes.Buffer, L Labels, c htmlCheck) {
	b.WriteString("\n<article class=\"check s-")
	escHTML(b, c.Class)
	b.WriteString("\" id=\"check-")
	escHTML(b, c.ID)
	b.WriteString("\" data-check=\"")
	escHTML(b, c.ID)
	b.WriteString("\" data-status=\"")
	escHTML(b, string(c.Status))
	b.WriteByte('"')
	if c.NotGraded {
		b.WriteString(" data-not-graded=\"true\"")
	}
	b.WriteString(">\n<div class=\"row\"><span class=\"badge s-")
	escHTML(b, c.Class)
	b.WriteString("\">")
	escHTML(b, c.StatusName)
	b.WriteString("</span> <code class=\"id\">")
	escHTML(b, c.ID)
	b.WriteString("</code>")
	if c.Required {
		b.WriteString(" <span class=\"req\">")
		escHTML(b, L.Required)
		b.WriteString("</span>")
	}
	b.WriteString("<span class=\"pts\">")
	escHTML(b, c.Points)
	b.WriteString("</span></div>\n<p class=\"msg\">")
	escHTML(b, c.Message)
	b.WriteString("</p>")
	if c.Hint != "" {
		b.WriteString("\n<p class=\"hint\"><strong>")
		escHTML(b, L.Hint)
		b.WriteString(":</strong> ")
		escHTML(b, c.Hint)
		b.WriteString("</p>")
	}
	if len(c.Hints) > 0 {
		b.WriteString("\n<details class=\"hints\"><summary>")
		escHTML(b, L.Hints)
		b.WriteString("</summary><ul>")
		for _, h := range c.Hints {
			b.WriteString("<li>")
			escHTML(b, h)
			b.WriteString("</li>")
		}
		b.WriteString("</ul></details>")
	}
	if len(c.Evidence) > 0 {
		b.WriteString("\n<details class=\"evidence\"><summary>")
		escHTML(b, L.Evidence)
		b.WriteString("</summary><dl>")
		for _, e := range c.Evidence {
			b.WriteString("<dt>")
			escHTML(b, e.Name)
			b.WriteString("</dt><dd>")
			escHTML(b, e.Value)
			b.WriteString("</dd>")
		}
		b.WriteString("</dl></details>")
	}
	b.WriteString("\n</article>")
}

// htmlEscapes is html/template's table for text and quoted attribute
// values (htmlReplacementTable): '+' too, for UTF-7 sniffing browsers, and
// NUL becomes U+FFFD.
var htmlEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// escHTML writes s escaped for an HTML text node or a double-quoted
// attribute value.
func escHTML(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		// Every byte that needs escaping is ASCII, and no byte of a
		// multi-byte UTF-8 sequence is, so a byte loop is enough.
		if int(c) < len(htmlEscapes) && htmlEscapes[c] != "" {
			b.WriteString(s[last:i])
			b.WriteString(htmlEscapes[c])
			last = i + 1
		}
	}
	b.WriteString(s[last:])
}

// escURL writes a whole URL for an href attribute as html/template does:
// a scheme other than http, https or mailto is refused (the address becomes
// "#ZgotmplZ"), then what is not allowed in a URL is percent-encoded and
// the result escaped for the attribute.
func escURL(b *bytes.Buffer, s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		b.WriteString("#ZgotmplZ")
		return
	}
	var u bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
		default:
			fmt.Fprintf(&u, "%%%02x", c)
			continue
		}
		u.WriteByte(c)
	}
	escHTML(b, u.String())
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// escCSSNumber writes a percentage for a style attribute as html/template
// writes a number there: fmt's %v, through its CSS value filter (which
// refuses nothing a float prints: digits, '.', 'e', '+', '-', NaN, Inf),
// then escaped for the attribute ('+' is).
func escCSSNumber(b *bytes.Buffer, f float64) {
	escHTML(b, fmt.Sprint(f))
}
