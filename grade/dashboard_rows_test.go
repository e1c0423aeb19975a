package grade

import (
	"bytes"
	"html/template"
	"testing"
)

// rowsTemplate is the rows of the dashboard's table as html/template wrote
// them before writeRow: the reference writeRow must match byte for byte.
var rowsTemplate = template.Must(template.New("rows").Parse(`<table><tbody>
{{range .}}<tr data-id="{{.ID}}">
<td data-v="{{.ID}}"><a href="{{.Href}}">{{.ID}}</a></td>
<td data-v="{{.Name}}">{{.Name}}</td>
<td class="num" data-v="{{.Score}}">{{.Score}}/{{.Max}}</td>
<td class="num" data-v="{{.Percent}}">{{.Percent}}</td>
<td data-v="{{.Late}}"{{if eq .Late "yes"}} class="late-yes"{{end}}>{{.LateText}}</td>
<td class="num{{if .Incomplete}} incomplete-yes{{end}}" data-v="{{.NotGraded}}" data-incomplete="{{.Incomplete}}">{{.NotGradedText}}</td>
{{range .Cells}}<td class="num {{.Status}}" data-v="{{.V}}" title="{{.Title}}">{{.Text}}</td>
{{end}}</tr>
{{end}}</tbody></table>`))

// FuzzDashboardRow: for any text in any cell, writeRow writes what
// html/template wrote.
func FuzzDashboardRow(f *testing.F) {
	for _, s := range []string{
		"20250001", `s1"><script>alert(1)</script>`, "a&b 'c' +1 <x>", "\x00nul", "yes",
		"javascript:alert(1)", "students/a b%zz%41.html", "s1:x", "students/x:y.html",
		"Siti Nurhaliza, \"Ani\" — 日本", "=HYPERLINK(\"x\")", "\xff\xfe bad utf8", "", "--><!--",
	} {
		f.Add(s, s, true)
	}
	f.Fuzz(func(t *testing.T, a, b string, flag bool) {
		late := b
		if flag {
			late = "yes"
		}
		rows := []dashRow{
			{ID: a, Name: b, Href: StudentsDir + "/" + a + ".html", Score: a, Max: b, Percent: a, Late: late, LateText: b,
				NotGraded: a, NotGradedText: b, Incomplete: flag,
				Cells: []dashCell{{Status: a, Text: b, Title: a, V: b}, {Status: "pass", Text: "✔ 3", Title: b, V: "3"}}},
			{ID: b, Name: a, Href: a, Incomplete: !flag},
		}
		var want bytes.Buffer
		if err := rowsTemplate.Execute(&want, rows); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.WriteString("<table><tbody>\n")
		for _, r := range rows {
			writeRow(&got, r)
		}
		got.WriteString("</tbody></table>")
		if got.String() != want.String() {
			t.Fatalf("writeRow differs from html/template:\n got: %q\nwant: %q", got.String(), want.String())
		}
	})
}
