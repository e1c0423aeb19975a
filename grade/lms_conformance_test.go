package grade

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/report"
)

// The LMS conformance tests feed our Canvas and Moodle files to the
// importers' own parsing and matching, transcribed from their source:
// testdata/lms/canvas_import.rb (instructure/canvas-lms
// lib/gradebook_importer.rb at 00b222d7, custom_gradebook_column_datum.rb
// at 0a84c350, ui/features/gradebook_uploads/jquery/process_gradebook_upload.js
// at 0a4d8b88) run by Ruby with its CSV library, as Canvas runs it, and
// testdata/lms/moodle_import.php (moodle/moodle at 6374475dc3cf:
// lib/csvlib.class.php, grade/import/csv/classes/load_data.php) run by
// php-cli with the fgetcsv arguments Moodle passes. Each rule in the two
// scripts cites the file and lines it transcribes. Each case also runs a
// control: the file as kubelab wrote it before (or a blank grade), to
// show that the transcription sees the failure the fix is for.

// lmsStudent is one student of a conformance class.
type lmsStudent struct {
	id, name, base string // base: report/testdata/<base>.json
	roster         Student
	hint           string // replaces the first failing check's hint
	late           bool   // two days late, 19 points off
	complete       bool   // no point left ungraded: the feedback ends with the hint
	broken         bool   // every check an error: not graded
}

// lmsResults writes the results.json of the students and returns its path.
func lmsResults(t *testing.T, students []lmsStudent) string {
	t.Helper()
	var reports []*report.Report
	var roster []Student
	for _, s := range students {
		r, err := report.ReadFile(filepath.Join("..", "report", "testdata", s.base+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r.Student = report.Student{ID: s.id, Name: s.name}
		if s.hint != "" {
			for i, c := range r.Checks {
				if c.Status == report.Fail {
					r.Checks[i].Hint = s.hint
					break
				}
			}
		}
		if s.late {
			r.Checks = append(r.Checks, report.Result{ID: LateCheckID, Step: r.Checks[len(r.Checks)-1].Step, Status: report.Fail,
				Message: "Work done 2 day(s) after the deadline.", Evidence: []report.Fact{{Name: "deadline", Value: "2025-03-10T23:59:00+07:00"},
					{Name: "late_days", Value: "2"}, {Name: "penalty", Value: "19"}}})
		}
		// The fixtures' image.runs was left out by --no-run (excluded, the
		// grade complete); these students stand for a class graded where
		// Docker was missing, so the grade is incomplete unless the case
		// says complete.
		for i := range r.Checks {
			r.Checks[i].Excluded = false
		}
		report.Summarize(r)
		if s.complete {
			r.Incomplete = false
		}
		if s.broken {
			for i := range r.Checks {
				r.Checks[i].Status, r.Checks[i].Points = report.Error, 0
			}
		}
		reports = append(reports, r)
		st := s.roster
		st.ID = s.id
		roster = append(roster, st)
	}
	c, err := NewClass(reports)
	if err != nil {
		t.Fatal(err)
	}
	c.SetRoster(roster)
	var buf bytes.Buffer
	if err := c.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lmsExport exports results and returns the file's path, the summary and
// the class (for the expected grades).
func lmsExport(t *testing.T, results string, opt ExportOptions) (string, *ExportSummary, map[string]StudentEntry) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lms.csv")
	sum, err := ExportFile(results, out, "", nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	checkExport(t, data)
	byID := map[string]StudentEntry{}
	f, _ := os.Open(results)
	defer f.Close()
	if err := ScanClass(f, nil, func(e StudentEntry) error { byID[e.ID] = e; return nil }); err != nil {
		t.Fatal(err)
	}
	return out, sum, byID
}

// runImporter runs an interpreter on a transcription with the file and a
// JSON setup, and decodes what it prints.
func runImporter(t *testing.T, interp, script, file string, setup any, into any) {
	t.Helper()
	bin, err := exec.LookPath(interp)
	if err != nil {
		testenv.Missing(t, "%s runs the %s transcription (Debian package %s)", interp, script, map[string]string{"ruby": "ruby", "php": "php-cli"}[interp])
	}
	js, _ := json.Marshal(setup)
	sp := filepath.Join(t.TempDir(), "setup.json")
	if err := os.WriteFile(sp, js, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, filepath.Join("testdata", "lms", script), file, sp)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", interp, script, err, stderr.String())
	}
	if err := json.Unmarshal(out, into); err != nil {
		t.Fatalf("%s %s printed %q: %v", interp, script, out, err)
	}
}

// canvasResult is what canvas_import.rb prints.
type canvasResult struct {
	Error       *string `json:"error"`
	Assignments []struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
		New   bool   `json:"new"`
	} `json:"assignments"`
	Students []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
		New  bool   `json:"new"`
	} `json:"students"`
	GradeData map[string]map[string]struct {
		PostedGrade *string `json:"posted_grade"`
	} `json:"grade_data"`
	ColumnData []struct {
		UserID  int     `json:"user_id"`
		Content *string `json:"content"`
	} `json:"column_data"`
	ColumnErrors []string `json:"column_errors"`
}

