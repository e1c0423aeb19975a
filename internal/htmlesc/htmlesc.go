// Package htmlesc escapes values for hand-written HTML exactly as
// html/template escapes them in the same places, byte for byte.
//
// Why hand-written HTML at all: html/template calls its escapers through
// reflection for every value it writes. For what a class of 10 000 writes
// 10 000 times (a report's page, a row of the dashboard) that was most of
// the time spent writing. Those are written with these functions instead;
// the rest of the dashboard stays a template. Each user (report, grade) has
// a fuzz test that renders the former template beside its hand-written code
// and compares the bytes.
package htmlesc

import (
	"bytes"
	"fmt"
	"strings"
)

// replacements is html/template's table for text and quoted attribute
// values (htmlReplacementTable): '+' too, for UTF-7 sniffing browsers, and
// NUL becomes U+FFFD.
var replacements = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// Text writes s escaped for an HTML text node or a double-quoted attribute
// value.
func Text(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		// Every byte that needs escaping is ASCII, and no byte of a
		// multi-byte UTF-8 sequence is, so a byte loop is enough.
		if int(c) < len(replacements) && replacements[c] != "" {
			b.WriteString(s[last:i])
			b.WriteString(replacements[c])
			last = i + 1
		}
	}
	b.WriteString(s[last:])
}

// URLPart writes a part of a URL after its start (href="#check-{{.}}")
// as html/template does: every byte but letters, digits and -._~
// percent-encoded.
func URLPart(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(b, "%%%02x", c)
	}
}

// URL writes a whole URL for an href attribute as html/template does: a
// scheme other than http, https or mailto is refused (the address becomes
// "#ZgotmplZ"), then what is not allowed in a URL is percent-encoded and
// the result escaped for the attribute.
func URL(b *bytes.Buffer, s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		b.WriteString("#ZgotmplZ")
		return
	}
	var u bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
		case strings.IndexByte("!#$&*+,/:;=?@[]", c) >= 0:
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
		default:
			fmt.Fprintf(&u, "%%%02x", c)
			continue
		}
		u.WriteByte(c)
	}
	Text(b, u.String())
}

// unreserved: a letter, a digit or one of -._~ (RFC 3986), never encoded.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// CSSNumber writes a number for a style attribute as html/template writes
// one there: fmt's %v, through its CSS value filter (which refuses nothing
// a float prints: digits, '.', 'e', '+', '-', NaN, Inf), then escaped for
// the attribute ('+' is).
func CSSNumber(b *bytes.Buffer, f float64) {
	Text(b, fmt.Sprint(f))
}
