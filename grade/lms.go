package grade

import (
	"strings"
	"unicode/utf8"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

// The LMS export formats of kubelab grade export.
const (
	FormatCanvas = "canvas"
	FormatMoodle = "moodle"
	FormatCSV    = "csv"
)

// ExportFormats lists the formats Export writes.
var ExportFormats = []string{FormatCanvas, FormatMoodle, FormatCSV}

// ExportOptions tune Export.
type ExportOptions struct {
	// Format is canvas, moodle or csv.
	Format string
	// Assignment names the grade column (default: the lab's title, else
	// its id). AssignmentID is Canvas's id of the assignment: the header
	// is then "Assignment (id)", which Canvas matches exactly.
	Assignment, AssignmentID string
	// NoPointsPossible leaves out Canvas's "Points Possible" row.
	NoPointsPossible bool
	// NoFeedback leaves out the feedback column.
	NoFeedback bool
	// ID, SISUserID and SISLoginID name the roster columns that fill
	// Canvas's ID, SIS User ID and SIS Login ID (the first column with a
	// value wins; none: the cell stays empty). SISUserID also fills
	// Moodle's ID number. Defaults: DefaultExportColumns.
	ID, SISUserID, SISLoginID []string
	// Lang is the feedback's language for a student whose roster row and
	// report name none (default en).
	Lang string
	// NotesColumn is the title of the Canvas course's notes column, which
	// Canvas matches exactly (default "Notes"; an Indonesian Canvas may
	// call it "Catatan").
	NotesColumn string
	// MoodleID is the user field Moodle matches rows by, and so the one
	// identifier column of the Moodle file: email (default), idnumber or
	// username.
	MoodleID string
	// Username names the roster columns that fill Moodle's Username
	// (default: username).
	Username []string
	// Provisional puts incomplete grades (points not graded) into the
	// Canvas and Moodle files too; without it those students are left out
	// (and listed), so that a provisional grade never stands in the LMS as
	// a final one. A held grade is never exported.
	Provisional bool
}

// DefaultExportColumns are the roster columns the Canvas and Moodle
// identifiers come from when ExportOptions names none: Canvas's own user
// id is not in a roster unless a column says so (canvas_id), the SIS user
// id is the sis_id column or else the student id, and the login is the
// e-mail address.
var DefaultExportColumns = struct{ ID, SISUserID, SISLoginID []string }{
	ID:         []string{"canvas_id"},
	SISUserID:  []string{ColSISID, ColStudentID},
	SISLoginID: []string{ColEmail},
}

// DefaultUsernameColumns are the roster columns Moodle's Username comes
// from when ExportOptions names none.
var DefaultUsernameColumns = []string{"username"}

// The identifiers Moodle's CSV import can match a user by (its "Map to"
// choices, less its internal user id, which no roster has).
const (
	MoodleByEmail    = "email"
	MoodleByIDNumber = "idnumber"
	MoodleByUsername = "username"
)

// MoodleIDs lists them, the default first.
var MoodleIDs = []string{MoodleByEmail, MoodleByIDNumber, MoodleByUsername}

// ParseColumns reads a flag naming roster columns, e.g. "sis_id,student_id"
// ("none" or "" for no column).
func ParseColumns(s string) []string {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		if c = normColumn(c); c != "" && c != "none" {
			cols = append(cols, c)
		}
	}
	if cols == nil {
		cols = []string{}
	}
	return cols
}

// Column returns the student's value of a roster column (student_id,
// name, email, sis_id, section, lang, or any other column the roster had),
// "" when there is none.
func (e StudentEntry) Column(name string) string {
	switch normColumn(name) {
	case ColStudentID:
		return e.ID
	case ColName:
		return e.Name
	case ColEmail:
		return e.Email
	case ColSISID:
		return e.SISID
	case ColSection:
		return e.Section
	case ColLang:
		return e.Lang
	}
	for _, c := range e.Columns {
		if c.Name == normColumn(name) {
			return c.Value
		}
	}
	return ""
}

