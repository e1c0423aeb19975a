package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/kubelab/kubelab/internal/htmlfrag"
	"github.com/kubelab/kubelab/internal/i18n"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplate string
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

// htmlTmpl is the page. html/template writes every byte of it and escapes
// every value for its place; the data it gets is prepared as plain strings
// and flags (pageData), so executing it is field reads and escaping, no
// method calls or formatting: a page of a class of 10 000 costs what the
// escaping costs.
var htmlTmpl = template.Must(template.New("report").Parse(htmlTemplate))

type htmlCount struct{ Status, Text string }

type htmlCheck struct {
	L                                             *Labels
	ID, Status, StatusName, Points, Message, Hint string
	// Class is the status's style: the status, or "notgraded".
	Class               string
	Required, NotGraded bool
	Hints               []string
	Evidence            []Fact
}

type htmlStep struct {
	ID, Title, Href, Points, MaxPoints, Fill string
	// PointsOfMax is "Points/MaxPoints", one value where the page shows
	// both as text.
	PointsOfMax string
	// NotGraded is the note on points not graded ("5 points not graded").
	NotGraded string
	Pct       float64
	// Checks are the step's checks, the <article> of each rendered by the
	// template's "check" (checkHTML), one after the other.
	Checks template.HTML
}

// htmlNotGraded is a line of the list of checks not graded.
type htmlNotGraded struct{ ID, Points, Message string }

type htmlData struct {
	L                                                 Labels
	Lang, PageTitle, Generator, Schema, Student, Date string
	Duration, ScoreOfMax, Percent, PassPercent, CSP   string
	LabTitle, LabIDVersion                            string
	// The target's parts; ShowCluster says whether the cluster line is
	// shown (any of Server, Context, Namespace set).
	Image, Digest, Server, Context, Namespace, Deployment, Service string
	ShowCluster                                                    bool
	// Fingerprint is the cluster's fingerprint, KeyID the signing key's
	// (Signed says whether the report is signed).
	Fingerprint, KeyID string
	Signed             bool
	Passed, Incomplete bool
	CSS                template.CSS
	JS                 template.JS
	Counts             []htmlCount
	// Steps are the page's steps, the <section> of each rendered by the
	// template's "step" (fragment), one after the other.
	Steps template.HTML
	// Parts are the rest of the page that many pages share word for word,
	// each rendered by the template's part of that name (fragment).
	Parts htmlParts
	// The verdict: its words, its style (ok, no, wait), and the note on
	// points not graded beside the score.
	Verdict, VerdictClass, ScoreNote string
	NotGraded                        []htmlNotGraded
	// Next is what to do next (NextSteps), nil when nothing is to fix.
	Next *htmlNext
}

// htmlParts are the page's parts rendered by fragment: the head up to the
// stylesheet, the header with the verdict, the "what to do next" box, the
// pass mark, counts, fingerprint and signature, the list of checks not
// graded, the buttons before the steps, and the footer with the script.
type htmlParts struct{ Top, Header, Next, Standing, NotGraded, Tools, Foot template.HTML }

// htmlNext is the "what to do next" box: the first check to fix (its ID
// and message), its hint, and the others counted.
type htmlNext struct{ ID, Message, Hint, More string }

// WriteHTML renders the report as one self-contained HTML page: inline CSS
// and script, no fonts, images or scripts fetched, a Content-Security-Policy
// that forbids fetching anything, and a print stylesheet for A4. The page is
// an html/template (assets/report.html.tmpl): every text that came from the
// report is escaped by it for the place it goes.
func WriteHTML(w io.Writer, r *Report, opt HTMLOptions) error {
	d, err := pageData(r, opt)
	if err != nil {
		return err
	}
	// Rendered in memory and written once: unbuffered, each of the many
	// small pieces would be a system call on a file.
	buf := pageBufs.Get().(*bytes.Buffer)
	defer pageBufs.Put(buf)
	buf.Reset()
	if err := htmlTmpl.Execute(buf, &d); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// pageBufs are the buffers pages are rendered in: a class grading renders
// one page per student, and a buffer kept for the next page is a page's
// worth of garbage less each time.
var pageBufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 32<<10)) }}

