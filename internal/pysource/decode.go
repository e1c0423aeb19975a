package pysource

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Files made on a student's laptop reach the image as the editor saved them:
// Windows editors add a UTF-8 byte-order mark, write CRLF line ends, and
// Windows PowerShell 5.1's `echo flask > requirements.txt` writes UTF-16
// with a BOM. Python and pip read all of these; so must the grader, or it
// fails work that runs. Decode and DecodeRequirements read bytes the way
// each of them does and return text with "\n" line ends.

// cookieRe is PEP 263's encoding declaration, as CPython's tokenizer
// matches it on the first or second line.
var cookieRe = regexp.MustCompile(`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`)

// pipCookieRe is pip's looser one (pip/_internal/utils/encoding.py): a line
// starting with # that contains coding: or coding=.
var pipCookieRe = regexp.MustCompile(`coding[:=]\s*([-\w.]+)`)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Decode reads Python source bytes as CPython does: a UTF-8 BOM is dropped,
// else a coding declaration on line 1 or 2 (line 2 only after a comment or
// blank line 1) names the encoding, else UTF-8; then universal newlines
// (CRLF and a lone CR become LF). The error says why Python itself would
// refuse the file (it is not read then either).
func Decode(raw string) (string, error) {
	b := []byte(raw)
	bom := bytes.HasPrefix(b, utf8BOM)
	if bom {
		b = b[len(utf8BOM):]
	}
	if bytes.IndexByte(b, 0) >= 0 {
		// UTF-16 (Notepad's "Unicode") has NUL bytes: CPython stops with
		// "source code cannot contain null bytes".
		return "", fmt.Errorf("source code cannot contain null bytes (saved as UTF-16? save it as UTF-8)")
	}
	enc := "utf-8"
	if name, ok := sourceCookie(b); ok {
		if bom && normName(name) != "utf-8" {
			return "", fmt.Errorf("encoding problem: %s with BOM", name)
		}
		enc = name
	}
	s, err := decodeAs(b, enc)
	if err != nil {
		return "", err
	}
	return universalNewlines(s), nil
}

// sourceCookie finds PEP 263's declaration in the first two lines.
func sourceCookie(b []byte) (string, bool) {
	lines := bytes.SplitN(b, []byte("\n"), 3)
	for i, l := range lines {
		if i == 2 {
			break
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if m := cookieRe.FindSubmatch(l); m != nil {
			return string(m[1]), true
		}
		// Line 2 counts only when line 1 is blank or a comment.
		t := bytes.TrimLeft(l, " \t\f")
		if len(t) > 0 && t[0] != '#' {
			break
		}
	}
	return "", false
}

// DecodeRequirements reads a requirements file as pip does
// (pip._internal.utils.encoding.auto_decode, then str.splitlines): a BOM
// (UTF-8, UTF-16 or UTF-32, either byte order) names the encoding, else a
// "# ... coding: X" line among the first two, else UTF-8 (the locale of a
// python image); every line end Python knows becomes "\n".
func DecodeRequirements(raw string) (string, error) {
	b := []byte(raw)
	boms := []struct {
		bom []byte
		enc encoding.Encoding
	}{
		{utf8BOM, unicode.UTF8},
		{[]byte{0xFF, 0xFE, 0, 0}, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
		{[]byte{0, 0, 0xFE, 0xFF}, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
		{[]byte{0xFF, 0xFE}, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
		{[]byte{0xFE, 0xFF}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	}
	for _, x := range boms {
		if bytes.HasPrefix(b, x.bom) {
			out, err := x.enc.NewDecoder().Bytes(b[len(x.bom):])
			if err != nil {
				return "", err
			}
			return pyLines(string(out)), nil
		}
	}
	for i, l := range bytes.SplitN(b, []byte("\n"), 3) {
		if i == 2 {
			break
		}
		if len(l) > 0 && l[0] == '#' {
			if m := pipCookieRe.FindSubmatch(l); m != nil {
				s, err := decodeAs(b, string(m[1]))
				if err != nil {
					return "", err
				}
				return pyLines(s), nil
			}
		}
	}
	s, err := decodeAs(b, "utf-8")
	if err != nil {
		return "", err
	}
	return pyLines(s), nil
}

// normName is Python's codec name normalisation, for the names students
// write: lowercase, "_" and spaces as "-", and the UTF-8 and Latin-1
// aliases folded.
func normName(n string) string {
	n = strings.ToLower(strings.TrimSpace(n))
	n = strings.NewReplacer("_", "-", " ", "-").Replace(n)
	switch {
	case n == "utf8" || n == "utf-8" || strings.HasPrefix(n, "utf-8-"):
		return "utf-8" // CPython's tokenizer treats "utf-8-*" as utf-8
	case n == "latin-1" || n == "latin1" || n == "l1" || n == "iso-8859-1" || n == "iso8859-1" || n == "iso-latin-1" || strings.HasPrefix(n, "iso-8859-1-"):
		return "latin-1"
	}
	return n
}

// decodeAs decodes b from the named encoding to UTF-8.
func decodeAs(b []byte, name string) (string, error) {
	n := normName(name)
	switch n {
	case "utf-8":
		if !utf8.Valid(b) {
			return "", fmt.Errorf("the file is not valid UTF-8 (declare its encoding or save it as UTF-8)")
		}
		return string(b), nil
	case "latin-1":
		out, err := charmap.ISO8859_1.NewDecoder().Bytes(b)
		return string(out), err
	}
	enc, err := ianaindex.IANA.Encoding(n)
	if err != nil || enc == nil {
		// Python's own names for Windows code pages ("cp1252").
		if strings.HasPrefix(n, "cp") {
			enc, err = ianaindex.IANA.Encoding("windows-" + strings.TrimPrefix(n, "cp"))
		}
	}
	if err != nil || enc == nil {
		return "", fmt.Errorf("unknown encoding: %s", name)
	}
	out, err := enc.NewDecoder().Bytes(b)
	return string(out), err
}

// universalNewlines turns CRLF and lone CR into LF, as Python's reading of
// source does.
func universalNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// pyLines is str.splitlines joined with "\n": every line boundary Python
// knows (CRLF, CR, VT, FF, FS, GS, RS, NEL, LS, PS) becomes "\n".
func pyLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			return '\n'
		}
		return r
	}, s)
}
