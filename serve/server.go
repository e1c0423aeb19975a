// Package serve is kubelab's local web lesson: the lab's steps rendered from
// the same Markdown as `kubelab lab show`, with a "Check this step" button
// under each hands-on step that grades it live against the student's own
// cluster and image. Everything is embedded; nothing is fetched from outside.
//
// Safety: it is meant for 127.0.0.1. A check runs only on a POST that carries
// the per-session token from the page and comes from the page's own origin;
// requests with a foreign Host header (DNS rebinding) are refused. No
// kubeconfig content or credential is ever put in a page.
package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

//go:embed assets templates
var files embed.FS

// GradeFunc grades the given steps (nil: all) in lang.
type GradeFunc func(ctx context.Context, steps map[string]bool, lang string) *report.Report

// Server serves one lab to one student.
type Server struct {
	Lab   *labs.Lab
	Lang  string
	Grade GradeFunc
	// Image and Namespace are shown in the page header.
	Image, Namespace string
	// Log receives one line per check run (nil: discard).
	Log *log.Logger
	// Env probes the student's machine as kubelab doctor does
	// (gather.ProbeEnv); when it finds something missing, every page opens
	// with the "Before you start" block and a check shows one line per
	// step. nil: never probed.
	Env func(ctx context.Context) []gather.EnvProblem
	// EnvOptions are what Env probes with, for the wording (context
	// names, the image's registry).
	EnvOptions gather.EnvOptions

	token string
	tmpl  *template.Template
	pages map[string]map[string]template.HTML // step -> lang -> body

	mu       sync.Mutex
	marks    map[string]string // step -> status of its last check
	last     *report.Report    // last full grading
	checking bool
	live     []byte               // last Publish, for pages opened later
	subs     map[chan []byte]bool // open /events streams
	// The last environment probe (envNow, check).
	envKnown    bool
	envProblems []gather.EnvProblem
}

// New prepares a server: renders every step in every language once.
func New(lab *labs.Lab, lang string, grade GradeFunc) (*Server, error) {
	s := &Server{Lab: lab, Lang: lang, Grade: grade, marks: map[string]string{}, pages: map[string]map[string]template.HTML{}}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s.token = hex.EncodeToString(b)
	t, err := template.New("").Funcs(template.FuncMap{
		"label":  func(lang string) report.Labels { return report.LabelsFor(lang) },
		"num":    num,
		"inline": inlineCode,
		// next: what to do next on the score page (report.NextSteps).
		"next": report.NextSteps,
	}).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	for _, st := range lab.Steps {
		s.pages[st.ID] = map[string]template.HTML{}
		for _, l := range lab.Languages {
			body, _, err := labs.RenderHTML(lab.Markdown[st.ID].Get(l), "")
			if err != nil {
				return nil, fmt.Errorf("step %s (%s): %w", st.ID, l, err)
			}
			s.pages[st.ID][l] = body
		}
	}
	return s, nil
}

// Handler returns the HTTP handler. host is the address the server listens
// on ("127.0.0.1:8080"); requests naming another host are refused.
func (s *Server) Handler(listen string) http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(files, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	// The lesson stylesheet is the one `kubelab lab show --format html` inlines.
	mux.HandleFunc("GET /assets/lesson.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = io.WriteString(w, string(labs.CSS()))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/"+s.Lang+"/", http.StatusFound)
	})
	// One set of routes per language: a {lang} wildcard would clash with
	// /assets/.
	for _, l := range s.Lab.Languages {
		mux.HandleFunc("GET /"+l+"/{$}", s.index)
		mux.HandleFunc("GET /"+l+"/step/{step}", s.step)
		mux.HandleFunc("GET /"+l+"/finish", s.finish)
	}
	mux.HandleFunc("POST /api/check", s.check)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /report.json", s.download("json"))
	mux.HandleFunc("GET /report.html", s.download("html"))
	return guard(listen, mux)
}

