package serve_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/internal/browser"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/serve"
)

var docsShots = flag.Bool("docs", false, "also write the lesson-table screenshots into docs/")

// boxes is what the page measures at one width: whether the document
// scrolls sideways, and the widest table's own box.
type boxes struct {
	DocWidth   float64 `json:"docWidth"`
	ViewWidth  float64 `json:"viewWidth"`
	Tables     int     `json:"tables"`
	TableWidth float64 `json:"tableWidth"` // the table's content (scrollWidth)
	TableBox   float64 `json:"tableBox"`   // the box it is shown in (clientWidth)
	TableRight float64 `json:"tableRight"`
	Scrolled   float64 `json:"scrolled"` // scrollLeft after asking for 60 px
}

const measure = `(() => {
  const ts = [...document.querySelectorAll("main table")];
  ts.sort((a, b) => b.scrollWidth - a.scrollWidth);
  const t = ts[0];
  const r = {docWidth: document.documentElement.scrollWidth, viewWidth: window.innerWidth, tables: ts.length,
    tableWidth: 0, tableBox: 0, tableRight: 0, scrolled: 0};
  if (t) {
    r.tableWidth = t.scrollWidth; r.tableBox = t.clientWidth; r.tableRight = t.getBoundingClientRect().right;
    t.scrollLeft = 60; r.scrolled = t.scrollLeft; t.scrollLeft = 0;
  }
  return r;
})()`

// showTable scrolls the page to the table's heading, below the sticky bar.
const showTable = `(() => {
  let h = document.querySelector("main table");
  while (h && !/^H[1-6]$/.test(h.tagName)) h = h.previousElementSibling;
  window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 56);
})()`

// TestLessonOnPhone: at 390 px (a phone) no step of either lesson makes
// the page scroll sideways; the wide table of "Read the cluster's events"
// scrolls inside its own box instead of being cut off. At 1440 px the same
// table fits. Screenshots of that step at both widths (-docs writes them
// into docs/ for the student guide).
func TestLessonOnPhone(t *testing.T) {
	l := lab(t)
	s, err := serve.New(l, "en", func(_ context.Context, _ map[string]bool, lang string) *report.Report {
		return &report.Report{Lang: lang}
	})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	b := browser.New(t)
	b.Run(t, 10*time.Second, chromedp.EmulateViewport(390, 844))
	for _, lang := range []string{"en", "id"} {
		for _, st := range l.Steps {
			var m boxes
			b.Run(t, 20*time.Second, chromedp.Navigate(base+"/"+lang+"/step/"+st.ID), chromedp.WaitReady("main", chromedp.ByQuery),
				chromedp.Evaluate(measure, &m))
			if m.DocWidth > m.ViewWidth+1 {
				t.Errorf("%s/%s at 390 px: the page is %v px wide and scrolls sideways", lang, st.ID, m.DocWidth)
			}
			if m.Tables > 0 && m.TableRight > m.ViewWidth+1 {
				t.Errorf("%s/%s at 390 px: a table reaches %v px, past the screen", lang, st.ID, m.TableRight)
			}
		}
	}

	var m boxes
	b.Run(t, 20*time.Second, chromedp.Navigate(base+"/en/step/get-events"), chromedp.WaitReady("main table", chromedp.ByQuery),
		chromedp.Evaluate(measure, &m))
	if m.TableWidth <= m.TableBox {
		t.Fatalf("at 390 px the events table (%v px) fits its box (%v px): the test would prove nothing", m.TableWidth, m.TableBox)
	}
	if m.Scrolled < 59 {
		t.Errorf("at 390 px the events table does not scroll in its box: scrollLeft %v after asking for 60", m.Scrolled)
	}
	b.Run(t, 10*time.Second, chromedp.Evaluate(showTable, nil))
	shot(t, b, "lesson-table-390")

	b.Run(t, 10*time.Second, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(base+"/en/step/get-events"),
		chromedp.WaitReady("main table", chromedp.ByQuery), chromedp.Evaluate(measure, &m))
	if m.TableWidth > m.TableBox || m.DocWidth > m.ViewWidth+1 {
		t.Errorf("at 1440 px the events table (%v px in a %v px box) or the page (%v px) does not fit", m.TableWidth, m.TableBox, m.DocWidth)
	}
	b.Run(t, 10*time.Second, chromedp.Evaluate(showTable, nil))
	shot(t, b, "lesson-table-1440")
}

// shot saves a screenshot among the test artefacts and, with -docs, into
// docs/ where the student guide shows it.
func shot(t *testing.T, b *browser.Browser, name string) {
	t.Helper()
	p := b.Screenshot(t, name)
	if !*docsShots {
		return
	}
	png, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
