package grade

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubelab/kubelab/report"
)

var updateLMS = flag.Bool("update-lms", false, "rewrite grade/testdata/lms/*.golden (and the sample results.json)")

// sampleClass is the class of grade/testdata/lms/results.json: reports of
// report/testdata with the names a gradebook must survive (a comma, quotes,
// letters beyond ASCII, a leading =), roster columns, a late student, and
// an error row.
func sampleClass(t *testing.T) *Class {
	t.Helper()
	read := func(name, id, studentName string) *report.Report {
		r, err := report.ReadFile(filepath.Join("..", "report", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r.Student = report.Student{ID: id, Name: studentName}
		return r
	}
	budi := read("mistakes", "2205678", "Santoso, Budi")
	siti := read("correct", "2201234", `Siti "Ciko" Aminah`)
	nono := read("mistakes", "2209999", "Ñoño Gümüş Đặng")
	late := read("correct", "2203333", "=HYPERLINK(\"http://evil.example\",\"x\")")
	late.Lang = "en"
	late.Checks = append(late.Checks, report.Result{ID: LateCheckID, Step: late.Checks[len(late.Checks)-1].Step, Status: report.Fail,
		Message: "Work done 2 day(s) after the deadline.", Evidence: []report.Fact{{Name: "deadline", Value: "2025-03-10T23:59:00+07:00"},
			{Name: "late_days", Value: "2"}, {Name: "penalty", Value: "19"}}})
	broken := read("correct", "2207777", "@Ani; Rahma")
	for i := range broken.Checks {
		broken.Checks[i].Status, broken.Checks[i].Points = report.Error, 0
	}
	c, err := NewClass([]*report.Report{budi, siti, nono, late, broken})
	if err != nil {
		t.Fatal(err)
	}
	c.SetRoster([]Student{
		{ID: "2205678", Email: "budi.santoso@students.example.ac.id", SISID: "S-2205678", Section: "Kelas A", Lang: "id",
			Extra: []Column{{Name: "canvas_id", Value: "10042"}}},
		{ID: "2201234", Email: "siti@students.example.ac.id", Section: "Kelas B", Lang: "en"},
		{ID: "2209999", Email: "nono@students.example.ac.id", SISID: "S-2209999", Section: "Kelas A"},
		{ID: "2203333", Email: "=cmd@students.example.ac.id", Section: "+Kelas B"},
		{ID: "2207777", Section: "Kelas A", Lang: "id"},
	})
	return c
}

func TestExportGolden(t *testing.T) {
	dir := filepath.Join("testdata", "lms")
	sample := filepath.Join(dir, "results.json")
	if *updateLMS {
		var buf bytes.Buffer
		if err := sampleClass(t).WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sample, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Every sample report has image.runs not graded (no Docker): the
	// grades are provisional, exported as asked (TestHeldAndProvisionalGrades
	// covers the default, which leaves them out).
	cases := map[string]ExportOptions{
		"canvas":             {Format: FormatCanvas, Assignment: "Lab 1: Kubernetes", AssignmentID: "4711", Provisional: true},
		"canvas-no-feedback": {Format: FormatCanvas, NoFeedback: true, NoPointsPossible: true, SISUserID: ParseColumns("student_id"), SISLoginID: ParseColumns("none"), Provisional: true},
		"moodle":             {Format: FormatMoodle, Provisional: true},
		"csv":                {Format: FormatCSV, Lang: "id", Provisional: true},
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(sample)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			if _, err := Export(&got, f, opt); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, name+".csv.golden")
			if *updateLMS {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./grade -run TestExportGolden -update-lms writes it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, got.String())
			}
			checkExport(t, got.Bytes())
		})
	}
}

// checkExport asserts what an LMS and a spreadsheet see: RFC 4180 that
// reads back, UTF-8, the same number of cells on every row, no cell a
// spreadsheet would run as a formula.
func checkExport(t *testing.T, data []byte) {
	t.Helper()
	if !utf8.Valid(data) {
		t.Fatal("not UTF-8")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v", err)
	}
	// Identifiers are written as they are (the LMS matches them exactly);
	// every other cell is guarded.
	ident := map[int]bool{}
	for i, h := range rows[0] {
		switch h {
		case "ID", "SIS User ID", "SIS Login ID", "Email address", "ID number", "Username":
			ident[i] = true
		}
	}
	for _, row := range rows {
		for i, cell := range row {
			if !ident[i] && cell != "" && strings.ContainsRune("=+-@", rune(strings.TrimLeft(cell, " ")[0])) {
				t.Errorf("cell %q would be read as a formula", cell)
			}
		}
	}
}

