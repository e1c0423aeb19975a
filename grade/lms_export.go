package grade

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"github.com/kubelab/kubelab/report"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kubelab/kubelab/internal/atomicfile"
)

// LeftOut is a student Export did not write, and why.
type LeftOut struct {
	ID, Name, Reason string
}

// ExportSummary says what Export wrote: how many students, who was left out
// (with why) and what the lecturer should know before importing.
type ExportSummary struct {
	Rows     int
	LeftOut  []LeftOut
	Warnings []string
}

// LMSWithheld says why the student's grade must not be sent to an LMS, ""
// when it may. It is the one place that decides it: Canvas and Moodle
// treat an empty grade cell as "remove the grade" (Canvas posts
// posted_grade null, Moodle stores a NULL final grade), so a student who
// has no grade to send must be left out of the file, never written with a
// blank. A grade that is not yet the student's (an error row, held) or not
// final (points not graded, or caught mid-change, unless provisional grades
// are asked for)
// stays out rather than standing in as final. Add new reasons here.
func (e StudentEntry) LMSWithheld(provisional bool) string {
	switch {
	case e.ErrorRow:
		return "not graded: no check could run (the environment, not the student's work); grade again"
	case len(e.Held) > 0:
		return "held: " + strings.Join(e.Held, ", ") + " not accepted (see docs/handin.md; kubelab grade --accept)"
	case !provisional && e.Report != nil && e.Report.Incomplete:
		return "incomplete: some points were not graded; grade again where every check can run, or export with --provisional"
	case !provisional && e.Settling:
		return "caught mid-change: a pod was still starting when grading ended; grade again (kubelab grade --resume --retry-errors), or export with --provisional"
	}
	return ""
}

// Export writes the gradebook import file of an LMS from a saved
// results.json, a student at a time:
//
//   - canvas: Student, ID, SIS User ID, SIS Login ID, Section, the notes
//     column (the feedback), the assignment's column, with a Points
//     Possible row first (see writeCanvas);
//   - moodle: the one identifier column Moodle matches users by, Full
//     name, the assignment's grade and Feedback (see writeMoodle);
//   - csv: student_id, name, email, sis_id, section, score, max_score,
//     percent, late, incomplete, feedback, every student.
//
// Every cell is UTF-8, quoted as RFC 4180 says when needed; free text
// (names, feedback) is protected against spreadsheet formulas, identifiers
// are written as they are (a prefixed identifier matches no one) and a
// warning names any that looks like a formula. The grade is the score
// (late penalty included) of the checks that were graded. In the Canvas
// and Moodle files a student without a grade (LMSWithheld) or with an
// identifier the LMS cannot match is left out, never written with a blank
// grade, and listed in the summary with the reason.
//
// Moodle's file is checked for duplicate identifiers before it is
// written, so results is read twice.
func Export(w io.Writer, results io.ReadSeeker, opt ExportOptions) (*ExportSummary, error) {
	if !slices.Contains(ExportFormats, opt.Format) {
		return nil, fmt.Errorf("format %q: use %s", opt.Format, strings.Join(ExportFormats, ", "))
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
	if opt.Username == nil {
		opt.Username = DefaultUsernameColumns
	}
	if opt.Lang == "" {
		opt.Lang = "en"
	}
	if opt.NotesColumn == "" {
		opt.NotesColumn = "Notes"
	}
	if opt.MoodleID == "" {
		opt.MoodleID = MoodleByEmail
	}
	if !slices.Contains(MoodleIDs, opt.MoodleID) {
		return nil, fmt.Errorf("moodle id %q: use %s", opt.MoodleID, strings.Join(MoodleIDs, ", "))
	}
	sum := &ExportSummary{}
	cw := csv.NewWriter(w)
	var err error
	switch opt.Format {
	case FormatCanvas:
		err = writeCanvas(cw, results, opt, sum)
	case FormatMoodle:
		err = writeMoodle(cw, results, opt, sum)
	default:
		err = writePlainCSV(cw, results, opt, sum)
	}
	if err != nil {
		return nil, err
	}
	cw.Flush()
	return sum, cw.Error()
}

// assignmentName is the grade column's name: the option, else the lab's
// title, else its id.
func assignmentName(c *Class, opt ExportOptions) string {
	switch {
	case opt.Assignment != "":
		return opt.Assignment
	case c.Lab.Title != "":
		return c.Lab.Title
	}
	return c.Lab.ID
}

// freeText is a name or feedback cell: one line (a line break inside a
// cell splits the row for the line readers Canvas sniffs the separator
// with) and no formula.
func freeText(s string) string { return safeCell(strings.Join(strings.Fields(s), " ")) }

// looksLikeFormula says whether a spreadsheet would run the cell.
func looksLikeFormula(s string) bool { return safeCell(s) != s }

func writePlainCSV(cw *csv.Writer, results io.Reader, opt ExportOptions, sum *ExportSummary) error {
	write := func(row ...string) error {
		for i := range row {
			row[i] = safeCell(row[i])
		}
		return cw.Write(row)
	}
	head := func(c *Class) error {
		row := []string{"student_id", "name", "email", "sis_id", "section", "score", "max_score", "percent", "late", "incomplete"}
		if !opt.NoFeedback {
			row = append(row, "feedback")
		}
		return write(row...)
	}
	each := func(e StudentEntry) error {
		late := ""
		if e.hasLateRe {
			late = yesNo(e.Late)
		}
		// Every student is listed here, but only a grade that is the
		// student's (not an error row, not held) and final (or
		// --provisional) has a score.
		score, pct := "", ""
		if e.LMSWithheld(opt.Provisional) == "" {
			score, pct = num(e.Score), num(e.Percent)
		}
		row := []string{e.ID, e.Name, e.Email, e.SISID, e.Section, score, num(e.MaxScore), pct, late, yesNo(e.Report.Incomplete || e.ErrorRow)}
		if !opt.NoFeedback {
			row = append(row, Feedback(e, opt.Lang))
		}
		sum.Rows++
		return write(row...)
	}
	return ScanClass(results, head, each)
}

// ExportFile exports the results.json at results into output (written
// whole or not at all), or to stdout when output is "" or "-". The
// students left out are written to leftOut as CSV (student_id, name,
// reason) when it is not "" (LeftOutFile names the usual one).
func ExportFile(results, output, leftOut string, stdout io.Writer, opt ExportOptions) (*ExportSummary, error) {
	f, err := os.Open(results)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	defer f.Close()
	var sum *ExportSummary
	if output == "" || output == "-" {
		bw := bufio.NewWriter(stdout)
		if sum, err = Export(bw, f, opt); err != nil {
			return nil, fmt.Errorf("%s: %w", results, err)
		}
		if err := bw.Flush(); err != nil {
			return nil, err
		}
	} else {
		err = atomicfile.Write(output, 0o644, func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 256<<10)
			var err error
			if sum, err = Export(bw, f, opt); err != nil {
				return err
			}
			return bw.Flush()
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", results, err)
		}
	}
	if leftOut != "" {
		err := atomicfile.Write(leftOut, 0o644, func(w io.Writer) error { return sum.WriteLeftOut(w) })
		if err != nil {
			return sum, fmt.Errorf("writing %s: %w", leftOut, err)
		}
	}
	return sum, nil
}

