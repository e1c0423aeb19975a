package grade

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// TestThreatDashboardHostileNames: names in the roster are the students'
// own text. The dashboard escapes markup and carries no terminal escape;
// the progress line drops control characters (TestProgress).
func TestThreatDashboardHostileNames(t *testing.T) {
	lab := drillLab(t)
	var reports []*report.Report
	for i, name := range []string{`<script>alert("x")</script>`, `"><img src=x onerror=alert(1)>`, "Budi\x1b[2J\x1b]0;pwned\x07", `{{.Secret}}`} {
		r := ErrorReport(lab, "en", Student{ID: string(rune('a' + i)), Name: name}, "ns", "<b>bold</b> error", fixedTime)
		reports = append(reports, r)
	}
	c, err := NewClass(reports)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.WriteDashboard(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>bold"} {
		if strings.Contains(page, bad) {
			t.Errorf("the dashboard carries %q raw", bad)
		}
	}
	// Known gap (docs/threat-model.md): the student reports' HTML drops
	// control characters (report's sanitizer), the dashboard does not yet.
	// They do nothing in a browser; once WriteDashboard cleans its texts,
	// make this an error.
	if strings.ContainsAny(page, "\x1b\x07") {
		t.Log("the dashboard still carries control characters from names (harmless in a browser)")
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Error("the hostile name is not on the page escaped (the test proves nothing)")
	}
}
