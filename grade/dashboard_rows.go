package grade

import (
	"bytes"

	"github.com/kubelab/kubelab/internal/htmlesc"
)

// writeRow writes one student's row of the dashboard's table.
//
// Not html/template, as for the rest of the page: a row has twenty-odd
// values and a class of 10 000 has 10 000 rows, and html/template's
// reflective escaping of each was most of the dashboard's time. Every value
// is escaped as html/template escapes it in the same place (package
// htmlesc); FuzzDashboardRow compares this with the former template.
func writeRow(b *bytes.Buffer, r dashRow) {
	b.WriteString(`<tr data-id="`)
	htmlesc.Text(b, r.ID)
	b.WriteString("\">\n<td data-v=\"")
	htmlesc.Text(b, r.ID)
	b.WriteString(`"><a href="`)
	htmlesc.URL(b, r.Href)
	b.WriteString(`">`)
	htmlesc.Text(b, r.ID)
	b.WriteString("</a></td>\n<td data-v=\"")
	htmlesc.Text(b, r.Name)
	b.WriteString(`">`)
	htmlesc.Text(b, r.Name)
	b.WriteString("</td>\n<td class=\"num\" data-v=\"")
	htmlesc.Text(b, r.Score)
	b.WriteString(`">`)
	htmlesc.Text(b, r.Score)
	b.WriteByte('/')
	htmlesc.Text(b, r.Max)
	b.WriteString("</td>\n<td class=\"num\" data-v=\"")
	htmlesc.Text(b, r.Percent)
	b.WriteString(`">`)
	htmlesc.Text(b, r.Percent)
	b.WriteString("</td>\n<td data-v=\"")
	htmlesc.Text(b, r.Late)
	b.WriteByte('"')
	if r.Late == "yes" {
		b.WriteString(` class="late-yes"`)
	}
	b.WriteByte('>')
	htmlesc.Text(b, r.LateText)
	b.WriteString("</td>\n<td class=\"num")
	if r.Incomplete {
		b.WriteString(" incomplete-yes")
	}
	b.WriteString(`" data-v="`)
	htmlesc.Text(b, r.NotGraded)
	if r.Incomplete {
		b.WriteString(`" data-incomplete="true">`)
	} else {
		b.WriteString(`" data-incomplete="false">`)
	}
	htmlesc.Text(b, r.NotGradedText)
	b.WriteString("</td>\n")
	for _, c := range r.Cells {
		b.WriteString(`<td class="num `)
		htmlesc.Text(b, c.Status)
		b.WriteString(`" data-v="`)
		htmlesc.Text(b, c.V)
		b.WriteString(`" title="`)
		htmlesc.Text(b, c.Title)
		b.WriteString(`">`)
		htmlesc.Text(b, c.Text)
		b.WriteString("</td>\n")
	}
	b.WriteString("</tr>\n")
}
