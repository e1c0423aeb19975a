package grade

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kubelab/kubelab/internal/atomicfile"
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

// Export writes the gradebook import file of an LMS from a saved
// results.json, a student at a time (memory does not grow with the
// class):
//
//   - canvas: Student, ID, SIS User ID, SIS Login ID, Section, the
//     assignment's column, and Notes (the feedback), with a Points Possible
//     row first;
//   - moodle: ID number, Email address, Full name, the assignment's grade
//     and Feedback (Moodle's CSV import maps the first two to its users and
//     the last to the grade item's feedback);
//   - csv: student_id, name, email, sis_id, section, score, max_score,
//     percent, late, incomplete, feedback.
//
// Every cell is UTF-8, quoted as RFC 4180 says when needed, and protected
// against spreadsheet formulas. The grade is the score (late penalty
// included) of the checks that were graded; an incomplete result's
// feedback says which points were not graded, and a student whose grading
// failed as a whole gets an empty grade cell (an LMS keeps the grade it
// has; a blank is not a zero).
func Export(w io.Writer, results io.Reader, opt ExportOptions) error {
	if !slices.Contains(ExportFormats, opt.Format) {
		return fmt.Errorf("format %q: use %s", opt.Format, strings.Join(ExportFormats, ", "))
	}
	if opt.ID == nil {
		opt.ID = DefaultExportColumns.ID
	}
	if opt.SISUserID == nil {
		opt.SISUserID = DefaultExportColumns.SISUserID
	}
	if opt.SISLoginID == nil {
		opt.SISLoginID = DefaultExportColumns.SISLoginID
	}
	if opt.Lang == "" {
		opt.Lang = "en"
	}
	cw := csv.NewWriter(w)
	write := func(row ...string) error {
		for i := range row {
			row[i] = safeCell(row[i])
		}
		return cw.Write(row)
	}
	head := func(c *Class) error {
		name := opt.Assignment
		if name == "" {
			name = c.Lab.Title
		}
		if name == "" {
			name = c.Lab.ID
		}
		switch opt.Format {
		case FormatCanvas:
			col := name
			if opt.AssignmentID != "" {
				col = fmt.Sprintf("%s (%s)", name, opt.AssignmentID)
			}
			row := []string{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", col}
			if !opt.NoFeedback {
				row = append(row, "Notes")
			}
			if err := write(row...); err != nil {
				return err
			}
			if opt.NoPointsPossible {
				return nil
			}
			row = []string{"Points Possible", "", "", "", "", num(c.Summary.MaxScore)}
			if !opt.NoFeedback {
				row = append(row, "")
			}
			return write(row...)
		case FormatMoodle:
			row := []string{"ID number", "Email address", "Full name", name}
			if !opt.NoFeedback {
				row = append(row, "Feedback")
			}
			return write(row...)
		default:
			row := []string{"student_id", "name", "email", "sis_id", "section", "score", "max_score", "percent", "late", "incomplete"}
			if !opt.NoFeedback {
				row = append(row, "feedback")
			}
			return write(row...)
		}
	}
	each := func(e StudentEntry) error {
		// An error row was not graded at all: a blank keeps the LMS's
		// grade (a zero would be the environment's fault).
		grade := ""
		if !e.ErrorRow {
			grade = num(e.Score)
		}
		var row []string
		switch opt.Format {
		case FormatCanvas:
			row = []string{e.Name, firstColumn(e, opt.ID), firstColumn(e, opt.SISUserID), firstColumn(e, opt.SISLoginID), e.Section, grade}
		case FormatMoodle:
			row = []string{firstColumn(e, opt.SISUserID), e.Email, e.Name, grade}
		default:
			late := ""
			if e.hasLateRe {
				late = yesNo(e.Late)
			}
			row = []string{e.ID, e.Name, e.Email, e.SISID, e.Section, num(e.Score), num(e.MaxScore), num(e.Percent), late, yesNo(e.Report.Incomplete || e.ErrorRow)}
		}
		if !opt.NoFeedback {
			row = append(row, Feedback(e, opt.Lang))
		}
		return write(row...)
	}
	if err := ScanClass(results, head, each); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
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
func Feedback(e StudentEntry, lang string) string {
	r := e.Report
	if e.Lang != "" {
		lang = e.Lang
	} else if r.Lang != "" {
		lang = r.Lang
	}
	var parts []string
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
	if hint = oneLine(hint, 300); hint != "" {
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

// ExportFile exports the results.json at results into output (written
// whole or not at all), or to stdout when output is "" or "-".
func ExportFile(results, output string, stdout io.Writer, opt ExportOptions) error {
	f, err := os.Open(results)
	if err != nil {
		return &InputError{Err: err}
	}
	defer f.Close()
	if output == "" || output == "-" {
		bw := bufio.NewWriter(stdout)
		if err := Export(bw, f, opt); err != nil {
			return fmt.Errorf("%s: %w", results, err)
		}
		return bw.Flush()
	}
	err = atomicfile.Write(output, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		if err := Export(bw, f, opt); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("%s: %w", results, err)
	}
	return nil
}

// LMSFile is the name kubelab grade --lms FORMAT gives the export in the
// output directory.
func LMSFile(format string) string { return "lms-" + format + ".csv" }
