package htmlesc

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

// TestSameAsTemplate: each escaper writes what html/template writes for a
// value in the place it is for. The packages that use them fuzz whole
// pages the same way (FuzzHTMLPage, FuzzDashboardRow).
func TestSameAsTemplate(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(
		`<p title="{{.}}">{{.}}</p><a href="{{.}}">x</a><a href="#c-{{.}}">y</a>`))
	num := template.Must(template.New("").Parse(`<span style="width: {{.}}%"></span>`))
	for _, s := range []string{
		"", "plain", `"><script>alert(1)</script>`, "a&b 'c' +1 <x>", "\x00nul", "ünïcödé — 日本",
		"\xff\xfe bad utf8", "javascript:alert(1)", "JavaScript:x", "https://example.com/a b?x=1&y=%zz%41#f",
		"mailto:a@b", "/rel/path:x", "s1:x", "%", "%4", "~-._", "!#$&*+,/:;=?@[]()'",
	} {
		var want bytes.Buffer
		if err := tmpl.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.WriteString(`<p title="`)
		Text(&got, s)
		got.WriteString(`">`)
		Text(&got, s)
		got.WriteString(`</p><a href="`)
		URL(&got, s)
		got.WriteString(`">x</a><a href="#c-`)
		URLPart(&got, s)
		got.WriteString(`">y</a>`)
		if got.String() != want.String() {
			t.Errorf("%q:\n got %q\nwant %q", s, got.String(), want.String())
		}
	}
	for _, f := range []float64{0, 66.67, 100, -0.5, 1e21, 1e-7} {
		var want, got bytes.Buffer
		if err := num.Execute(&want, f); err != nil {
			t.Fatal(err)
		}
		got.WriteString(`<span style="width: `)
		CSSNumber(&got, f)
		got.WriteString(`%"></span>`)
		if got.String() != want.String() {
			t.Errorf("%v:\n got %q\nwant %q", f, got.String(), want.String())
		}
	}
	// The refused scheme is visible, not silently kept.
	var b bytes.Buffer
	URL(&b, "javascript:alert(1)")
	if !strings.Contains(b.String(), "ZgotmplZ") {
		t.Errorf("javascript: URL written as %q", b.String())
	}
}
