package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader names the columns of WriteCSV, one row per check.
var CSVHeader = []string{
	"student_id", "student_name", "lab_id", "lab_version", "step", "check", "status",
	"points", "max_points", "required", "message", "hint", "evidence", "duration_ms",
	"image", "digest", "namespace", "finished_at", "report_score", "report_max_score", "report_passed",
	// Not graded: the check (true: it earned nothing and is left out of
	// report_max_score), the report's points left out, and whether the
	// report is incomplete (grade it again where the checks can run).
	"not_graded", "report_not_graded_points", "report_incomplete",
}

// CSVRows returns the report's rows (without the header), every cell
// guarded against spreadsheet formula injection.
func CSVRows(r *Report) [][]string {
	r = sanitized(r)
	var rows [][]string
	finished := ""
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	for _, g := range groups(r, LabelsFor(r.Lang).OtherChecks) {
		for _, c := range g.Checks {
			var hints []string
			if c.Hint != "" {
				hints = append(hints, c.Hint)
			}
			hint := strings.Join(append(hints, extraHints(c)...), " / ")
			row := []string{
				r.Student.ID, r.Student.Name, r.Lab.ID, r.Lab.Version, c.Step, c.ID, string(c.Status),
				num(c.Points), num(c.MaxPoints), strconv.FormatBool(c.Required), c.Message, hint,
				strings.Join(evidenceLines(c.Evidence), "; "), strconv.FormatInt(c.DurationMS, 10),
				r.Target.Image, r.Target.Digest, r.Target.Namespace, finished,
				num(r.Score), num(r.MaxScore), strconv.FormatBool(r.Passed),
				strconv.FormatBool(c.NotGraded), num(r.NotGradedPoints), strconv.FormatBool(r.Incomplete),
			}
			for i := range row {
				row[i] = CSVCell(row[i])
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// CSVCell makes a text safe for a spreadsheet: newlines and tabs become
// spaces, other control characters go, and a cell that starts with = + - @ (or a tab or carriage
// return) gets a leading single quote, so Excel, LibreOffice and Google
// Sheets show it as text instead of running it as a formula.
func CSVCell(s string) string {
	s = clean(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV renders the report as CSV: a header row (CSVHeader), then one
// row per check.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	if err := cw.WriteAll(CSVRows(r)); err != nil {
		return err
	}
	return cw.Error()
}
