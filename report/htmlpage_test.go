package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"os"
	"reflect"
	"testing"
)

// pageTemplateSrc is the page as html/template wrote it before writePage,
// with the steps (checked by FuzzHTMLSteps) put in as .Main: the reference
// writePage must match byte for byte.
//
//go:embed testdata/report.html.tmpl
var pageTemplateSrc string

var pageTemplate = template.Must(template.New("report").Parse(pageTemplateSrc))

// FuzzHTMLPage: whatever text a report carries in any of its fields, and
// whichever optional parts it has, writePage writes what html/template
// wrote. Each seed is one of the golden reports; the fuzzer's two strings
// are put in every text field of it, alternately.
func FuzzHTMLPage(f *testing.F) {
	var bases []*Report
	for _, name := range []string{"correct", "mistakes", "hostile"} {
		data, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		r, err := Read(data)
		if err != nil {
			f.Fatal(err)
		}
		bases = append(bases, r)
	}
	for i := range bases {
		f.Add(uint8(i), "", "", uint8(0))
		f.Add(uint8(i), `x"><script>alert(1)</script>`, "javascript:alert(1)", uint8(0xff))
		f.Add(uint8(i), "a&b 'c' +1 % #", "ünïcödé — 日本 \x00 \xff", uint8(0x5a))
	}
	f.Fuzz(func(t *testing.T, base uint8, a, b string, flags uint8) {
		// A fresh copy of the base report (its JSON again), then the
		// strings and flags put into it.
		data, err := JSON(bases[int(base)%len(bases)])
		if err != nil {
			t.Fatal(err)
		}
		r, err := Read(data)
		if err != nil {
			t.Fatal(err)
		}
		if a != "" || b != "" {
			n := 0
			fillStrings(reflect.ValueOf(r).Elem(), func() string {
				n++
				if n%2 == 0 {
					return b
				}
				return a
			})
		}
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
		if flags&32 != 0 {
			r.Target = Target{Server: a}
		}
		opt := HTMLOptions{}
		if flags&64 != 0 {
			opt.LessonURL = func(step string) string { return b + step }
		}

		d := pageData(r, opt)
		var main bytes.Buffer
		writeSteps(&main, d.L, d.Steps)
		var want bytes.Buffer
		if err := pageTemplate.Execute(&want, struct {
			*htmlData
			Main template.HTML
		}{&d, template.HTML(main.String())}); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		writePage(&got, &d)
		if got.String() != want.String() {
			g, w := got.String(), want.String()
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			t.Fatalf("writePage differs from html/template at byte %d:\n got: %q\nwant: %q", i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
		}
	})
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
