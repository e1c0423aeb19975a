package labs

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

var testCatalog = Catalog{
	"deployment.exists": nil,
	"service.port":      {"port"},
}

const goodSpec = `id: demo
version: 1.0.0
title: {en: Demo, id: Demo}
languages: [en, id]
steps:
  - id: one
    title: {en: One, id: Satu}
    file: {en: en/one.md, id: id/one.md}
    checks:
      - id: deployment.exists
        points: 5
        required: true
        hints:
          en: [gentle, explicit]
          id: [halus, jelas]
      - id: service.port
        points: 2.5
        needs: [deployment.exists]
        params: {port: 5000}
`

func fsWith(spec string) fstest.MapFS {
	return fstest.MapFS{
		"lab/lab.yaml":  {Data: []byte(spec)},
		"lab/en/one.md": {Data: []byte("# One\n")},
		"lab/id/one.md": {Data: []byte("# Satu\n")},
	}
}

func TestLoadGood(t *testing.T) {
	l, err := Load(fsWith(goodSpec), "lab", testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Replace(goodSpec, "languages: [en, id]", "languages: [en, id]\nlate_policy: percent:10", 1)
	if l2, err := Load(fsWith(good), "lab", testCatalog); err != nil || l2.LatePolicy != "percent:10" {
		t.Errorf("late_policy: %v %q", err, l2.LatePolicy)
	}
	if l.ID != "demo" || len(l.Steps) != 1 || len(l.Checks()) != 2 || l.MaxScore() != 7.5 || l.PassPercent != 80 {
		t.Fatalf("loaded %+v", l)
	}
	if l.Markdown["one"]["id"] != "# Satu\n" {
		t.Errorf("markdown not loaded: %q", l.Markdown["one"])
	}
	if p := l.Checks()[1].Params["port"]; p != 5000 {
		t.Errorf("params: %#v", p)
	}
}

// TestLoadProblems: each broken spec reports the problem with file, line and
// field, and every problem of a spec at once.
func TestLoadProblems(t *testing.T) {
	cases := []struct {
		name, from, to string
		want           []string // substrings of "file:line: field: msg"
	}{
		{"unknown check id", "id: service.port\n", "id: service.prot\n",
			[]string{`lab/lab.yaml:16: steps[0](one).checks[1](service.prot).id: unknown check id "service.prot"`}},
		{"missing translation", "title: {en: One, id: Satu}", "title: {en: One}",
			[]string{`lab/lab.yaml:7: steps[0](one).title.id: missing translation`}},
		{"missing file", "id: id/one.md}", "id: id/two.md}",
			[]string{`lab/lab.yaml:8: steps[0](one).file.id: markdown file "id/two.md" not found`}},
		{"points not positive", "points: 2.5", "points: -1",
			[]string{`lab/lab.yaml:17: steps[0](one).checks[1](service.port).points: must be a positive number, got -1`}},
		{"points not a number", "points: 5", "points: five",
			[]string{`lab/lab.yaml:11: steps[0](one).checks[0](deployment.exists).points: "five" is not a number`}},
		{"duplicate step id", "", "", nil}, // built below
		{"unknown param", "params: {port: 5000}", "params: {prot: 5000}",
			[]string{`steps[0](one).checks[1](service.port).params.prot: check service.port has no parameter "prot" (it takes: port)`}},
		{"needs unknown", "needs: [deployment.exists]", "needs: [image.pushed]",
			[]string{`needs: needs "image.pushed", which is not a check of this lab`}},
		{"hints differ", "id: [halus, jelas]", "id: [halus]",
			[]string{`hints: en has 2 hints but id has 1`}},
		{"typo field", "required: true", "requird: true",
			[]string{`lab/lab.yaml:12: steps[0](one).checks[0](deployment.exists).requird: unknown field`}},
		{"bad yaml", "languages: [en, id]", "languages: [en, id",
			[]string{`lab/lab.yaml:`, `not valid YAML`}},
		{"bad late policy", "languages: [en, id]", "languages: [en, id]\nlate_policy: half",
			[]string{`lab/lab.yaml:5: late_policy: "half": use none, zero or percent:N`}},
		{"language with no message catalog", "languages: [en, id]", "languages: [en, id, fr]",
			[]string{`lab/lab.yaml:4: languages: kubelab's messages have no "fr" translation (internal/i18n/messages/fr.yaml)`}},
		{"two problems at once", "version: 1.0.0\n", "",
			[]string{`version: required`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := goodSpec
			if tc.name == "duplicate step id" {
				spec = goodSpec + "  - id: one\n    title: {en: Again, id: Lagi}\n    file: {en: en/one.md, id: id/one.md}\n"
				tc.want = []string{`lab/lab.yaml:20: steps[1].id: duplicate step id "one" (first used on line 6)`}
			} else {
				if !strings.Contains(spec, tc.from) {
					t.Fatalf("fixture: %q not in spec", tc.from)
				}
				spec = strings.Replace(spec, tc.from, tc.to, 1)
			}
			if tc.name == "two problems at once" {
				spec = strings.Replace(spec, "points: 2.5", "points: 0", 1)
				tc.want = append(tc.want, "points: must be a positive number, got 0")
			}
			_, err := Load(fsWith(spec), "lab", testCatalog)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			for _, p := range ve.Problems {
				if p.File == "" || p.Line == 0 {
					t.Errorf("problem without file or line: %+v", p)
				}
			}
		})
	}
}
