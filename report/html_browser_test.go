package report_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/internal/browser"
	"github.com/kubelab/kubelab/report"
)

// serveHTML serves one page on 127.0.0.1 for the browser.
func serveHTML(t *testing.T, html []byte) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// ownRequests fails the test when the page asked for anything but itself.
func ownRequests(t *testing.T, b *browser.Browser, srv *httptest.Server) {
	t.Helper()
	if f := b.Foreign(srv.URL); len(f) > 0 {
		t.Errorf("requests left the page: %v", f)
	}
	var own []string
	for _, u := range b.Requests() {
		if !strings.HasPrefix(u, "data:") {
			own = append(own, u)
		}
	}
	if len(own) != 1 || own[0] != srv.URL+"/" {
		t.Errorf("the page made requests besides loading itself: %v", own)
	}
}

// newBrowser starts Chromium through browser.New with a profile directory
// this test removes itself, retrying: Chromium's helper processes may still
// write to it for a moment after the browser is stopped, which makes
// t.TempDir's own cleanup fail now and then ("directory not empty").
func newBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	dir, err := os.MkdirTemp("", "kubelab-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs after browser.New's cleanup has stopped Chromium
		for i := 0; i < 50; i++ {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove the Chromium profile %s", dir)
	})
	return browser.New(profileTB{T: t, dir: dir})
}

type profileTB struct {
	*testing.T
	dir string
}

func (p profileTB) TempDir() string { return p.dir }

type domCheck struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Badge  string `json:"badge"`
	Points string `json:"points"`
	Msg    string `json:"msg"`
}

