package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/report"
)

// hostile is text from a student's cluster, image or app that tries to
// break out of every format: markup and script, quotes, a template action,
// the end of a CDATA section, a table pipe, backticks, a mention, a
// spreadsheet formula and a terminal escape.
const hostile = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> \"quotes\" 'single' {{.}} ]]> | `tick` @here \x1b]0;title\x07"

// hostileReport has hostile text in every field a renderer shows, formula
// starts in the cells a spreadsheet reads, and every status.
func hostileReport() *report.Report {
	r := &report.Report{
		Schema: report.Schema, Tool: report.Tool{Name: "kubelab", Version: "1.0 " + hostile},
		Lab:     report.Lab{ID: "lab-" + hostile, Version: "v" + hostile, Title: "Title " + hostile},
		Lang:    `en"><script>window.__pwned=3</script>`,
		Student: report.Student{ID: "=HYPERLINK(\"http://evil.example\",\"click\")", Name: "+SUM(1,2) " + hostile},
		Target: report.Target{Image: "img " + hostile, Digest: "sha256:" + hostile, Server: "https://" + hostile,
			Context: "ctx " + hostile, Namespace: "ns " + hostile, Deployment: "dep " + hostile, Service: "svc " + hostile},
		StartedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC),
		PassPercent: 80,
		Steps: []report.Step{
			{ID: `s1"><script>window.__pwned=4</script>`, Title: "Step " + hostile},
			{ID: "s2", Title: "-1+2 " + hostile},
		},
		Fingerprint: &report.Fingerprint{ImageDigest: "sha256:" + hostile},
	}
	ev := []report.Fact{{Name: "@name " + hostile, Value: "@SUM(A1:A9) " + hostile}, {Name: "page", Value: "line1\nline2 " + hostile}}
	for i, st := range []report.Status{report.Pass, report.Partial, report.Fail, report.Error, report.Skipped} {
		step := r.Steps[i%2].ID
		r.Checks = append(r.Checks, report.Result{
			ID: "check." + string(st) + hostile, Step: step, Status: st, Points: map[report.Status]float64{report.Pass: 2, report.Partial: 1}[st], MaxPoints: 2,
			Required: st == report.Fail, Message: "=cmd|' /C calc'!A0 " + hostile, Hint: "-hint " + hostile,
			Hints: []string{"-hint " + hostile, "more " + hostile}, Evidence: ev, DurationMS: int64(10 * i),
		})
	}
	// A check of no listed step.
	r.Checks = append(r.Checks, report.Result{ID: "orphan", Step: "nowhere " + hostile, Status: report.Pass, Points: 1, MaxPoints: 1, Message: hostile})
	report.Summarize(r)
	return r
}

