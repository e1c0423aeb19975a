package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/goldentest"
	"github.com/kubelab/kubelab/report"
)

// TestJSONDeterministic: the same report gives the same bytes every time
// (counts are a map: its order must not leak), and a saved report read
// back writes exactly the bytes it was read from.
func TestJSONDeterministic(t *testing.T) {
	for _, name := range fixtures {
		saved, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r := readFixture(t, name)
		first, err := report.JSON(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, saved) {
			t.Errorf("%s: Read then JSON changed the bytes:\n%s", name, goldentest.Diff(string(saved), string(first)))
		}
		for i := 0; i < 50; i++ {
			again, _ := report.JSON(readFixture(t, name))
			if !bytes.Equal(again, first) {
				t.Fatalf("%s: run %d gave different bytes", name, i)
			}
		}
	}
}

// TestJSONEmptyLists: a report without steps or checks writes [] (the
// schema wants arrays), and reads back.
func TestJSONEmptyLists(t *testing.T) {
	r := &report.Report{Schema: report.Schema, Tool: report.Tool{Name: "kubelab", Version: "dev"}, Lab: report.Lab{ID: "x", Version: "1"},
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)}
	report.Summarize(r)
	b, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"steps": [],`) || !strings.Contains(string(b), `"checks": [],`) {
		t.Errorf("empty lists not written as []:\n%s", b)
	}
	if _, err := report.Read(b); err != nil {
		t.Errorf("cannot read it back: %v", err)
	}
}

// TestReadRefuses: trailing data and other files are not reports.
func TestReadRefuses(t *testing.T) {
	saved, _ := os.ReadFile(filepath.Join("testdata", "correct.json"))
	for name, data := range map[string]string{
		"trailing data": string(saved) + `{"schema": "kubelab.report/v1"}`,
		"html":          "<!doctype html><p>report</p>",
		"no schema":     `{"score": 100}`,
		"other schema":  `{"schema": "kubelab.report/v2"}`,
	} {
		if _, err := report.Read([]byte(data)); err == nil {
			t.Errorf("%s: read as a report", name)
		}
	}
}

// TestRenderFromSavedJSON: every format renders the same bytes from a
// report and from that report saved as JSON and read back, so a lecturer
// re-rendering a handed-in JSON sees what the student saw.
func TestRenderFromSavedJSON(t *testing.T) {
	r := readFixture(t, "mistakes")
	// In memory, as Grade makes it: times with a monotonic reading and a
	// local zone.
	r.StartedAt = time.Now().Round(time.Millisecond)
	r.FinishedAt = r.StartedAt.Add(3 * time.Second)
	b, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := report.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range report.FormatNames() {
		var a, c bytes.Buffer
		if err := report.Render(&a, f, r, report.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := report.Render(&c, f, saved, report.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), c.Bytes()) {
			t.Errorf("%s: rendering the saved JSON differs:\n%s", f, goldentest.Diff(a.String(), c.String()))
		}
	}
}

// TestFormatsRegistry: every documented format is registered and renders.
func TestFormatsRegistry(t *testing.T) {
	want := []string{"text", "json", "html", "junit", "markdown", "gradescope", "csv", "classroom"}
	if got := report.FormatNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("formats %v, want %v", got, want)
	}
	if err := report.Render(&bytes.Buffer{}, "pdf", readFixture(t, "correct"), report.RenderOptions{}); err == nil || !strings.Contains(err.Error(), "text, json, html") {
		t.Errorf("unknown format: %v", err)
	}
}
