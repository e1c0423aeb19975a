package labs

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/kubelab/kubelab/internal/i18n"
)

//go:embed assets/lesson.css
var lessonCSS string

// CSS is the lesson pages' stylesheet (also used by kubelab serve).
func CSS() template.CSS { return template.CSS(lessonCSS) }

// PageCSP forbids a page from fetching anything: styles and scripts are
// inline, images may only be data: URLs. It is also what proves the page
// works offline.
const PageCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"

type pageStep struct {
	N     int
	ID    string
	Title string
	Body  template.HTML
	Heads []Heading
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header class="lab"><h1>{{.Title}}</h1>{{with .Description}}<p>{{.}}</p>{{end}}</header>
<div class="wrap">
<nav class="toc" aria-label="{{.TOCLabel}}"><strong>{{.TOCLabel}}</strong>
<ol>{{range .Steps}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ol>
</nav>
<main>
{{range .Steps}}<section class="step" id="{{.ID}}">
<div class="stepno">{{$.StepLabel}} {{.N}}</div>
{{.Body}}
</section>
{{end}}</main>
</div>
</body>
</html>
`))

// WritePage writes the lab (or one step of it, when stepID is set) as one
// self-contained HTML page in lang: inline CSS, a table of contents, heading
// anchors, no external fetches.
func WritePage(w io.Writer, lab *Lab, lang, stepID string) error {
	data := struct {
		Lang, Title, Description, TOCLabel, StepLabel string
		CSP                                           string
		CSS                                           template.CSS
		Steps                                         []pageStep
	}{Lang: lang, Title: lab.Title.Get(lang), Description: lab.Description.Get(lang), CSP: PageCSP, CSS: CSS(),
		TOCLabel: i18n.Tr(lang, "Contents"), StepLabel: i18n.Tr(lang, "Step")}
	found := false
	for i, st := range lab.Steps {
		if stepID != "" && st.ID != stepID {
			continue
		}
		found = true
		body, heads, err := RenderHTML(lab.Markdown[st.ID].Get(lang), st.ID+"--")
		if err != nil {
			return fmt.Errorf("step %s: %w", st.ID, err)
		}
		data.Steps = append(data.Steps, pageStep{N: i + 1, ID: st.ID, Title: st.Title.Get(lang), Body: body, Heads: heads})
	}
	if !found {
		return fmt.Errorf("lab %s has no step %q", lab.ID, stepID)
	}
	return pageTmpl.Execute(w, data)
}
