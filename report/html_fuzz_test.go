package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzHTMLInert: whatever text a report carries in any of its fields, the
// HTML page has the same elements, attributes, comments, script and style
// as the page of the same report with every such text replaced by a plain
// word: hostile text never becomes a live tag, an attribute (an event
// handler), a comment or code. The fuzzer's two strings go into every text
// field of one of the golden reports, alternately.
func FuzzHTMLInert(f *testing.F) {
	bases := goldenJSON(f)
	for i := range bases {
		f.Add(uint8(i), `x"><script>alert(1)</script>`, "javascript:alert(1)", uint8(0xff))
		f.Add(uint8(i), "a&b 'c' +1 % # <!-- --> </style>", "ünïcödé — 日本 \x00 \xff", uint8(0x5a))
		f.Add(uint8(i), `<img src=x onerror=alert(1)>`, `" onmouseover="alert(1)`, uint8(0x41))
	}
	f.Fuzz(func(t *testing.T, base uint8, a, b string, flags uint8) {
		data := bases[int(base)%len(bases)]
		hostile := structure(t, page(t, data, a, b, flags))
		plain := structure(t, page(t, data, word(a), word(b), flags))
		if !slices.Equal(hostile, plain) {
			i := 0
			for i < len(hostile) && i < len(plain) && hostile[i] == plain[i] {
				i++
			}
			t.Fatalf("the text %q / %q changed the page's structure at token %d: %q, with plain words %q",
				a, b, i, hostile[i:min(len(hostile), i+3)], plain[i:min(len(plain), i+3)])
		}
	})
}

// word stands for s in the plain page: s itself when it cannot be markup,
// else a word made from its hash, so two texts are equal, or equal to a
// status or an ID, in both pages alike. It is made from s as the page
// shows it (CleanText): a text of control characters only is shown as
// nothing, and an optional line holding only it is left out, so its
// stand-in is nothing too (the fuzzer found "\x02" as a digest: the page
// rightly had no digest line, the plain page had one).
func word(s string) string {
	s = CleanText(s)
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == "" {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "w" + hex.EncodeToString(sum[:6])
}

// page renders the report data with every text field set to a and b in
// turn, and the optional parts chosen by flags.
func page(t *testing.T, data []byte, a, b string, flags uint8) []byte {
	r, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	fillStrings(reflect.ValueOf(r).Elem(), func() string {
		n++
		if n%2 == 0 {
			return b
		}
		return a
	})
	r.Passed, r.Incomplete = flags&1 != 0, flags&2 != 0
	if flags&4 != 0 {
		r.Fingerprint = &Fingerprint{Cluster: a}
	}
	if flags&8 != 0 {
		r.Signature = &Signature{Algorithm: "ed25519", KeyID: b}
	}
	if flags&16 != 0 {
		r.Student = Student{}
	}
	opt := HTMLOptions{}
	if flags&64 != 0 {
		// The hostile text inside a URL that is always there: whether a
		// step links to its lesson depends on the lab's URL being given,
		// not on the text (with b + step alone, "\x02" made a link and its
		// plain stand-in, empty, made none: CI's fuzzing found it).
		opt.LessonURL = func(step string) string { return "lesson/" + b + step }
	}
	var out bytes.Buffer
	if err := WriteHTML(&out, r, opt); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// structure lists what makes a page do things: each tag with its
// attributes' names, each comment and doctype, and the text of script
// and style elements.
func structure(t *testing.T, page []byte) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(page))
	raw := ""
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			var attrs []string
			for _, at := range tok.Attr {
				attrs = append(attrs, at.Key)
			}
			out = append(out, fmt.Sprintf("%v %s %v", tt, tok.Data, attrs))
			raw = ""
			if tt == html.StartTagToken && (tok.Data == "script" || tok.Data == "style") {
				raw = tok.Data
			}
		case html.CommentToken, html.DoctypeToken:
			out = append(out, fmt.Sprintf("%v %q", tt, z.Token().Data))
		case html.TextToken:
			if raw != "" {
				out = append(out, raw+": "+string(z.Text()))
			}
		}
	}
}

// fillStrings sets every settable string in v (through structs, slices and
// pointers) to next().
func fillStrings(v reflect.Value, next func() string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(next())
		}
	case reflect.Pointer:
		if !v.IsNil() {
			fillStrings(v.Elem(), next)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), next)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fillStrings(v.Index(i), next)
		}
	}
}