func firstColumn(e StudentEntry, cols []string) string {
	for _, c := range cols {
		if v := e.Column(c); v != "" {
			return v
		}
	}
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Feedback is the short text a lecturer pastes into the LMS for one
// student, in the student's language (the roster's lang column, else the
// report's, else lang): the grade, the checks that did not pass, the first
// hint that fixes one, and lateness. An incomplete result says that it is
// not the final grade and that the missing checks are not the student's
// fault. One line of plain text.
func Feedback(e StudentEntry, lang string) string { return feedback(e, lang, true) }

// ShortFeedback is Feedback in at most n characters: without the hint when
// the whole is longer (the score, what did not pass, incompleteness and
// lateness matter more), then cut at a word boundary with an ellipsis.
func ShortFeedback(e StudentEntry, lang string, n int) string {
	s := feedback(e, lang, true)
	if utf8.RuneCountInString(s) > n {
		s = feedback(e, lang, false)
	}
	return cutWords(s, n)
}

// cutWords keeps at most n characters of s, cut after a word (when one
// ends in the second half) and ending in an ellipsis.
func cutWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := string([]rune(s)[:n-1])
	if i := strings.LastIndexByte(r, ' '); i > len(r)/2 {
		r = strings.TrimRight(r[:i], " ,;:")
	}
	return r + "…"
}

func feedback(e StudentEntry, lang string, withHint bool) string {
	r := e.Report
	if e.Lang != "" {
		lang = e.Lang
	} else if r.Lang != "" {
		lang = r.Lang
	}
	var parts []string
	if len(e.Held) > 0 {
		parts = append(parts, i18n.Tr(lang,
			"Not graded yet: your hand-in is being reviewed by the lecturer (%s).", strings.Join(e.Held, ", ")))
		return oneLine(strings.Join(parts, " "), 1000)
	}
	if e.ErrorRow {
		parts = append(parts, i18n.Tr(lang,
			"Not graded yet: your work could not be checked because of the environment, not because of your work; you will be graded again."))
	} else {
		verdict := i18n.Tr(lang, "lab passed")
		if !e.Passed {
			verdict = i18n.Tr(lang, "lab not passed yet")
		}
		parts = append(parts, i18n.Tr(lang, "Score %s/%s (%s%%), %s.", num(e.Score), num(e.MaxScore), num(e.Percent), verdict))
	}
	var missed []string
	hint := ""
	for _, c := range r.Checks {
		if c.ID == LateCheckID || c.NotGraded || (c.Status != report.Fail && c.Status != report.Partial) {
			continue
		}
		missed = append(missed, c.ID)
		if hint == "" {
			hint = c.Hint
			if hint == "" && len(c.Hints) > 0 {
				hint = c.Hints[0]
			}
		}
	}
	if len(missed) > 0 {
		parts = append(parts, i18n.Tr(lang, "Not passed: %s.", strings.Join(missed, ", ")))
	}
	if hint = oneLine(hint, 300); hint != "" && withHint {
		parts = append(parts, i18n.Tr(lang, "Fix first: %s", hint))
	}
	if r.Incomplete && !e.ErrorRow {
		var ids []string
		for _, c := range r.Checks {
			if c.NotGraded {
				ids = append(ids, c.ID)
			}
		}
		parts = append(parts, i18n.Tr(lang,
			"Incomplete: %s point(s) were not graded (%s) because of the environment, not your work; this grade may change when they are.",
			num(r.NotGradedPoints), strings.Join(ids, ", ")))
	}
	if e.Late {
		parts = append(parts, i18n.Tr(lang, "Late by %d day(s): %s point(s) off.", e.LateDays, num(e.Penalty)))
	}
	return oneLine(strings.Join(parts, " "), 1000)
}

// oneLine collapses whitespace (newlines included) and keeps at most n
// characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