// pageData is what the page shows of r, worded in r's language.
func pageData(r *Report, opt HTMLOptions) (htmlData, error) {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	lang := r.Lang
	if !i18n.Supports(lang) {
		lang = "en"
	}
	tg := r.Target
	d := htmlData{
		L: L, Lang: lang, CSP: HTMLCSP,
		CSS: template.CSS(htmlCSS), JS: template.JS(htmlJS),
		Generator:    strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Schema:       r.Schema,
		Student:      studentLine(r.Student),
		Date:         dateLine(r.StartedAt),
		Duration:     durationLine(r),
		ScoreOfMax:   num(r.Score) + "/" + num(r.MaxScore),
		Percent:      num(r.Percent()),
		PassPercent:  num(r.PassPercent),
		LabTitle:     r.Lab.Title,
		LabIDVersion: r.Lab.ID + " " + r.Lab.Version,
		Image:        tg.Image, Digest: tg.Digest, Server: tg.Server, Context: tg.Context, Namespace: tg.Namespace,
		Deployment: tg.Deployment, Service: tg.Service,
		ShowCluster: tg.Server != "" || tg.Context != "" || tg.Namespace != "",
		Passed:      r.Passed, Incomplete: r.Incomplete,
	}
	if r.Fingerprint != nil {
		d.Fingerprint = r.Fingerprint.Cluster
	}
	if r.Signature != nil {
		d.Signed, d.KeyID = true, r.Signature.KeyID
	}
	state, text := verdictOf(r, L)
	d.Verdict, d.VerdictClass = text, map[string]string{verdictPassed: "ok", verdictNotPassed: "no", verdictUndecided: "wait"}[state]
	d.ScoreNote = scoreNote(r, L)
	if next := NextSteps(r); len(next) > 0 {
		d.Next = &htmlNext{ID: next[0].ID, Message: next[0].Message, Hint: nextHint(next[0])}
		// Plain ids: html/template escapes them.
		d.Next.More = andMore(L, next, func(id string) string { return id })
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
		d.Counts = append(d.Counts, htmlCount{Status: string(s), Text: L.StatusName[s] + " " + strconv.Itoa(r.Counts[s])})
	}
	var steps strings.Builder
	for _, g := range groups(r, L.OtherChecks) {
		h, err := stepHTML(g, &L, opt)
		if err != nil {
			return d, err
		}
		steps.WriteString(string(h))
	}
	d.Steps = template.HTML(steps.String())
	return d, d.renderParts()
}

// pagePart is a part of the page: the template's part called name,
// rendered into dst, kept by key (everything it shows).
type pagePart struct {
	name string
	dst  *template.HTML
	key  []string
}

// renderParts renders d's Parts. Each part's key is what it shows; the
// stylesheet, the script and the policy are the binary's own constants,
// the same on every page, so they are left out of the keys.
func (d *htmlData) renderParts() error {
	L := &d.L
	standing := []string{L.PassMark, d.PassPercent, L.Status, L.ClusterFingerprint, d.Fingerprint,
		L.Signature, strconv.FormatBool(d.Signed), L.SignedWith, d.KeyID, L.VerifyWith, L.NotSigned}
	for _, c := range d.Counts {
		standing = append(standing, c.Status, c.Text)
	}
	parts := []pagePart{
		{"top", &d.Parts.Top, []string{d.Lang, d.Generator}},
		{"header", &d.Parts.Header, []string{L.Title, L.Score, d.LabTitle, d.LabIDVersion, d.VerdictClass,
			strconv.FormatBool(d.Passed), strconv.FormatBool(d.Incomplete), d.ScoreOfMax, d.ScoreNote, d.Percent, d.Verdict}},
		{"standing", &d.Parts.Standing, standing},
		{"tools", &d.Parts.Tools, []string{L.ExpandAll, L.CollapseAll}},
		{"foot", &d.Parts.Foot, []string{L.GeneratedBy, d.Generator, d.Schema}},
	}
	if n := d.Next; n != nil {
		parts = append(parts, pagePart{"next", &d.Parts.Next, []string{L.NextSteps, n.ID, n.Message, n.Hint, n.More}})
	}
	if len(d.NotGraded) > 0 {
		key := []string{L.NotGradedList, L.NotGradedAdvice}
		for _, ng := range d.NotGraded {
			key = append(key, ng.ID, ng.Points, ng.Message)
		}
		parts = append(parts, pagePart{"notgraded", &d.Parts.NotGraded, key})
	}
	for _, p := range parts {
		h, err := fragment(p.name, htmlfrag.Key(p.key...), func() (any, error) { return d, nil })
		if err != nil {
			return err
		}
		*p.dst = h
	}
	return nil
}

