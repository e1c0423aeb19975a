package report

import (
	"bytes"
	"strconv"

	"github.com/kubelab/kubelab/internal/htmlesc"
)

// writePage writes the whole HTML page: the head, the verdict, what to do
// next, the facts, the checks not graded, then the steps (writeSteps).
//
// It was an html/template, and html/template calls an escaper through
// reflection for each of the page's sixty-odd values: most of the time a
// class of 10 000 spent on its pages. Each value is escaped here as
// html/template escaped it in the same place (package htmlesc), and
// FuzzHTMLPage renders the former template (testdata/report.html.tmpl)
// beside this and compares the bytes. The CSS and the script are ours,
// written as they are, as template.CSS and template.JS were.
func writePage(b *bytes.Buffer, d *htmlData) {
	L, r := d.L, d.R
	w, t := b.WriteString, func(s string) { htmlesc.Text(b, s) }
	w("<!doctype html>\n<html lang=\"")
	t(d.Lang)
	w("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"")
	t(d.CSP)
	w("\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"generator\" content=\"")
	t(d.Generator)
	w("\">\n<link rel=\"icon\" href=\"data:,\">\n<title>")
	t(d.PageTitle)
	w("</title>\n<style>")
	w(string(d.CSS))
	w("</style>\n</head>\n<body>\n<header class=\"head\">\n<div class=\"title\">\n<h1>")
	t(L.Title)
	w("</h1>\n<p class=\"lab\">")
	t(r.Lab.Title)
	w(" <span class=\"muted\">")
	t(r.Lab.ID)
	w(" ")
	t(r.Lab.Version)
	w("</span></p>\n</div>\n<div class=\"verdict ")
	t(d.VerdictClass)
	w("\" id=\"verdict\" data-passed=\"")
	w(strconv.FormatBool(r.Passed))
	w("\"")
	if r.Incomplete {
		w(" data-incomplete=\"true\"")
	}
	w(">\n<div class=\"score\"><span class=\"muted-label\">")
	t(L.Score)
	w("</span> <span id=\"score\">")
	t(d.Score)
	w("/")
	t(d.MaxScore)
	w("</span></div>")
	if d.ScoreNote != "" {
		w("\n<div class=\"note\" id=\"not-graded-points\">")
		t(d.ScoreNote)
		w("</div>")
	}
	w("\n<div class=\"pct\" id=\"percent\">")
	t(d.Percent)
	w("%</div>\n<div class=\"passed\" id=\"passed\">")
	t(d.Verdict)
	w("</div>\n</div>\n</header>")
	if n := d.Next; n != nil {
		w("\n<section class=\"next\" id=\"next-steps\" aria-label=\"")
		t(L.NextSteps)
		w("\">\n<h2>")
		t(L.NextSteps)
		w("</h2>\n<p><a href=\"#check-")
		htmlesc.URLPart(b, n.First.ID)
		w("\"><code>")
		t(n.First.ID)
		w("</code></a> — ")
		t(n.First.Message)
		w("</p>")
		if n.Hint != "" {
			w("\n<p class=\"next-hint\">")
			t(n.Hint)
			w("</p>")
		}
		if n.More != "" {
			w("\n<p class=\"next-more\">")
			t(n.More)
			w("</p>")
		}
		w("\n</section>")
	}
	w("\n<dl class=\"meta\">")
	if d.Student != "" {
		w("\n<dt>")
		t(L.Student)
		w("</dt><dd id=\"student\">")
		t(d.Student)
		w("</dd>")
	}
	w("\n<dt>")
	t(L.Lab)
	w("</dt><dd>")
	t(r.Lab.Title)
	w(" <span class=\"muted\">(")
	t(r.Lab.ID)
	w(" ")
	t(r.Lab.Version)
	w(")</span></dd>")
	tg := r.Target
	if tg.Image != "" {
		w("\n<dt>")
		t(L.Image)
		w("</dt><dd><code id=\"image\">")
		t(tg.Image)
		w("</code>")
		if tg.Digest != "" {
			w("<br><code class=\"muted\" id=\"digest\">")
			t(tg.Digest)
			w("</code>")
		}
		w("</dd>")
	}
	if tg.Server != "" || tg.Context != "" || tg.Namespace != "" {
		w("\n<dt>")
		t(L.Cluster)
		w("</dt><dd><code id=\"server\">")
		t(tg.Server)
		w("</code>")
		labelled(b, L.Context, tg.Context)
		labelled(b, L.Namespace, tg.Namespace)
		w("</dd>")
	}
	if tg.Deployment != "" {
		w("\n<dt>")
		t(L.Deployment)
		w("</dt><dd><code>")
		t(tg.Deployment)
		w("</code>")
		labelled(b, L.Service, tg.Service)
		w("</dd>")
	}
	if d.Date != "" {
		w("\n<dt>")
		t(L.Date)
		w("</dt><dd>")
		t(d.Date)
		if d.Duration != "" {
			w(" <span class=\"muted\">(")
			t(L.Duration)
			w(" ")
			t(d.Duration)
			w(")</span>")
		}
		w("</dd>")
	}
	w("\n<dt>")
	t(L.PassMark)
	w("</dt><dd>")
	t(d.PassPercent)
	w("%</dd>\n<dt>")
	t(L.Status)
	w("</dt><dd class=\"counts\">")
	for _, c := range d.Counts {
		w("<span class=\"badge s-")
		t(string(c.Status))
		w("\" data-count=\"")
		t(string(c.Status))
		w("\">")
		t(c.Name)
		w(" ")
		w(strconv.Itoa(c.N))
		w("</span>")
	}
	w("</dd>")
	if r.Fingerprint != nil && r.Fingerprint.Cluster != "" {
		w("\n<dt>")
		t(L.ClusterFingerprint)
		w("</dt><dd><code id=\"fingerprint\">")
		t(r.Fingerprint.Cluster)
		w("</code></dd>")
	}
	w("\n<dt>")
	t(L.Signature)
	w("</dt><dd id=\"signature\">")
	if r.Signature != nil {
		w("ed25519, ")
		t(L.SignedWith)
		w(" <code>")
		t(r.Signature.KeyID)
		w("</code> <span class=\"muted\">(")
		t(L.VerifyWith)
		w(")</span>")
	} else {
		w("<span class=\"muted\">")
		t(L.NotSigned)
		w("</span>")
	}
	w("</dd>\n</dl>")
	if len(d.NotGraded) > 0 {
		w("\n<section class=\"notgraded\" id=\"not-graded\">\n<h2>")
		t(L.NotGradedList)
		w("</h2>\n<ul>")
		for _, ng := range d.NotGraded {
			w("<li><a href=\"#check-")
			htmlesc.URLPart(b, ng.ID)
			w("\"><code>")
			t(ng.ID)
			w("</code></a>")
			if ng.Points != "" {
				w(" (")
				t(ng.Points)
				w(")")
			}
			w(": ")
			t(ng.Message)
			w("</li>")
		}
		w("</ul>\n<p>")
		t(L.NotGradedAdvice)
		w("</p>\n</section>")
	}
	w("\n<div class=\"tools noprint\"><button type=\"button\" id=\"expand-all\">")
	t(L.ExpandAll)
	w("</button><button type=\"button\" id=\"collapse-all\">")
	t(L.CollapseAll)
	w("</button></div>\n<main>")
	writeSteps(b, L, d.Steps)
	w("\n</main>\n<footer>")
	t(L.GeneratedBy)
	w(" ")
	t(d.Generator)
	w(" · ")
	t(d.Schema)
	w("</footer>\n<script>")
	w(string(d.JS))
	w("</script>\n</body>\n</html>\n")
}

// labelled writes " · label <code>value</code>" when value is set.
func labelled(b *bytes.Buffer, label, value string) {
	if value == "" {
		return
	}
	b.WriteString(" · ")
	htmlesc.Text(b, label)
	b.WriteString(" <code>")
	htmlesc.Text(b, value)
	b.WriteString("</code>")
}