// TestHTMLInChromium loads the report of a real grading run (crash-loop, in
// Indonesian) in headless Chromium and reads what a reader sees: the score,
// the verdict, every check's status badge and points, the evidence that
// unfolds, the print layout (A4, evidence shown) and no request leaving the
// page.
func TestHTMLInChromium(t *testing.T) {
	r := readFixture(t, "mistakes")
	var html bytes.Buffer
	if err := report.WriteHTML(&html, r, report.HTMLOptions{LessonURL: lessonURL}); err != nil {
		t.Fatal(err)
	}
	srv := serveHTML(t, html.Bytes())
	b := newBrowser(t)
	L := report.LabelsFor(r.Lang)

	var score, percent, passed, lang, firstHref string
	var checksSeen []domCheck
	var evidenceBlocks, openBlocks, openAfterExpand, openAfterCollapse int
	b.Run(t, 30*time.Second,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible("#score", chromedp.ByQuery),
		chromedp.Text("#score", &score, chromedp.ByQuery),
		chromedp.Text("#percent", &percent, chromedp.ByQuery),
		chromedp.Text("#passed", &passed, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.lang`, &lang),
		chromedp.Evaluate(`document.querySelector("section.step h2 a").getAttribute("href")`, &firstHref),
		chromedp.Evaluate(`[...document.querySelectorAll("article.check")].map(a => ({
			id: a.dataset.check, status: a.dataset.status,
			badge: a.querySelector(".badge").textContent,
			points: a.querySelector(".pts").textContent,
			msg: a.querySelector(".msg").textContent}))`, &checksSeen),
		chromedp.Evaluate(`document.querySelectorAll("details").length`, &evidenceBlocks),
		chromedp.Evaluate(`document.querySelectorAll("details[open]").length`, &openBlocks),
		chromedp.Click("#expand-all", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("details[open]").length`, &openAfterExpand),
		chromedp.Click("#collapse-all", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("details[open]").length`, &openAfterCollapse),
	)
	// image.runs was not graded (--no-run): left out of the maximum.
	if score != "66/95" || percent != "69.47%" {
		t.Errorf("score shown %q (%q), want 66/95 (69.47%%)", score, percent)
	}
	if passed != L.NotPassed || lang != "id" {
		t.Errorf("verdict %q in lang %q, want %q in id", passed, lang, L.NotPassed)
	}
	if firstHref != "lesson.html#your-cluster" {
		t.Errorf("first step links to %q, want its lesson", firstHref)
	}
	if len(checksSeen) != len(r.Checks) {
		t.Fatalf("page shows %d checks, report has %d", len(checksSeen), len(r.Checks))
	}
	for i, c := range r.Checks {
		got := checksSeen[i]
		want := domCheck{ID: c.ID, Status: string(c.Status), Badge: L.StatusName[c.Status], Msg: c.Message}
		want.Points = num(c.Points) + "/" + num(c.MaxPoints)
		switch {
		case c.MaxPoints == 0:
			want.Points = "-"
		case c.NotGraded:
			want.Badge, want.Points = L.NotGraded, "-/"+num(c.MaxPoints)
		}
		if got != want {
			t.Errorf("check %d shown as %+v, want %+v", i, got, want)
		}
	}
	if evidenceBlocks < len(r.Checks)-2 || openBlocks != 0 {
		t.Errorf("%d folded blocks (%d open), want evidence folded for nearly every check", evidenceBlocks, openBlocks)
	}
	// The inline script runs under the page's CSP (its hash is allowed).
	if openAfterExpand != evidenceBlocks || openAfterCollapse != 0 {
		t.Errorf("expand all opened %d of %d blocks, collapse left %d open: the report's script did not run", openAfterExpand, evidenceBlocks, openAfterCollapse)
	}
	b.Screenshot(t, "report-mistakes-id")

	// Printing: evidence that is folded on screen is shown, the buttons are
	// not, and the page is A4.
	var screenHeight, printHeight float64
	var screenVisible, printVisible, toolsShown bool
	var pdf []byte
	const ev = `document.querySelector("details.evidence")`
	b.Run(t, 30*time.Second,
		chromedp.Evaluate(ev+`.getBoundingClientRect().height`, &screenHeight),
		chromedp.Evaluate(ev+`.querySelector("dl").checkVisibility()`, &screenVisible),
		emulation.SetEmulatedMedia().WithMedia("print"),
		chromedp.Evaluate(ev+`.getBoundingClientRect().height`, &printHeight),
		chromedp.Evaluate(ev+`.querySelector("dl").checkVisibility()`, &printVisible),
		chromedp.Evaluate(`getComputedStyle(document.querySelector(".tools")).display !== "none"`, &toolsShown),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().WithPreferCSSPageSize(true).WithPrintBackground(true).Do(ctx)
			return err
		}),
		emulation.SetEmulatedMedia().WithMedia(""),
	)
	if screenVisible || !printVisible || printHeight < screenHeight+20 {
		t.Errorf("folded evidence: on screen visible=%v (%gpx), in print visible=%v (%gpx); want it hidden on screen and shown in print",
			screenVisible, screenHeight, printVisible, printHeight)
	}
	if toolsShown {
		t.Error("the expand/collapse buttons would be printed")
	}
	m := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindSubmatch(pdf)
	if m == nil {
		t.Fatalf("no MediaBox in the %d-byte PDF", len(pdf))
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if w < 593 || w > 598 || h < 840 || h > 845 {
		t.Errorf("printed page is %gx%g pt, want A4 (595x842)", w, h)
	}
	dir := os.Getenv("KUBELAB_ARTIFACTS")
	if dir == "" {
		dir = browser.ArtifactsDir()
	}
	if err := os.WriteFile(filepath.Join(dir, "report-mistakes-id.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	ownRequests(t, b, srv)
}

// TestHTMLHostileInChromium loads the report of a real run whose student
// name, image command and app page hold markup and script: the text is
// shown as text, no script of it runs, no image of it loads.
func TestHTMLHostileInChromium(t *testing.T) {
	r := readFixture(t, "hostile")
	if !strings.Contains(r.Student.Name, "<script>") {
		t.Fatal("the hostile fixture holds no script")
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, r, report.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := serveHTML(t, html.Bytes())
	b := newBrowser(t)

	var pwned, title, student, page, entry string
	var scripts, images, handlers int
	b.Run(t, 30*time.Second,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible("#score", chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`String(window.__pwned)`, &pwned),
		chromedp.Evaluate(`document.title`, &title),
		chromedp.Text("#student", &student, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-check="app.responds"] dd')].map(d => d.textContent).join("\n")`, &page),
		chromedp.Evaluate(`document.querySelector('[data-check="image.entrypoint"] .msg').textContent`, &entry),
		chromedp.Evaluate(`document.scripts.length`, &scripts),
		chromedp.Evaluate(`document.images.length`, &images),
		chromedp.Evaluate(`document.querySelectorAll("[onerror],[onload],[onclick]").length`, &handlers),
	)
	if pwned != "undefined" || title == "pwned" {
		t.Errorf("hostile script ran: window.__pwned=%s, title %q", pwned, title)
	}
	if scripts != 1 || images != 0 || handlers != 0 {
		t.Errorf("the page has %d scripts, %d images, %d event handlers; want only its own script", scripts, images, handlers)
	}
	if want := r.Student.Name + " (" + r.Student.ID + ")"; student != want {
		t.Errorf("student shown as %q, want the text %q", student, want)
	}
	if !strings.Contains(title, r.Student.Name) {
		t.Errorf("title %q does not show the name as text", title)
	}
	if !strings.Contains(page, r.Student.Name) {
		t.Errorf("the app's hostile page is not shown as text in app.responds evidence: %q", page)
	}
	if !strings.Contains(entry, `{{.}} ]]> | `+"`tick`") {
		t.Errorf("image.entrypoint message lost the hostile command: %q", entry)
	}
	b.Screenshot(t, "report-hostile")
	ownRequests(t, b, srv)
}