// stepHTML is one step's <section>: its points, bar and link, and its
// checks' <article>s. Its key is the step's fields and its checks' keys,
// so a step found already rendered renders none of its checks.
func stepHTML(g stepGroup, L *Labels, opt HTMLOptions) (template.HTML, error) {
	st := stepData(g, L, opt)
	checks := make([]htmlCheck, len(g.Checks))
	key := []string{st.ID, st.Title, st.Href, st.Points, st.MaxPoints, st.Fill, st.PointsOfMax, st.NotGraded,
		strconv.FormatFloat(st.Pct, 'g', -1, 64)}
	for i, c := range g.Checks {
		class := string(c.Status)
		if c.NotGraded {
			class = "notgraded"
		}
		checks[i] = htmlCheck{L: L,
			ID: c.ID, Status: string(c.Status), Class: class, StatusName: statusName(*L, c), Points: pointsLine(c), Required: c.Required,
			NotGraded: c.NotGraded, Message: c.Message, Hint: c.Hint, Hints: extraHints(c), Evidence: c.Evidence,
		}
		key = append(key, checkKey(&checks[i]))
	}
	return fragment("step", htmlfrag.Key(key...), func() (any, error) {
		var b strings.Builder
		for i := range checks {
			h, err := checkHTML(&checks[i])
			if err != nil {
				return nil, err
			}
			b.WriteString(string(h))
		}
		st.Checks = template.HTML(b.String())
		return &st, nil
	})
}

// stepData is one step's row of the page but its checks: its points, bar
// and link.
func stepData(g stepGroup, L *Labels, opt HTMLOptions) htmlStep {
	st := htmlStep{ID: g.Step.ID, Title: g.Step.Title, Points: num(g.Step.Points), MaxPoints: num(g.Step.MaxPoints)}
	st.PointsOfMax = st.Points + "/" + st.MaxPoints
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
	return st
}

// checkHTML is a check's <article>, rendered by the template's "check".
func checkHTML(c *htmlCheck) (template.HTML, error) {
	return fragment("check", checkKey(c), func() (any, error) { return c, nil })
}

// fragment is the template's part called name executed on data(), or the
// same part kept from an earlier page (internal/htmlfrag): a class's
// reports repeat most of their parts word for word (the cluster's checks,
// the image's, every pass of the same lab, the labels, the verdict of the
// same score), so html/template writes each once.
func fragment(name, key string, data func() (any, error)) (template.HTML, error) {
	return fragments.Render(htmlTmpl, name, key, data)
}

var fragments htmlfrag.Cache

// checkKey is the key of everything c shows.
func checkKey(c *htmlCheck) string {
	key := []string{c.L.Required, c.L.Hint, c.L.Hints, c.L.Evidence, c.ID, c.Status, c.StatusName, c.Points, c.Message, c.Hint, c.Class,
		strconv.FormatBool(c.Required), strconv.FormatBool(c.NotGraded), strconv.Itoa(len(c.Hints))}
	key = append(key, c.Hints...)
	for _, e := range c.Evidence {
		key = append(key, e.Name, e.Value)
	}
	return htmlfrag.Key(key...)
}