type canvasUser struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	SortableName string `json:"sortable_name"`
	SISUserID    string `json:"sis_user_id,omitempty"`
	LoginID      string `json:"login_id,omitempty"`
}

type canvasCourse struct {
	Students      []canvasUser     `json:"students"`
	Assignments   []map[string]any `json:"assignments"`
	CustomColumns []map[string]any `json:"custom_columns"`
	Submissions   []map[string]any `json:"submissions"`
}

// canvasClass: five students as Canvas knows them (user id, SIS id, login)
// and the roster kubelab graded.
var canvasClass = []struct {
	user canvasUser
	st   lmsStudent
}{
	{canvasUser{10042, "Budi Santoso", "Santoso, Budi", "S-2205678", "budi@students.example.ac.id"},
		lmsStudent{id: "2205678", name: "Santoso, Budi", base: "mistakes", roster: Student{SISID: "S-2205678", Email: "budi@students.example.ac.id", Section: "Kelas A"}}},
	// A 400-character feedback: Indonesian, late and incomplete, with a
	// long hint.
	{canvasUser{10043, "Ñoño Gümüş Đặng", "Đặng, Ñoño", "S-2209999", "nono@students.example.ac.id"},
		lmsStudent{id: "2209999", name: "Ñoño Gümüş Đặng", base: "mistakes", late: true, hint: strings.Repeat("periksa lagi deployment dan service kamu; ", 10),
			roster: Student{SISID: "S-2209999", Email: "nono@students.example.ac.id", Section: "Kelas A"}}},
	// Hostile name; a login that looks like a formula (written as is).
	{canvasUser{10044, `=HYPERLINK("http://evil.example","x")`, "x", "S-2203333", "=cmd@students.example.ac.id"},
		lmsStudent{id: "2203333", name: `=HYPERLINK("http://evil.example","x")`, base: "correct", roster: Student{SISID: "S-2203333", Email: "=cmd@students.example.ac.id", Section: "+Kelas B"}}},
	// An SIS id with dots, which Canvas's number converter changes.
	{canvasUser{10045, "Siti Aminah", "Aminah, Siti", "22.01.234", "siti@sso.example.ac.id"},
		lmsStudent{id: "2201234", name: `Siti "Ciko" Aminah`, base: "correct", roster: Student{SISID: "22.01.234", Section: "Kelas B",
			Extra: []Column{{Name: "canvas_id", Value: "10045"}}}}},
	// Not graded: left out, keeps the 80 Canvas has.
	{canvasUser{10046, "Ani Rahma", "Rahma, Ani", "S-2207777", "ani@students.example.ac.id"},
		lmsStudent{id: "2207777", name: "@Ani; Rahma", base: "correct", broken: true, roster: Student{SISID: "S-2207777", Email: "ani@students.example.ac.id"}}},
}

func canvasSetup(notes string) (canvasCourse, []lmsStudent) {
	course := canvasCourse{
		Assignments:   []map[string]any{{"id": 4711, "title": "Lab 1: Kubernetes", "published": true, "points_possible": 95}},
		CustomColumns: []map[string]any{{"id": 7, "title": "Notes", "workflow_state": notes}},
	}
	var sts []lmsStudent
	for _, s := range canvasClass {
		course.Students = append(course.Students, s.user)
		// A regrade: every student has a grade in Canvas already.
		course.Submissions = append(course.Submissions, map[string]any{"user_id": s.user.ID, "assignment_id": 4711, "score": "80"})
		sts = append(sts, s.st)
	}
	return course, sts
}

