package report

import (
	"bytes"

	"github.com/kubelab/kubelab/internal/htmlesc"
)

// writeSteps writes the page's steps and their checks, the part of an HTML
// report that grows with the lab, straight to b (for writePage, which says
// why the page is not a template). Each value is escaped as html/template
// escaped it in the same place (package htmlesc), to the same bytes:
// FuzzHTMLSteps renders the former template of this part beside it and
// compares, and the golden pages did not change.
func writeSteps(b *bytes.Buffer, L Labels, steps []htmlStep) {
	for _, s := range steps {
		b.WriteString("\n<section class=\"step\" id=\"step-")
		htmlesc.Text(b, s.ID)
		b.WriteString("\" data-step=\"")
		htmlesc.Text(b, s.ID)
		b.WriteString("\">\n<h2>")
		if s.Href != "" {
			b.WriteString("<a href=\"")
			htmlesc.URL(b, s.Href)
			b.WriteString("\">")
			htmlesc.Text(b, s.Title)
			b.WriteString("</a>")
		} else {
			b.WriteString("<span>")
			htmlesc.Text(b, s.Title)
			b.WriteString("</span>")
		}
		b.WriteString(" <span class=\"pts\">")
		htmlesc.Text(b, s.Points)
		b.WriteByte('/')
		htmlesc.Text(b, s.MaxPoints)
		if s.NotGraded != "" {
			b.WriteString(" <span class=\"muted\">(")
			htmlesc.Text(b, s.NotGraded)
			b.WriteString(")</span>")
		}
		b.WriteString("</span></h2>\n<div class=\"bar ")
		htmlesc.Text(b, s.Fill)
		b.WriteString("\" role=\"progressbar\" aria-label=\"")
		htmlesc.Text(b, s.Title)
		b.WriteString("\" aria-valuemin=\"0\" aria-valuemax=\"")
		htmlesc.Text(b, s.MaxPoints)
		b.WriteString("\" aria-valuenow=\"")
		htmlesc.Text(b, s.Points)
		b.WriteString("\"><span style=\"width: ")
		htmlesc.CSSNumber(b, s.Pct)
		b.WriteString("%\"></span></div>")
		for _, c := range s.Checks {
			writeCheck(b, L, c)
		}
		b.WriteString("\n</section>")
	}
}

func writeCheck(b *bytes.Buffer, L Labels, c htmlCheck) {
	b.WriteString("\n<article class=\"check s-")
	htmlesc.Text(b, c.Class)
	b.WriteString("\" id=\"check-")
	htmlesc.Text(b, c.ID)
	b.WriteString("\" data-check=\"")
	htmlesc.Text(b, c.ID)
	b.WriteString("\" data-status=\"")
	htmlesc.Text(b, string(c.Status))
	b.WriteByte('"')
	if c.NotGraded {
		b.WriteString(" data-not-graded=\"true\"")
	}
	b.WriteString(">\n<div class=\"row\"><span class=\"badge s-")
	htmlesc.Text(b, c.Class)
	b.WriteString("\">")
	htmlesc.Text(b, c.StatusName)
	b.WriteString("</span> <code class=\"id\">")
	htmlesc.Text(b, c.ID)
	b.WriteString("</code>")
	if c.Required {
		b.WriteString(" <span class=\"req\">")
		htmlesc.Text(b, L.Required)
		b.WriteString("</span>")
	}
	b.WriteString("<span class=\"pts\">")
	htmlesc.Text(b, c.Points)
	b.WriteString("</span></div>\n<p class=\"msg\">")
	htmlesc.Text(b, c.Message)
	b.WriteString("</p>")
	if c.Hint != "" {
		b.WriteString("\n<p class=\"hint\"><strong>")
		htmlesc.Text(b, L.Hint)
		b.WriteString(":</strong> ")
		htmlesc.Text(b, c.Hint)
		b.WriteString("</p>")
	}
	if len(c.Hints) > 0 {
		b.WriteString("\n<details class=\"hints\"><summary>")
		htmlesc.Text(b, L.Hints)
		b.WriteString("</summary><ul>")
		for _, h := range c.Hints {
			b.WriteString("<li>")
			htmlesc.Text(b, h)
			b.WriteString("</li>")
		}
		b.WriteString("</ul></details>")
	}
	if len(c.Evidence) > 0 {
		b.WriteString("\n<details class=\"evidence\"><summary>")
		htmlesc.Text(b, L.Evidence)
		b.WriteString("</summary><dl>")
		for _, e := range c.Evidence {
			b.WriteString("<dt>")
			htmlesc.Text(b, e.Name)
			b.WriteString("</dt><dd>")
			htmlesc.Text(b, e.Value)
			b.WriteString("</dd>")
		}
		b.WriteString("</dl></details>")
	}
	b.WriteString("\n</article>")
}
