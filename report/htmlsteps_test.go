package report

import (
	"bytes"
	"html/template"
	"testing"
)

// stepsTemplate is the steps part of the page as html/template wrote it
// before writeSteps: the reference writeSteps must match byte for byte, so
// every value keeps the escaping html/template gives its place.
var stepsTemplate = template.Must(template.New("steps").Parse(`<main>
{{- range .Steps}}
<section class="step" id="step-{{.ID}}" data-step="{{.ID}}">
<h2>{{if .Href}}<a href="{{.Href}}">{{.Title}}</a>{{else}}<span>{{.Title}}</span>{{end}} <span class="pts">{{.Points}}/{{.MaxPoints}}{{with .NotGraded}} <span class="muted">({{.}})</span>{{end}}</span></h2>
<div class="bar {{.Fill}}" role="progressbar" aria-label="{{.Title}}" aria-valuemin="0" aria-valuemax="{{.MaxPoints}}" aria-valuenow="{{.Points}}"><span style="width: {{.Pct}}%"></span></div>
{{- range .Checks}}
<article class="check s-{{.Class}}" id="check-{{.ID}}" data-check="{{.ID}}" data-status="{{.Status}}"{{if .NotGraded}} data-not-graded="true"{{end}}>
<div class="row"><span class="badge s-{{.Class}}">{{.StatusName}}</span> <code class="id">{{.ID}}</code>{{if .Required}} <span class="req">{{$.L.Required}}</span>{{end}}<span class="pts">{{.Points}}</span></div>
<p class="msg">{{.Message}}</p>
{{- with .Hint}}
<p class="hint"><strong>{{$.L.Hint}}:</strong> {{.}}</p>
{{- end}}
{{- with .Hints}}
<details class="hints"><summary>{{$.L.Hints}}</summary><ul>{{range .}}<li>{{.}}</li>{{end}}</ul></details>
{{- end}}
{{- with .Evidence}}
<details class="evidence"><summary>{{$.L.Evidence}}</summary><dl>{{range .}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl></details>
{{- end}}
</article>
{{- end}}
</section>
{{- end}}
</main>`))

// FuzzHTMLSteps: for any text in any place of a step or a check, writeSteps
// writes what html/template wrote.
func FuzzHTMLSteps(f *testing.F) {
	for _, s := range []string{
		"deploy.exists", `s1"><script>alert(1)</script>`, "a&b 'c' +1 <x>", "\x00nul",
		"javascript:alert(1)", "https://example.com/a b?x=1&y=%zz%41#frag", "mailto:a@b", "s1:x", "/rel/path:x",
		"ünïcödé — 日本", "\xff\xfe bad utf8", "\ufdd0\uffff", "%", "", "--><!--", "expression(1)",
	} {
		f.Add(s, s, 66.67, true)
	}
	f.Add("a", "b", 1e21, false)
	f.Add("a", "b", -0.5, false)
	f.Fuzz(func(t *testing.T, a, b string, pct float64, flag bool) {
		L := LabelsFor("en")
		L.Hint, L.Required = a, b
		steps := []htmlStep{{
			ID: a, Title: b, Href: a, Points: b, MaxPoints: a, Fill: b, NotGraded: a, Pct: pct,
			Checks: []htmlCheck{
				{ID: a, Status: Status(b), Class: a, StatusName: b, Points: a, Message: b, Hint: a,
					Required: flag, NotGraded: !flag, Hints: []string{a, b}, Evidence: []Fact{{Name: a, Value: b}}},
				{ID: b, Status: Pass, Class: "pass", Message: a, Required: !flag, NotGraded: flag},
			},
		}, {ID: b, Title: a, Href: "#step-" + b}, {ID: "x", Title: a}}
		var want bytes.Buffer
		if err := stepsTemplate.Execute(&want, struct {
			L     Labels
			Steps []htmlStep
		}{L, steps}); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.WriteString("<main>")
		writeSteps(&got, L, steps)
		got.WriteString("\n</main>")
		if got.String() != want.String() {
			t.Fatalf("writeSteps differs from html/template:\n got: %q\nwant: %q", got.String(), want.String())
		}
	})
}