// guard refuses requests for another host (DNS rebinding) and cross-origin
// POSTs, and sets headers that keep the page from loading anything foreign.
func guard(listen string, next http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(listen)
	allowed := map[string]bool{listen: true, "127.0.0.1:" + port: true, "localhost:" + port: true, "[::1]:" + port: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[r.Host] {
			http.Error(w, "kubelab serve: unexpected Host header "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			origin := r.Header.Get("Origin")
			if origin == "" || origin != "http://"+r.Host {
				http.Error(w, "kubelab serve: cross-origin request refused", http.StatusForbidden)
				return
			}
			if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
				http.Error(w, "kubelab serve: cross-site request refused", http.StatusForbidden)
				return
			}
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type tocEntry struct {
	N       int
	ID      string
	Title   string
	Status  string
	Current bool
}

type pageData struct {
	Lang, OtherLang, Path, Title, Token string
	Image, Namespace                    string
	TOC                                 []tocEntry
	Step                                *tocEntry
	Body                                template.HTML
	HasChecks                           bool
	Prev, Next                          *tocEntry
	Texts                               template.JS
	Last                                *report.Report
	L                                   report.Labels
	UI                                  map[string]string
	// Passed of Graded steps (those with checks) passed: the progress bar.
	Passed, Graded int
	// Before is the "Before you start" block (nil: the machine is ready).
	Before *beforeData
}

func (s *Server) lang(w http.ResponseWriter, r *http.Request) (string, bool) {
	l, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !s.Lab.HasLanguage(l) {
		http.NotFound(w, r)
		return "", false
	}
	return l, true
}

func (s *Server) data(lang, path string, current string) pageData {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := pageData{Lang: lang, Path: path, Title: s.Lab.Title.Get(lang), Token: s.token, Image: s.Image, Namespace: s.Namespace,
		L: report.LabelsFor(lang), UI: uiIn(lang), Last: s.last}
	for _, l := range s.Lab.Languages {
		if l != lang {
			d.OtherLang = l
		}
	}
	texts, _ := json.Marshal(map[string]string{"copy": d.UI["copy"], "copied": d.UI["copied"], "checking": d.UI["checking"], "failed": d.UI["failed"], "timeout": d.UI["timeout"]})
	d.Texts = template.JS(texts)
	for i, st := range s.Lab.Steps {
		status := "lesson"
		if len(st.Checks) > 0 {
			status = "none"
			if m, ok := s.marks[st.ID]; ok {
				status = m
			}
		}
		if len(st.Checks) > 0 {
			d.Graded++
			if status == "pass" {
				d.Passed++
			}
		}
		d.TOC = append(d.TOC, tocEntry{N: i + 1, ID: st.ID, Title: st.Title.Get(lang), Status: status, Current: st.ID == current})
	}
	return d
}

func (s *Server) render(w http.ResponseWriter, name string, d any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "kubelab serve: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	lang, ok := s.lang(w, r)
	if !ok {
		return
	}
	d := s.data(lang, "/", "")
	d.Before = before(lang, s.envNow(r.Context()), s.EnvOptions)
	s.render(w, "index.html", d)
}

func (s *Server) step(w http.ResponseWriter, r *http.Request) {
	lang, ok := s.lang(w, r)
	if !ok {
		return
	}
	id := r.PathValue("step")
	st := s.Lab.Step(id)
	if st == nil {
		http.NotFound(w, r)
		return
	}
	d := s.data(lang, "/step/"+id, id)
	for i := range d.TOC {
		if d.TOC[i].ID == id {
			d.Step = &d.TOC[i]
			if i > 0 {
				d.Prev = &d.TOC[i-1]
			}
			if i+1 < len(d.TOC) {
				d.Next = &d.TOC[i+1]
			}
		}
	}
	d.Body = s.pages[id][lang]
	d.HasChecks = len(st.Checks) > 0
	d.Before = before(lang, s.envNow(r.Context()), s.EnvOptions)
	s.render(w, "step.html", d)
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request) {
	lang, ok := s.lang(w, r)
	if !ok {
		return
	}
	d := s.data(lang, "/finish", "")
	d.Before = before(lang, s.envNow(r.Context()), s.EnvOptions)
	s.render(w, "finish.html", d)
}

type checkRequest struct {
	Step string `json:"step"`
	Lang string `json:"lang"`
}

type resultsData struct {
	Report     *report.Report
	Status     string
	L          report.Labels
	UI         map[string]string
	Components [][2]string
	All        bool
	// Marks are the steps' statuses after this check, for the TOC.
	Marks map[string]string
	// Before and Lines replace the checks when the machine is not ready:
	// the fixes, then one line per step (report.StepLines), as kubelab
	// check prints it.
	Before *beforeData
	Lines  []report.StepLine
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Kubelab-Token")), []byte(s.token)) != 1 {
		http.Error(w, "kubelab serve: missing or wrong session token; reload the page", http.StatusForbidden)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "kubelab serve: expected JSON", http.StatusUnsupportedMediaType)
		return
	}
	var req checkRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "kubelab serve: bad request body", http.StatusBadRequest)
		return
	}
	if !s.Lab.HasLanguage(req.Lang) {
		req.Lang = s.Lang
	}
	var steps map[string]bool
	all := req.Step == "all"
	if !all {
		st := s.Lab.Step(req.Step)
		if st == nil || len(st.Checks) == 0 {
			http.Error(w, "kubelab serve: no checks for step "+req.Step, http.StatusBadRequest)
			return
		}
		steps = map[string]bool{req.Step: true}
	}
	s.mu.Lock()
	if s.checking {
		s.mu.Unlock()
		http.Error(w, "kubelab serve: a check is already running", http.StatusConflict)
		return
	}
	s.checking = true
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.checking = false; s.mu.Unlock() }()

	// The environment probes run beside the grading, as in kubelab check.
	var envc chan []gather.EnvProblem
	if s.Env != nil {
		envc = make(chan []gather.EnvProblem, 1)
		go func() { envc <- s.Env(r.Context()) }()
	}
	start := time.Now()
	rep := s.Grade(r.Context(), steps, req.Lang)
	if s.Log != nil {
		s.Log.Printf("checked %s in %s: %s/%s", req.Step, time.Since(start).Round(time.Millisecond), num(rep.Score), num(rep.MaxScore))
	}
	s.mu.Lock()
	for _, st := range s.Lab.Steps {
		if st2 := stepStatus(rep, st.ID); st2 != "" {
			s.marks[st.ID] = st2
		}
	}
	if all {
		s.last = rep
	}
	marks := map[string]string{}
	for k, v := range s.marks {
		marks[k] = v
	}
	s.mu.Unlock()
	d := resultsData{Report: rep, Status: stepStatus(rep, req.Step), L: report.LabelsFor(req.Lang), UI: uiIn(req.Lang), All: all, Marks: marks}
	if all {
		d.Status = overall(rep.Checks)
	}
	if envc != nil {
		ps := <-envc
		s.setEnv(ps)
		d.brief(req.Lang, ps, s.EnvOptions)
	}
	for _, c := range rep.Checks {
		if c.ID == "cluster.components" && c.Status == report.Pass {
			for _, e := range c.Evidence {
				d.Components = append(d.Components, [2]string{e.Name, e.Value})
			}
		}
	}
	s.render(w, "results.html", d)
}

