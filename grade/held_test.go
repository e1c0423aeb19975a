package grade

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// heldClass: a student whose hand-in is held (another key), one whose
// grade is incomplete (30 points not graded), one graded in full whose
// roster name carries an ESC sequence and a right-to-left override.
func heldClass(t *testing.T) *Class {
	t.Helper()
	read := func(id, name string) *report.Report {
		r, err := report.ReadFile(filepath.Join("..", "report", "testdata", "correct.json"))
		if err != nil {
			t.Fatal(err)
		}
		r.Student = report.Student{ID: id, Name: name}
		return r
	}
	held := read("alice", "Alice")
	partial := read("budi", "Budi")
	for i, c := range partial.Checks {
		if c.MaxPoints > 0 && c.Step == partial.Checks[len(partial.Checks)-1].Step {
			partial.Checks[i].Status, partial.Checks[i].Points, partial.Checks[i].NotGraded = report.Error, 0, true
		}
	}
	report.Summarize(partial)
	if !partial.Incomplete || partial.NotGradedPoints == 0 {
		t.Fatalf("the incomplete report is not incomplete: %+v", partial.NotGradedPoints)
	}
	hostile := read("eve", "Eve\x1b[31m\u202eniltsirK")
	for i, c := range hostile.Checks {
		if c.NotGraded {
			hostile.Checks[i].Status, hostile.Checks[i].Points, hostile.Checks[i].NotGraded = report.Pass, c.MaxPoints, false
		}
	}
	report.Summarize(hostile)
	c, err := NewClass([]*report.Report{held, partial, hostile})
	if err != nil {
		t.Fatal(err)
	}
	c.SetHeld(map[string][]string{"alice": {"other-key"}})
	c.SetRoster([]Student{{ID: "eve", Email: "eve\u202e@x.example", Section: "A\x1b]0;pwned\x07"}, {ID: "budi", Email: "budi@x.example"}, {ID: "alice", Email: "alice@x.example"}})
	return c
}

func csvRows(t *testing.T, data []byte) (map[string]int, map[string][]string) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	by := map[string][]string{}
	for _, r := range rows[1:] {
		by[r[0]] = r
	}
	return col, by
}

// TestHeldAndProvisionalGrades: a held grade is no grade in grades.csv or
// any LMS file; an incomplete one says so in grades.csv, with the percent
// of the whole maximum beside the graded share, and stays out of the LMS
// files unless provisional grades are asked for.
func TestHeldAndProvisionalGrades(t *testing.T) {
	c := heldClass(t)
	var g bytes.Buffer
	if err := c.WriteCSV(&g); err != nil {
		t.Fatal(err)
	}
	col, rows := csvRows(t, g.Bytes())
	alice, budi, eve := rows["alice"], rows["budi"], rows["eve"]
	if alice[col["held"]] != "other-key" || alice[col["score"]] != "" || alice[col["percent"]] != "" || alice[col["percent_of_whole"]] != "" {
		t.Errorf("grades.csv, held: %v", alice)
	}
	e := c.Students[1]
	if budi[col["incomplete"]] != "yes" || budi[col["score"]] == "" || budi[col["percent"]] != num(e.Percent) ||
		budi[col["percent_of_whole"]] != num(e.PercentOfWhole()) || e.PercentOfWhole() >= e.Percent {
		t.Errorf("grades.csv, incomplete: %v (percent %v, of the whole %v)", budi, e.Percent, e.PercentOfWhole())
	}
	if eve[col["held"]] != "" || eve[col["score"]] == "" || eve[col["percent_of_whole"]] != eve[col["percent"]] {
		t.Errorf("grades.csv, complete: %v", eve)
	}

	var results bytes.Buffer
	if err := c.WriteJSON(&results); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format, idCol, gradeCol string
	}{{FormatCanvas, "Student", ""}, {FormatMoodle, "Full name", ""}, {FormatCSV, "student_id", "score"}} {
		for _, provisional := range []bool{false, true} {
			var out bytes.Buffer
			sum, err := Export(&out, bytes.NewReader(results.Bytes()), ExportOptions{Format: tc.format, Provisional: provisional})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			// The grade column: the one after Section (Canvas), after Full
			// name (Moodle), score (csv).
			gi := map[string]int{FormatCanvas: 6, FormatMoodle: 2, FormatCSV: 5}[tc.format]
			grades := map[string]string{}
			for _, r := range recs[1:] {
				if r[0] == "Points Possible" {
					continue
				}
				who := r[0]
				if tc.format == FormatMoodle {
					who = r[1]
				}
				for _, k := range []string{"alice", "budi", "eve"} {
					if strings.HasPrefix(strings.ToLower(who), k) {
						grades[k] = r[gi]
					}
				}
			}
			if grades["alice"] != "" {
				t.Errorf("%s (provisional %t): the held grade is exported: %q", tc.format, provisional, grades["alice"])
			}
			if (grades["budi"] != "") != provisional {
				t.Errorf("%s (provisional %t): the incomplete grade is %q", tc.format, provisional, grades["budi"])
			}
			if grades["eve"] == "" {
				t.Errorf("%s: the complete grade is missing:\n%s", tc.format, out.String())
			}
			if provisional {
				continue
			}
			// Every cell of every file is clean.
			for _, data := range [][]byte{out.Bytes(), g.Bytes()} {
				if m := regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]").Find(data); m != nil {
					t.Errorf("%s: a control or bidi character %q reached the file:\n%q", tc.format, m, data)
				}
			}
			if !strings.Contains(out.String(), "Eve[31mniltsirK") {
				t.Errorf("%s: the name's printable text is lost:\n%s", tc.format, out.String())
			}
			// The Canvas and Moodle files leave the held student out (a
			// blank grade cell would remove the LMS's grade) and say why.
			if tc.format != FormatCSV {
				why := ""
				for _, l := range sum.LeftOut {
					if l.ID == "alice" {
						why = l.Reason
					}
				}
				if !strings.Contains(why, "held: other-key") {
					t.Errorf("%s: the held student is not listed as left out with why: %+v", tc.format, sum.LeftOut)
				}
			}
		}
	}
}

// TestDashboardHeldFirstAndScriptHash: the held student's row comes first,
// and the page's CSP allows its one script by hash, never 'unsafe-inline'.
func TestDashboardHeldFirstAndScriptHash(t *testing.T) {
	c := heldClass(t)
	var b bytes.Buffer
	if err := c.WriteDashboard(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	rows := regexp.MustCompile(`students/([a-z]+)\.json`).FindAllStringSubmatch(page, -1)
	if len(rows) == 0 || rows[0][1] != "alice" {
		t.Errorf("the held student is not listed first: %v", rows)
	}
	m := regexp.MustCompile(`Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSP")
	}
	csp := html.UnescapeString(m[1])
	if strings.Contains(csp, "script-src 'unsafe-inline'") || !strings.Contains(csp, "script-src '"+dashboardScriptHash()+"'") {
		t.Errorf("CSP %q", csp)
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d scripts", len(scripts))
	}
	if got := scriptHashOf(scripts[0][1]); got != dashboardScriptHash() {
		t.Errorf("the script the page carries hashes to %s, the CSP allows %s", got, dashboardScriptHash())
	}
}

func scriptHashOf(js string) string {
	sum := sha256.Sum256([]byte(js))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