func renderAll(t *testing.T, r *report.Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range report.FormatNames() {
		var b bytes.Buffer
		if err := report.Render(&b, f, r, report.RenderOptions{Evidence: true, LessonURL: func(id string) string { return "lesson.html#" + id }}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.String()
	}
	return out
}

// TestHostileRoundTrip: the hostile report is a valid report and survives
// JSON unchanged (the fixture from a real run is checked the same way by
// the golden tests).
func TestHostileRoundTrip(t *testing.T) {
	r := hostileReport()
	b, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := report.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := report.JSON(back)
	if !bytes.Equal(b, b2) {
		t.Error("hostile report changed in a JSON round trip")
	}
	if strings.Contains(string(b), "<script>") {
		t.Error("JSON holds a raw <script> (it should be \\u003c, safe to paste into HTML)")
	}
}

// TestHostileHTML: hostile text is escaped (shown, not dropped); the page
// has only its own script; the lang attribute stays a language.
func TestHostileHTML(t *testing.T) {
	for name, r := range map[string]*report.Report{"synthetic": hostileReport(), "real run": readFixture(t, "hostile")} {
		html := renderAll(t, r)["html"]
		if n := strings.Count(html, "<script"); n != 1 {
			t.Errorf("%s: %d <script> tags, want only the report's own", name, n)
		}
		for _, bad := range []string{"<img", "window.__pwned=3</script>", `"><script>`, "\x1b"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: HTML contains raw %q", name, bad)
			}
		}
		if !strings.Contains(html, "&lt;script&gt;window.__pwned=") || !strings.Contains(html, "{{.}} ]]&gt; | `tick`") {
			t.Errorf("%s: the hostile text is not shown escaped", name)
		}
		if !strings.HasPrefix(html, "<!doctype html>\n<html lang=\"en\">") {
			t.Errorf("%s: page starts %q", name, html[:40])
		}
		if !strings.Contains(html, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`) {
			t.Errorf("%s: no CSP that forbids fetching", name)
		}
	}
}

// TestHostileJUnit: the XML parses, every hostile text comes back intact
// from the parser, and no markup or CDATA end is raw.
func TestHostileJUnit(t *testing.T) {
	r := hostileReport()
	out := renderAll(t, r)["junit"]
	if strings.Contains(out, "<script") || strings.Contains(out, "]]>") || strings.Contains(out, "\x1b") {
		t.Errorf("JUnit holds raw markup, a CDATA end or an escape")
	}
	var doc struct {
		Name   string `xml:"name,attr"`
		Tests  int    `xml:"tests,attr"`
		Fail   int    `xml:"failures,attr"`
		Errs   int    `xml:"errors,attr"`
		Skip   int    `xml:"skipped,attr"`
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if doc.Tests != 6 || doc.Fail != 2 || doc.Errs != 1 || doc.Skip != 1 || len(doc.Suites) != 3 {
		t.Errorf("counts tests=%d failures=%d errors=%d skipped=%d suites=%d, want 6/2/1/1/3", doc.Tests, doc.Fail, doc.Errs, doc.Skip, len(doc.Suites))
	}
	clean := strings.TrimSuffix(hostile, " \x1b]0;title\x07") + " ]0;title" // control characters are dropped
	if doc.Suites[0].Name != "Step "+clean {
		t.Errorf("suite name %q", doc.Suites[0].Name)
	}
	seen := map[string]bool{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			seen[c.Name] = true
			switch {
			case c.Failure != nil:
				if !strings.Contains(c.Failure.Message, hostile[:40]) || !strings.Contains(c.Failure.Body, "@SUM(A1:A9) <script>") {
					t.Errorf("%s: failure lost the text: %+v", c.Name, c.Failure)
				}
			case c.Error != nil, c.Skipped != nil:
			default:
				if !strings.Contains(c.Out, "{{.}} ]]> | `tick`") {
					t.Errorf("%s: system-out lost the text: %q", c.Name, c.Out)
				}
			}
		}
	}
	if len(seen) != 6 {
		t.Errorf("cases %v", seen)
	}
}

// TestHostileMarkdown: no HTML but the report's own tags, table rows keep
// their columns, backticks, mentions, links and template actions are
// escaped.
func TestHostileMarkdown(t *testing.T) {
	for name, r := range map[string]*report.Report{"synthetic": hostileReport(), "real run": readFixture(t, "hostile")} {
		md := renderAll(t, r)["markdown"]
		own := regexp.MustCompile(`</?(details|summary|sub)>`)
		if rest := own.ReplaceAllString(md, ""); strings.ContainsAny(rest, "<>") {
			i := strings.IndexAny(rest, "<>")
			t.Errorf("%s: Markdown holds raw < or > near %q", name, rest[max(0, i-30):min(len(rest), i+30)])
		}
		for _, bad := range []string{`(^|[^\\])\{\{`, `(^|[^\\])@here`, "(^|[^\\\\])`tick", "\x1b"} {
			if m := regexp.MustCompile(bad).FindString(md); m != "" {
				t.Errorf("%s: Markdown holds unescaped %q", name, m)
			}
		}
		if !strings.Contains(md, `\{\{.\}\} \]\]&gt; \| \`+"`"+`tick\`+"`"+` `) {
			t.Errorf("%s: hostile text not shown escaped", name)
		}
		unescapedPipe := regexp.MustCompile(`(^|[^\\])\|`)
		for i, line := range strings.Split(md, "\n") {
			if !strings.HasPrefix(line, "|") {
				continue
			}
			n := len(unescapedPipe.FindAllString(line, -1))
			// "| a | b |" and "|---|---|": cells + 1 pipes; the first
			// regexp match eats the character before the pipe, so count
			// the pipes the line starts with as well.
			if strings.HasPrefix(line, "||") {
				n++
			}
			if n != 3 && n != 5 {
				t.Errorf("%s: line %d has %d table pipes: %q", name, i+1, n, line)
			}
		}
	}
}

// TestHostileCSV: a spreadsheet reads every cell as text (no formula), the
// rows keep their columns, and hostile text comes back from a CSV reader.
func TestHostileCSV(t *testing.T) {
	r := hostileReport()
	rows, err := csv.NewReader(strings.NewReader(renderAll(t, r)["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Checks)+1 || strings.Join(rows[0], ",") != strings.Join(report.CSVHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	formulas := 0
	for i, row := range rows {
		if len(row) != len(report.CSVHeader) {
			t.Errorf("row %d has %d cells", i, len(row))
		}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d %s = %q starts a formula", i, report.CSVHeader[j], cell)
			}
			if strings.HasPrefix(cell, "'") {
				formulas++
			}
			if strings.ContainsAny(cell, "\x1b\n") {
				t.Errorf("row %d %s holds a control character or newline: %q", i, report.CSVHeader[j], cell)
			}
		}
	}
	// student id and name, message, hint, evidence in every check row.
	if formulas < 5*5 {
		t.Errorf("only %d cells were guarded", formulas)
	}
	if got := rows[1][0]; got != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("student id cell %q", got)
	}
	if !strings.Contains(rows[1][10], "{{.}} ]]> | `tick` @here") {
		t.Errorf("message cell lost the text: %q", rows[1][10])
	}
}

// TestHostileGradescope: valid JSON whose outputs hold the text verbatim,
// declared plain text, with no raw markup in the file.
func TestHostileGradescope(t *testing.T) {
	r := hostileReport()
	out := renderAll(t, r)["gradescope"]
	if strings.Contains(out, "<script") {
		t.Error("raw <script> in results.json")
	}
	var res struct {
		Score        float64 `json:"score"`
		Output       string  `json:"output"`
		OutputFormat string  `json:"output_format"`
		Visibility   string  `json:"visibility"`
		Tests        []struct {
			Score, MaxScore    float64
			Name, Output       string
			Visibility, Status string
		} `json:"tests"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Score != r.Score || len(res.Tests) != len(r.Checks) || res.OutputFormat != "text" || res.Visibility != "visible" {
		t.Errorf("results: score %g tests %d format %q", res.Score, len(res.Tests), res.OutputFormat)
	}
	if !strings.Contains(res.Tests[1].Output, "{{.}} ]]> | `tick` @here") || strings.Contains(res.Output+res.Tests[1].Output, "\x1b") {
		t.Errorf("test output: %q", res.Tests[1].Output)
	}
}

// TestHostileText: a terminal escape in the report cannot repaint the
// grader's terminal.
func TestHostileText(t *testing.T) {
	out := renderAll(t, hostileReport())["text"]
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Error("text output holds terminal control characters")
	}
	if !strings.Contains(out, "<script>window.__pwned=1</script>") {
		t.Error("text output does not show the text as it is")
	}
}