func TestCanvasImportConformance(t *testing.T) {
	opt := ExportOptions{Format: FormatCanvas, Provisional: true, Assignment: "Lab 1: Kubernetes", AssignmentID: "4711", ID: ParseColumns("none"), SISUserID: ParseColumns("sis_id")}
	course, sts := canvasSetup("active")
	results := lmsResults(t, sts)
	file, sum, byID := lmsExport(t, results, opt)
	userOf := map[string]int{}
	for _, s := range canvasClass {
		userOf[s.st.id] = s.user.ID
	}

	t.Run("notes shown, regrade", func(t *testing.T) {
		var got canvasResult
		runImporter(t, "ruby", "canvas_import.rb", file, course, &got)
		if got.Error != nil {
			t.Fatalf("Canvas: %s", *got.Error)
		}
		if len(got.Assignments) != 1 || got.Assignments[0].ID != 4711 {
			t.Fatalf("assignments %+v: want only Lab 1 (4711), Notes read as the custom column", got.Assignments)
		}
		posted := got.GradeData["4711"]
		for id, e := range byID {
			uid := fmt.Sprint(userOf[id])
			g, ok := posted[uid]
			switch {
			case e.ErrorRow:
				// Left out: Canvas keeps its 80.
				if ok {
					t.Errorf("%s was not graded, but Canvas is sent %v for them", id, g.PostedGrade)
				}
			case id == "2201234":
				// The SIS id with dots matches no one: Canvas reads it as
				// 2201.234 (the warning says so; see the next case).
				if ok {
					t.Errorf("%s: matched, though Canvas's converter changes %q", id, "22.01.234")
				}
			case !ok || g.PostedGrade == nil || *g.PostedGrade != num(e.Score):
				t.Errorf("%s: Canvas posts %+v, want %s", id, g, num(e.Score))
			}
		}
		for uid, g := range posted {
			if g.PostedGrade == nil || *g.PostedGrade == "" {
				t.Errorf("user %s: posted_grade %v would remove the grade Canvas has", uid, g.PostedGrade)
			}
		}
		if len(got.ColumnErrors) > 0 {
			t.Errorf("the Notes column save fails: %v", got.ColumnErrors)
		}
		notes := 0
		for _, d := range got.ColumnData {
			if d.Content != nil && d.UserID > 0 {
				notes++
				if n := utf8.RuneCountInString(*d.Content); n > CanvasNotesMax {
					t.Errorf("user %d: a note of %d characters", d.UserID, n)
				}
			}
		}
		if notes != 3 {
			t.Errorf("%d notes saved, want 3 (Budi, Ñoño, the hostile name): %+v", notes, got.ColumnData)
		}
	})

	t.Run("the 400-character feedback", func(t *testing.T) {
		nono := byID["2209999"]
		whole := Feedback(nono, "en")
		if utf8.RuneCountInString(whole) < 400 {
			t.Fatalf("the case needs a feedback of 400 characters or more: %d", utf8.RuneCountInString(whole))
		}
		rows := readCSV(t, file)
		var note string
		for _, r := range rows {
			if r[2] == "S-2209999" {
				note = r[5]
			}
		}
		if n := utf8.RuneCountInString(note); n > CanvasNotesMax || !strings.HasSuffix(note, "…") || strings.HasSuffix(note, " …") {
			t.Errorf("note %q (%d characters): want at most %d, cut after a word, with an ellipsis", note, n, CanvasNotesMax)
		}
		if !strings.Contains(note, "Belum lulus:") || !strings.Contains(note, "Belum lengkap") {
			t.Errorf("note %q: want what did not pass and the ungraded points before the hint", note)
		}
	})

	t.Run("notes hidden", func(t *testing.T) {
		hidden, _ := canvasSetup("hidden")
		var got canvasResult
		runImporter(t, "ruby", "canvas_import.rb", file, hidden, &got)
		if got.Error != nil {
			t.Fatalf("Canvas: %s", *got.Error)
		}
		// A hidden notes column is no custom column: Canvas offers Notes
		// as a new assignment, which the matching page lets you ignore
		// (docs/lms.md); the grades go to Lab 1 all the same.
		var titles []string
		for _, a := range got.Assignments {
			titles = append(titles, fmt.Sprintf("%s/%v", a.Title, a.New))
		}
		if strings.Join(titles, " ") != "Notes/true Lab 1: Kubernetes/false" {
			t.Errorf("assignments %v", titles)
		}
		if g := got.GradeData["4711"][fmt.Sprint(userOf["2205678"])]; g.PostedGrade == nil || *g.PostedGrade != "66" {
			t.Errorf("Budi's grade %+v, want 66", g)
		}
	})

	t.Run("hostile names and identifiers", func(t *testing.T) {
		rows := readCSV(t, file)
		var hostile []string
		for _, r := range rows {
			if r[2] == "S-2203333" {
				hostile = r
			}
		}
		if hostile == nil || hostile[0] != `'=HYPERLINK("http://evil.example","x")` || hostile[3] != "=cmd@students.example.ac.id" || hostile[4] != "'+Kelas B" {
			t.Errorf("row %q: the name and section guarded, the login as it is", hostile)
		}
		w := strings.Join(sum.Warnings, "\n")
		if !strings.Contains(w, `SIS Login ID "=cmd@students.example.ac.id" starts like a spreadsheet formula`) {
			t.Errorf("warnings %q: want the formula-like login named", sum.Warnings)
		}
		if !strings.Contains(w, `2201234 (Siti "Ciko" Aminah): Canvas reads SIS User ID "22.01.234" as "2201.234"`) || !strings.Contains(w, "--id-column canvas_id") {
			t.Errorf("warnings %q: want the SIS id with dots named, and the Canvas ID column suggested", sum.Warnings)
		}
	})

	t.Run("SIS id with dots, Canvas ID column", func(t *testing.T) {
		o := opt
		o.ID = ParseColumns("canvas_id")
		f, _, _ := lmsExport(t, results, o)
		var got canvasResult
		runImporter(t, "ruby", "canvas_import.rb", f, course, &got)
		if g := got.GradeData["4711"]["10045"]; g.PostedGrade == nil || *g.PostedGrade != "95" {
			t.Errorf("Siti by her Canvas ID: %+v, want 95", got.GradeData)
		}
	})

	t.Run("notes column with another title", func(t *testing.T) {
		cat, _ := canvasSetup("active")
		cat.CustomColumns[0]["title"] = "Catatan"
		o := opt
		o.NotesColumn = "Catatan"
		f, _, _ := lmsExport(t, results, o)
		var got canvasResult
		runImporter(t, "ruby", "canvas_import.rb", f, cat, &got)
		if len(got.Assignments) != 1 || len(got.ColumnData) == 0 {
			t.Errorf("--notes-column Catatan: assignments %+v, notes %+v", got.Assignments, got.ColumnData)
		}
	})

	t.Run("controls", func(t *testing.T) {
		// The layout kubelab wrote before: Notes after the assignment.
		// Canvas takes the assignment for student information
		// (gradebook_importer.rb 422-425, 432-458).
		rows := readCSV(t, file)
		for i := range rows {
			rows[i] = append(append(append([]string{}, rows[i][:5]...), rows[i][6]), rows[i][5])
		}
		var got canvasResult
		runImporter(t, "ruby", "canvas_import.rb", writeCSV(t, rows), course, &got)
		if len(got.GradeData) != 0 || len(got.Assignments) != 0 {
			t.Errorf("Notes after the assignment: %+v; the transcription should import no grade", got)
		}
		// A blank grade cell for the student not graded
		// (process_gradebook_upload.js 250-266: posted_grade null), and
		// the whole feedback in the note (custom_gradebook_column_datum.rb
		// 22-23, 41-63: the save fails over 255 characters).
		rows = readCSV(t, file)
		rows = append(rows, []string{"Ani Rahma", "", "S-2207777", "", "", "", ""})
		rows[len(rows)-2][5] = Feedback(byID["2209999"], "en")
		runImporter(t, "ruby", "canvas_import.rb", writeCSV(t, rows), course, &got)
		if g, ok := got.GradeData["4711"]["10046"]; !ok || g.PostedGrade != nil {
			t.Errorf("a blank cell: %+v; the transcription should post a null grade", got.GradeData["4711"])
		}
		if len(got.ColumnErrors) == 0 {
			t.Errorf("a %d-character note: the transcription should fail the save", utf8.RuneCountInString(Feedback(byID["2209999"], "en")))
		}
	})
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func writeCSV(t *testing.T, rows [][]string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := csv.NewWriter(&buf).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "control.csv")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// moodleResult is what moodle_import.php prints.
type moodleResult struct {
	Error  *string  `json:"error"`
	Header []string `json:"header"`
	Grades []struct {
		User       int      `json:"user"`
		FinalGrade *float64 `json:"finalgrade"`
	} `json:"grades"`
	Feedback []struct {
		User     int    `json:"user"`
		Feedback string `json:"feedback"`
	} `json:"feedback"`
}

type moodleUser struct {
	ID       int    `json:"id"`
	Email    string `json:"email"`
	Username string `json:"username"`
	IDNumber string `json:"idnumber"`
}

func TestMoodleImportConformance(t *testing.T) {
	users := []moodleUser{
		{2, "BUDI@students.example.ac.id", "budi", "S-2205678"}, // Moodle compares emails without case
		{3, "nono@students.example.ac.id", "nono", "S-2209999"},
		{4, "=cmd@students.example.ac.id", "siti", "2201234"},
		{5, "", "ani", "S-2207777"},
		{6, "eko@students.example.ac.id", "eko", "S-2208888"},
		{7, "dewi@students.example.ac.id", "dewi", "S-2206666"},
	}
	sts := []lmsStudent{
		{id: "2205678", name: "Santoso, Budi", base: "mistakes", hint: `run: curl -d "{\"name\":\"budi\"}" http://localhost:5000/`,
			roster: Student{SISID: "S-2205678", Email: "budi@students.example.ac.id", Extra: []Column{{Name: "username", Value: "budi"}}}},
		{id: "2209999", name: "Ñoño Gümüş Đặng", base: "mistakes", complete: true, hint: `on Windows the file is C:\lab\app\`,
			roster: Student{SISID: "S-2209999", Email: "nono@students.example.ac.id", Extra: []Column{{Name: "username", Value: "nono"}}}},
		{id: "2201234", name: `=HYPERLINK("http://evil.example","x")`, base: "correct",
			roster: Student{Email: "=cmd@students.example.ac.id", Extra: []Column{{Name: "username", Value: "siti"}}}},
		// No email in the roster: left out of a by-email file.
		{id: "2207777", name: "Ani Rahma", base: "correct", roster: Student{SISID: "S-2207777", Extra: []Column{{Name: "username", Value: "ani"}}}},
		// Not graded: left out.
		{id: "2208888", name: "Eko", base: "correct", broken: true, roster: Student{SISID: "S-2208888", Email: "eko@students.example.ac.id"}},
		{id: "2206666", name: `Dewi \"Tari\"`, base: "correct", roster: Student{SISID: "S-2206666", Email: "dewi@students.example.ac.id", Extra: []Column{{Name: "username", Value: "dewi"}}}},
	}
	results := lmsResults(t, sts)
	userOf := map[string]int{"2205678": 2, "2209999": 3, "2201234": 4, "2207777": 5, "2208888": 6, "2206666": 7}
	setup := func(mapto string) map[string]any {
		return map[string]any{"users": users, "mapfrom": 0, "mapto": mapto, "grade": 2, "feedback": 3}
	}
	check := func(t *testing.T, opt ExportOptions, mapto string, want []string) (*ExportSummary, map[string]StudentEntry) {
		t.Helper()
		file, sum, byID := lmsExport(t, results, opt)
		var got moodleResult
		runImporter(t, "php", "moodle_import.php", file, setup(mapto), &got)
		if got.Error != nil {
			t.Fatalf("Moodle cancels the import: %s", *got.Error)
		}
		grades := map[int]float64{}
		for _, g := range got.Grades {
			if g.FinalGrade == nil {
				t.Errorf("user %d: a NULL grade would remove the grade Moodle has", g.User)
				continue
			}
			grades[g.User] = *g.FinalGrade
		}
		fb := map[int]string{}
		for _, f := range got.Feedback {
			fb[f.User] = f.Feedback
		}
		for _, id := range want {
			e := byID[id]
			if g, ok := grades[userOf[id]]; !ok || num(g) != num(e.Score) {
				t.Errorf("%s: Moodle stores %v (%v), want %s", id, g, ok, num(e.Score))
			}
			// The feedback reads back as written, but for the space
			// after a backslash before a quote.
			wantFB := strings.ReplaceAll(freeText(Feedback(e, "en")), `\"`, `\ "`)
			if fb[userOf[id]] != wantFB {
				t.Errorf("%s: Moodle's feedback\n%q\nwant\n%q", id, fb[userOf[id]], wantFB)
			}
		}
		if len(grades) != len(want) {
			t.Errorf("Moodle stores grades for %v, want %v", grades, want)
		}
		return sum, byID
	}

	t.Run("by email", func(t *testing.T) {
		sum, _ := check(t, ExportOptions{Format: FormatMoodle, Provisional: true}, "useremail", []string{"2205678", "2209999", "2201234", "2206666"})
		left := map[string]string{}
		for _, l := range sum.LeftOut {
			left[l.ID] = l.Name + ": " + l.Reason
		}
		if !strings.HasPrefix(left["2207777"], "Ani Rahma: no email address in the roster") || !strings.HasPrefix(left["2208888"], "Eko: not graded") || len(left) != 2 {
			t.Errorf("left out %q: want Ani (no email) and Eko (not graded), by name", left)
		}
		if !strings.Contains(strings.Join(sum.Warnings, "\n"), `email address "=cmd@students.example.ac.id" starts like a spreadsheet formula`) {
			t.Errorf("warnings %q", sum.Warnings)
		}
	})
	t.Run("by ID number", func(t *testing.T) {
		o := ExportOptions{Format: FormatMoodle, Provisional: true, MoodleID: MoodleByIDNumber, SISUserID: ParseColumns("sis_id,student_id")}
		check(t, o, "useridnumber", []string{"2205678", "2209999", "2201234", "2207777", "2206666"})
	})
	t.Run("by username", func(t *testing.T) {
		check(t, ExportOptions{Format: FormatMoodle, Provisional: true, MoodleID: MoodleByUsername}, "username", []string{"2205678", "2209999", "2201234", "2207777", "2206666"})
	})
	t.Run("shared email", func(t *testing.T) {
		two := append([]lmsStudent{}, sts...)
		two[1].roster.Email = "Budi@Students.example.ac.id"
		f, sum, _ := lmsExport(t, lmsResults(t, two), ExportOptions{Format: FormatMoodle, Provisional: true})
		var got moodleResult
		runImporter(t, "php", "moodle_import.php", f, setup("useremail"), &got)
		if got.Error != nil {
			t.Fatalf("Moodle: %s", *got.Error)
		}
		n := 0
		for _, l := range sum.LeftOut {
			if strings.Contains(l.Reason, "is shared by 2205678 Santoso, Budi, 2209999 Ñoño Gümüş Đặng") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("left out %+v: want both students sharing the email", sum.LeftOut)
		}
	})
	t.Run("over 100", func(t *testing.T) {
		_, sum, _ := lmsExport(t, results, ExportOptions{Format: FormatMoodle, Provisional: true})
		if strings.Contains(strings.Join(sum.Warnings, "\n"), "Unlimited grades") {
			t.Errorf("a lab worth 95 warns: %q", sum.Warnings)
		}
		// A lab worth 150 (the same class, grades scaled in the file).
		file, _, _ := lmsExport(t, results, ExportOptions{Format: FormatMoodle, Provisional: true})
		rows := readCSV(t, file)
		rows[1][2] = "120"
		var got moodleResult
		runImporter(t, "php", "moodle_import.php", writeCSV(t, rows), setup("useremail"), &got)
		if got.Error == nil || !strings.HasPrefix(*got.Error, "gradevaluetoobig") {
			t.Errorf("a grade of 120: %+v; the transcription should cancel the import", got)
		}
		// A lab worth 150: the export warns before Moodle refuses.
		data, _ := os.ReadFile(results)
		big := filepath.Join(t.TempDir(), "results.json")
		os.WriteFile(big, bytes.Replace(data, []byte(`"max_score": 95,`), []byte(`"max_score": 150,`), 1), 0o644)
		_, sum, _ = lmsExport(t, big, ExportOptions{Format: FormatMoodle, Provisional: true})
		if !strings.Contains(strings.Join(sum.Warnings, "\n"), "the lab's maximum is 150, over 100: Moodle cancels the whole import on a grade over 100 unless Site administration > Grades > General settings > Unlimited grades is on") {
			t.Errorf("a lab worth 150: warnings %q", sum.Warnings)
		}
	})

	t.Run("controls", func(t *testing.T) {
		file, _, byID := lmsExport(t, results, ExportOptions{Format: FormatMoodle, Provisional: true})
		rows := readCSV(t, file)
		// The cells as RFC 4180 alone writes them: the hint ending in a
		// backslash runs the row into the next one (csvlib.class.php
		// 129-139, fgetcsv with its backslash escape; 164-173).
		for i, r := range rows[1:] {
			for _, e := range byID {
				if r[0] == e.Email {
					rows[i+1][3] = freeText(Feedback(e, "en"))
				}
			}
		}
		var got moodleResult
		runImporter(t, "php", "moodle_import.php", writeCSV(t, rows), setup("useremail"), &got)
		ok := got.Error != nil || len(got.Grades) != 4
		for _, f := range got.Feedback {
			ok = ok || strings.Contains(f.Feedback, "\n")
		}
		if !ok {
			t.Errorf("backslashes written plainly: %+v; the transcription should misread the file", got)
		}
		// A blank email (Eko's row, had kubelab written it): Moodle looks
		// it up like any other value (load_data.php 402-407, since
		// MDL-52052), so it matches the one account without an email,
		// Ani's, and Eko's grade goes to her.
		rows = readCSV(t, file)
		rows = append(rows, []string{"", "Eko", "95", "x"})
		blank := writeCSV(t, rows)
		got = moodleResult{}
		runImporter(t, "php", "moodle_import.php", blank, setup("useremail"), &got)
		if n := len(got.Grades); got.Error != nil || n == 0 || got.Grades[n-1].User != 5 || got.Grades[n-1].FinalGrade == nil || *got.Grades[n-1].FinalGrade != 95 {
			t.Errorf("a blank email: %+v; the transcription should give the grade to the account without an email", got)
		}
		// With two accounts without an email, or none, the whole import
		// is cancelled.
		for _, c := range []struct {
			users []moodleUser
			err   string
		}{
			{append(append([]moodleUser{}, users...), moodleUser{8, "", "guru", ""}), "usermappingerrormultipleusersfound"},
			{append(append([]moodleUser{}, users[:3]...), users[4:]...), "usermappingerror:"},
		} {
			s := setup("useremail")
			s["users"] = c.users
			got = moodleResult{}
			runImporter(t, "php", "moodle_import.php", blank, s, &got)
			if got.Error == nil || !strings.HasPrefix(*got.Error, c.err) {
				t.Errorf("a blank email, %d accounts: %+v; want the import cancelled (%s)", len(c.users), got, c.err)
			}
		}
	})
}

// TestMoodleCell: no backslash before a quote or at the end of a cell.
func TestMoodleCell(t *testing.T) {
	for in, want := range map[string]string{`a\"b`: `a\ "b`, `a\`: `a\ `, `a\\b`: `a\\b`, `a\b"c`: `a\b"c`, `plain`: `plain`} {
		if got := moodleCell(in); got != want {
			t.Errorf("moodleCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCanvasNumber matches the Ruby converter on the cases the importer
// test relies on.
func TestCanvasNumber(t *testing.T) {
	for in, want := range map[string]string{"22.01.234": "2201.234", "2201234": "2201234", "1,5": "1.5", "12.5": "12.5", "S-1.2": "S-1.2", "-1.000,5": "-1000.5", "5.": "5", ".": "", "budi@x.id": "budi@x.id"} {
		if got := CanvasNumber(in); got != want {
			t.Errorf("CanvasNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
