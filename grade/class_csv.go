package grade

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/kubelab/kubelab/report"
)

// grades.csv: one row per student, cells safe to open in a spreadsheet.

// CSVColumn is one more column of grades.csv: the hand-in's flags, say.
type CSVColumn struct {
	Name  string
	Value func(StudentEntry) string
}

// WriteCSV writes grades.csv for an LMS: student_id, name, score,
// max_score, percent, late (yes/no; empty without a deadline), incomplete
// (yes when points or a required check were not graded: grade that student
// again), not_graded_points (left out of max_score), percent_of_whole (the
// score over max_score plus not_graded_points: what an incomplete grade is
// if nothing more is earned), held (the flags that hold the grade: score,
// percent and percent_of_whole are then empty), then each scored check's
// points (empty for a check not graded), then the extra columns. Cells a
// spreadsheet would read as a formula are prefixed with an apostrophe,
// and control and bidi characters are removed from every cell.
func (c *Class) WriteCSV(w io.Writer, extra ...CSVColumn) error {
	var scored []string
	for _, cs := range c.Summary.Checks {
		if cs.MaxPoints > 0 {
			scored = append(scored, cs.ID)
		}
	}
	cw := csv.NewWriter(w)
	head := append([]string{"student_id", "name", "score", "max_score", "percent", "late", "incomplete", "not_graded_points", "percent_of_whole", "held"}, scored...)
	for _, x := range extra {
		head = append(head, safeCell(x.Name))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, e := range c.Students {
		late := ""
		if e.hasLateRe {
			late = "no"
			if e.Late {
				late = "yes"
			}
		}
		incomplete := "no"
		if e.Report.Incomplete {
			incomplete = "yes"
		}
		score, pct, whole := num(e.Score), num(e.Percent), num(e.PercentOfWhole())
		if len(e.Held) > 0 {
			// A held grade is no grade: the cells a gradebook reads stay
			// empty until the lecturer accepts the flags.
			score, pct, whole = "", "", ""
		}
		row := []string{safeCell(e.ID), safeCell(e.Name), score, num(e.MaxScore), pct, late, incomplete, num(e.Report.NotGradedPoints), whole, safeCell(strings.Join(e.Held, ";"))}
		for _, id := range scored {
			ch, _ := findCheck(e.Report, id)
			if ch.NotGraded {
				row = append(row, "")
				continue
			}
			row = append(row, num(ch.Points))
		}
		for _, x := range extra {
			row = append(row, safeCell(x.Value(e)))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell keeps a spreadsheet from running a cell as a formula (CSV
// injection): a cell starting with = + - @ or a tab or carriage return gets
// a leading apostrophe. Control characters (ESC starts a terminal escape
// when the file is printed) and bidi overrides and isolates (U+202E makes
// a name read backwards) are removed first (report.CleanLine), as the
// progress line does.
func safeCell(s string) string {
	s = report.CleanLine(s)
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r', '|', '%':
		return "'" + s
	}
	return s
}

func num(f float64) string { return report.FormatPoints(f) }