// WriteLeftOut writes the students left out as CSV: student_id, name,
// reason (every cell protected against formulas: the file is read, not
// imported).
func (s *ExportSummary) WriteLeftOut(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"student_id", "name", "reason"})
	for _, l := range s.LeftOut {
		cw.Write([]string{safeCell(l.ID), freeText(l.Name), safeCell(l.Reason)})
	}
	cw.Flush()
	return cw.Error()
}

// Report writes what the lecturer must know to w (stderr): each student
// left out with why, and each warning.
func (s *ExportSummary) Report(w io.Writer, leftOutFile string) {
	if len(s.LeftOut) > 0 {
		where := ""
		if leftOutFile != "" {
			where = " (listed in " + leftOutFile + ")"
		}
		fmt.Fprintf(w, "%d student(s) left out of the file, so the LMS keeps the grade it has%s:\n", len(s.LeftOut), where)
		for _, l := range s.LeftOut {
			fmt.Fprintf(w, "  %s %s: %s\n", l.ID, l.Name, l.Reason)
		}
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}

// LMSFile is the name kubelab grade --lms FORMAT gives the export in the
// output directory.
func LMSFile(format string) string { return "lms-" + format + ".csv" }

// LeftOutFile is the file beside an export that lists the students left
// out of it: lms-canvas.csv -> lms-canvas-left-out.csv.
func LeftOutFile(export string) string {
	return strings.TrimSuffix(export, ".csv") + "-left-out.csv"
}

// cleanIdentifier removes control and bidi characters from an identifier
// cell (they are invisible in the LMS, and ESC or U+202E in a file a
// lecturer prints or reads is an attack), and warns, since the LMS matches
// identifiers exactly and the roster should be fixed.
func cleanIdentifier(warnings *[]string, e StudentEntry, col, v string) string {
	c := report.CleanLine(v)
	if c != v {
		*warnings = append(*warnings, fmt.Sprintf("%s (%s): %s %q holds control or bidi characters; written without them (%q): fix the roster", e.ID, report.CleanLine(e.Name), col, c, c))
	}
	return c
}