// brief makes the results the brief ones when ps keep steps from being
// checked (gather.BlocksSteps).
func (d *resultsData) brief(lang string, ps []gather.EnvProblem, env gather.EnvOptions) {
	if !gather.BlocksSteps(ps) {
		return
	}
	d.Before, d.Lines = before(lang, ps, env), report.StepLines(d.Report)
}

// stepStatus sums a step's results up: error, fail, partial, or pass.
func stepStatus(r *report.Report, step string) string {
	var rs []report.Result
	for _, c := range r.Checks {
		if c.Step == step {
			rs = append(rs, c)
		}
	}
	if len(rs) == 0 {
		return ""
	}
	return overall(rs)
}

func overall(rs []report.Result) string {
	has := map[report.Status]bool{}
	for _, c := range rs {
		has[c.Status] = true
	}
	switch {
	case has[report.Error]:
		return "error"
	case has[report.Fail]:
		return "fail"
	case has[report.Partial], has[report.Skipped]:
		return "partial"
	}
	return "pass"
}

// inlineCode escapes s and then shows `spans` as code: hints are written
// with Markdown backticks. Escaping first keeps any text from the cluster
// inert.
func inlineCode(s string) template.HTML {
	esc := template.HTMLEscapeString(s)
	return template.HTML(backticks.ReplaceAllString(esc, "<code>$1</code>")) // #nosec: escaped above
}

var backticks = regexp.MustCompile("`([^`]+)`")

func num(f float64) string { return report.FormatPoints(f) }

// uiIn is the lesson page's words in lang, from the message catalog.
func uiIn(lang string) map[string]string {
	return map[string]string{
		"check":       i18n.Tr(lang, "Check this step"),
		"checkAll":    i18n.Tr(lang, "Check everything"),
		"checking":    i18n.Tr(lang, "Checking…"),
		"copy":        i18n.Tr(lang, "Copy"),
		"copied":      i18n.Tr(lang, "Copied"),
		"failed":      i18n.Tr(lang, "The check could not finish:"),
		"timeout":     i18n.Tr(lang, "it took too long (is the cluster reachable?)"),
		"prev":        i18n.Tr(lang, "Previous"),
		"next":        i18n.Tr(lang, "Next"),
		"finish":      i18n.Tr(lang, "Finish"),
		"start":       i18n.Tr(lang, "Start the lesson"),
		"contents":    i18n.Tr(lang, "Contents"),
		"total":       i18n.Tr(lang, "Your score"),
		"download":    i18n.Tr(lang, "Download your report"),
		"notyet":      i18n.Tr(lang, "Not checked yet."),
		"yours":       i18n.Tr(lang, "What runs in your cluster"),
		"component":   i18n.Tr(lang, "Component"),
		"where":       i18n.Tr(lang, "Seen as"),
		"finishIntro": i18n.Tr(lang, "Check every step at once to get your score and a report you can hand in."),
		"image":       i18n.Tr(lang, "Image"),
		"namespace":   i18n.Tr(lang, "Namespace"),
		"step":        i18n.Tr(lang, "Step"),
		"passedSteps": i18n.Tr(lang, "steps passed"),
	}
}
