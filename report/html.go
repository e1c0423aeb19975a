package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/kubelab/kubelab/internal/i18n"
)

var (
	//go:embed assets/report.css
	htmlCSS string
	//go:embed assets/report.js
	htmlJS string
)

// HTMLOptions control the HTML report.
type HTMLOptions struct {
	// LessonURL returns the address of a step's lesson; each step title
	// links there. Nil links each title to its own anchor (#step-ID).
	LessonURL func(stepID string) string
}

// HTMLCSP is the HTML report's Content-Security-Policy: nothing may be
// fetched (styles are inline, images only data: URLs), and the only script
// that may run is the report's own, named by its hash, so even markup that
// slipped into the page could not run a script or an event handler.
var HTMLCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '" + scriptHash(htmlJS) + "'; form-action 'none'; base-uri 'none'"

func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

type htmlCount struct {
	Status Status
	Name   string
	N      int
}

type htmlCheck struct {
	ID, StatusName, Points, Message, Hint string
	Status                                Status
	// Class is the status's style: the status, or "notgraded".
	Class               string
	Required, NotGraded bool
	Hints               []string
	Evidence            []Fact
}

type htmlStep struct {
	ID, Title, Href, Points, MaxPoints, Fill string
	// NotGraded is the note on points not graded ("5 points not graded").
	NotGraded string
	Pct       float64
	Checks    []htmlCheck
}

// htmlNotGraded is a line of the list of checks not graded.
type htmlNotGraded struct{ ID, Points, Message string }

type htmlData struct {
	L                                                    Labels
	R                                                    *Report
	Lang, PageTitle, Generator, Schema, Student, Date    string
	Duration, Score, MaxScore, Percent, PassPercent, CSP string
	CSS                                                  template.CSS
	JS                                                   template.JS
	Counts                                               []htmlCount
	Steps                                                []htmlStep
	// The verdict: its words, its style (ok, no, wait), and the note on
	// points not graded beside the score.
	Verdict, VerdictClass, ScoreNote string
	NotGraded                        []htmlNotGraded
	// Next is what to do next (NextSteps), nil when nothing is to fix.
	Next *htmlNext
}

// htmlNext is the "what to do next" box: the first check to fix, its
// hint, and the others counted.
type htmlNext struct {
	First      Result
	Hint, More string
}

// WriteHTML renders the report as one self-contained HTML page: inline CSS
// and script, no fonts, images or scripts fetched, a Content-Security-Policy
// that forbids fetching anything, and a print stylesheet for A4. Every text
// that came from the report is escaped as html/template would escape it
// there (writePage).
func WriteHTML(w io.Writer, r *Report, opt HTMLOptions) error {
	d := pageData(r, opt)
	// Rendered in memory and written once: unbuffered, each of the many
	// small pieces would be a system call on a file.
	var buf bytes.Buffer
	buf.Grow(32 << 10)
	writePage(&buf, &d)
	_, err := w.Write(buf.Bytes())
	return err
}

// pageData is what the page shows of r, worded in r's language.
func pageData(r *Report, opt HTMLOptions) htmlData {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	lang := r.Lang
	if !i18n.Supports(lang) {
		lang = "en"
	}
	d := htmlData{
		L: L, R: r, Lang: lang, CSP: HTMLCSP,
		CSS: template.CSS(htmlCSS), JS: template.JS(htmlJS),
		Generator:   strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Schema:      r.Schema,
		Student:     studentLine(r.Student),
		Date:        dateLine(r.StartedAt),
		Duration:    durationLine(r),
		Score:       num(r.Score),
		MaxScore:    num(r.MaxScore),
		Percent:     num(r.Percent()),
		PassPercent: num(r.PassPercent),
	}
	state, text := verdictOf(r, L)
	d.Verdict, d.VerdictClass = text, map[string]string{verdictPassed: "ok", verdictNotPassed: "no", verdictUndecided: "wait"}[state]
	d.ScoreNote = scoreNote(r, L)
	if next := NextSteps(r); len(next) > 0 {
		d.Next = &htmlNext{First: next[0], Hint: nextHint(next[0])}
		if len(next) > 1 {
			var ids []string
			for _, c := range next[1:] {
				ids = append(ids, c.ID)
			}
			d.Next.More = fmt.Sprintf(L.AndMore, len(next)-1, strings.Join(ids, ", "))
		}
	}
	for _, c := range r.NotGradedChecks() {
		ng := htmlNotGraded{ID: c.ID, Message: c.Message}
		if c.MaxPoints > 0 {
			ng.Points = num(c.MaxPoints)
		}
		d.NotGraded = append(d.NotGraded, ng)
	}
	d.PageTitle = L.Title
	if d.Student != "" {
		d.PageTitle += " — " + d.Student
	}
	if r.Lab.Title != "" {
		d.PageTitle += " — " + r.Lab.Title
	}
	for _, s := range Statuses {
		d.Counts = append(d.Counts, htmlCount{Status: s, Name: L.StatusName[s], N: r.Counts[s]})
	}
	for _, g := range groups(r, L.OtherChecks) {
		st := htmlStep{ID: g.Step.ID, Title: g.Step.Title, Points: num(g.Step.Points), MaxPoints: num(g.Step.MaxPoints)}
		if g.Step.NotGradedPoints > 0 {
			st.NotGraded = fmt.Sprintf(L.NotGradedPoints, num(g.Step.NotGradedPoints))
		}
		if st.Title == "" {
			st.Title = g.Step.ID
		}
		if opt.LessonURL != nil {
			st.Href = opt.LessonURL(g.Step.ID)
		} else {
			st.Href = "#step-" + g.Step.ID
		}
		if g.Step.MaxPoints > 0 {
			st.Pct = round2(100 * g.Step.Points / g.Step.MaxPoints)
		}
		switch {
		case g.Step.MaxPoints == 0 && g.Step.NotGradedPoints > 0:
			// Nothing of the step was graded: neither earned nor lost.
			st.Fill = "notgraded"
		case g.Step.MaxPoints > 0 && st.Pct >= 100:
			st.Fill = "full"
		case st.Pct > 0:
			st.Fill = "some"
		default:
			st.Fill = "none"
		}
		for _, c := range g.Checks {
			class := string(c.Status)
			if c.NotGraded {
				class = "notgraded"
			}
			st.Checks = append(st.Checks, htmlCheck{
				ID: c.ID, Status: c.Status, Class: class, StatusName: statusName(L, c), Points: pointsLine(c), Required: c.Required,
				NotGraded: c.NotGraded, Message: c.Message, Hint: c.Hint, Hints: extraHints(c), Evidence: c.Evidence,
			})
		}
		d.Steps = append(d.Steps, st)
	}
	return d
}