func TestExportCanvasColumns(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "lms", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sum, err := Export(&out, f, ExportOptions{Format: FormatCanvas, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(&out).ReadAll()
	// Notes sits between Section and the assignment: Canvas counts a
	// custom column as student information (see lms_canvas.go).
	if got := strings.Join(rows[0], "|"); got != "Student|ID|SIS User ID|SIS Login ID|Section|Notes|Kubernetes basics: from components to a running Flask app" {
		t.Errorf("header %s", got)
	}
	if got := strings.Join(rows[1], "|"); got != "Points Possible||||||95" {
		t.Errorf("second row %s, want the Points Possible row", got)
	}
	byName := map[string][]string{}
	for _, r := range rows[2:] {
		byName[r[0]] = r
	}
	budi := byName["Santoso, Budi"]
	if budi == nil || budi[1] != "10042" || budi[2] != "S-2205678" || budi[3] != "budi.santoso@students.example.ac.id" || budi[4] != "Kelas A" || budi[6] != "66" {
		t.Errorf("Budi's row %q", budi)
	}
	// Budi's roster says lang id: the feedback is in Indonesian. Whole it
	// is over the 255 characters a Canvas custom column holds, so the hint
	// gives way to what matters more: what did not pass and that points
	// were not graded.
	if fb := budi[5]; !strings.HasPrefix(fb, "Nilai 66/95") || !strings.Contains(fb, "Belum lulus: deployment.available, pods.running") ||
		strings.Contains(fb, "Perbaiki dulu") || !strings.Contains(fb, "Belum lengkap: 5 poin belum dinilai (image.runs)") || utf8.RuneCountInString(fb) > 255 {
		t.Errorf("Budi's feedback %q (%d characters)", fb, utf8.RuneCountInString(fb))
	}
	siti := byName[`Siti "Ciko" Aminah`]
	if siti == nil || siti[2] != "2201234" || !strings.HasPrefix(siti[5], "Score 95/95 (100%), lab passed.") {
		t.Errorf("Siti's row %q (no sis_id: the student id is the SIS User ID)", siti)
	}
	// A hostile name is guarded (free text); the identifier is not (a
	// guarded login matches no one), and a warning names it.
	late := byName[`'=HYPERLINK("http://evil.example","x")`]
	if late == nil || late[6] != "76" || !strings.Contains(late[5], "Late by 2 day(s): 19 point(s) off.") || late[3] != "=cmd@students.example.ac.id" || late[4] != "'+Kelas B" {
		t.Errorf("the late student's row %q", late)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), `2203333 (=HYPERLINK("http://evil.example","x")): SIS Login ID "=cmd@students.example.ac.id" starts like a spreadsheet formula`) {
		t.Errorf("warnings %q: want one naming the formula-like login", sum.Warnings)
	}
	// The student whose grading failed is not in the file (a blank grade
	// would remove the grade Canvas has), and is listed with why.
	if len(rows) != 2+4 || byName["'@Ani; Rahma"] != nil {
		t.Errorf("%d rows, want the header, the points row and 4 students (the error row left out)", len(rows))
	}
	if len(sum.LeftOut) != 1 || sum.LeftOut[0].ID != "2207777" || !strings.HasPrefix(sum.LeftOut[0].Reason, "not graded") {
		t.Errorf("left out %+v", sum.LeftOut)
	}
	for _, r := range rows[2:] {
		if r[6] == "" {
			t.Errorf("a blank grade cell: %q", r)
		}
	}
}

func TestExportRejectsOther(t *testing.T) {
	if _, err := Export(&bytes.Buffer{}, strings.NewReader(`{}`), ExportOptions{Format: "blackboard"}); err == nil || !strings.Contains(err.Error(), "canvas, moodle, csv") {
		t.Errorf("unknown format: %v", err)
	}
	_, err := Export(&bytes.Buffer{}, strings.NewReader(`{"schema":"kubelab.report/v1"}`), ExportOptions{Format: FormatCanvas})
	if err == nil || !strings.Contains(err.Error(), "not a kubelab results.json") {
		t.Errorf("a report instead of results.json: %v", err)
	}
}

// TestWriteJSONStreamed: results.json written a student at a time is the
// bytes of encoding the whole class at once, and ScanClass reads back what
// ReadClass reads.
func TestWriteJSONStreamed(t *testing.T) {
	c := sampleClass(t)
	var whole bytes.Buffer
	enc := json.NewEncoder(&whole)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	var streamed bytes.Buffer
	if err := c.WriteJSON(&streamed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.Bytes(), streamed.Bytes()) {
		t.Fatalf("streamed results.json differs from the whole class encoded:\n%s", streamed.String())
	}
	var ids []string
	var head *Class
	if err := ScanClass(bytes.NewReader(streamed.Bytes()), func(h *Class) error { head = h; return nil }, func(e StudentEntry) error {
		ids = append(ids, e.ID+"/"+e.Email)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if head == nil || head.Summary.Students != 5 || strings.Join(ids, " ") != "2201234/siti@students.example.ac.id 2203333/=cmd@students.example.ac.id 2205678/budi.santoso@students.example.ac.id 2207777/ 2209999/nono@students.example.ac.id" {
		t.Errorf("ScanClass: head %+v, students %v", head, ids)
	}
}

func TestRosterGradebookColumns(t *testing.T) {
	text := "Student ID,Name,Image,Email,SIS ID,Section,Lang,Canvas ID,Nilai UTS,,Canvas ID\n" +
		"1,\"Santoso, Budi\",budi/app,budi@x.ac.id,S-1,Kelas A,ID,10042,88,,dup\n" +
		"2,Siti,siti/app,,,,,,,,\n"
	st, probs := parse(t, text)
	if probs != nil {
		t.Fatalf("unknown columns must not be a problem: %v", probs)
	}
	b := st[0]
	if b.Email != "budi@x.ac.id" || b.SISID != "S-1" || b.Section != "Kelas A" || b.Lang != "id" {
		t.Errorf("Budi: %+v", b)
	}
	if len(b.Extra) != 2 || b.Extra[0] != (Column{"canvas_id", "10042"}) || b.Extra[1] != (Column{"nilai_uts", "88"}) {
		t.Errorf("Budi's other columns %+v, want canvas_id and nilai_uts (the nameless and the repeated column ignored)", b.Extra)
	}
	if st[1].LangOr("en") != "en" || st[1].Email != "" {
		t.Errorf("Siti: %+v", st[1])
	}
	_, probs = parse(t, "student_id,name,image,lang\n1,Budi,budi/app,fr\n")
	if len(probs) != 1 || !strings.HasPrefix(probs[0].String(), "2:17: lang \"fr\": use en or id") {
		t.Errorf("bad lang: %v", probs)
	}
}

// TestExportOlderResults: a results.json as an older kubelab wrote it
// (kubelab.class/v1, kept byte for byte in testdata) still exports to
// Canvas and Moodle, with the same students written and left out.
func TestExportOlderResults(t *testing.T) {
	old := filepath.Join("testdata", "lms", "results-v1.json")
	data, err := os.ReadFile(old)
	if err != nil || !bytes.Contains(data, []byte(`"schema": "kubelab.class/v1"`)) {
		t.Fatalf("the v1 fixture: %v", err)
	}
	for _, format := range []string{FormatCanvas, FormatMoodle} {
		var out bytes.Buffer
		sum, err := Export(&out, bytes.NewReader(data), ExportOptions{Format: format, Provisional: true})
		if err != nil {
			t.Fatalf("%s from a v1 results.json: %v", format, err)
		}
		checkExport(t, out.Bytes())
		if sum.Rows != 4 || len(sum.LeftOut) != 1 || sum.LeftOut[0].ID != "2207777" {
			t.Errorf("%s: %d rows, left out %+v; want 4 and the student not graded", format, sum.Rows, sum.LeftOut)
		}
		if !strings.Contains(out.String(), "Santoso, Budi") || !strings.Contains(out.String(), ",66") {
			t.Errorf("%s:\n%s", format, out.String())
		}
	}
}
