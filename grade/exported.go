package grade

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Small exported wrappers over this package's helpers, for grading modes
// that build their reports elsewhere (kubelab grade --submissions, package
// handin) but write the same output directory as Run.

// CheckStudentID returns why id cannot name a student's files (nil when it
// can): the roster's rule, letters, digits and . _ - @ +, starting with a
// letter or digit, at most 100 characters.
func CheckStudentID(id string) error {
	if id == "" {
		return errors.New("the student id is empty")
	}
	if msg := checkID(id); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// WriteStudentReport writes out/students/<id>.json and, when html is not
// nil, out/students/<id>.html, each atomically, as Run does.
func WriteStudentReport(out string, r *report.Report, html func(io.Writer, *report.Report) error) error {
	if err := CheckStudentID(r.Student.ID); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		return err
	}
	data, err := report.JSON(r)
	if err != nil {
		return err
	}
	if err := writeAtomic(studentPath(out, r.Student.ID, ".json"), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	if html != nil {
		return writeAtomic(studentPath(out, r.Student.ID, ".html"), func(w io.Writer) error { return html(w, r) })
	}
	return nil
}

// ApplyLate judges the work's times in s against the deadline and adds the
// submission.on-time result to r, as Run does with Options.Deadline.
func ApplyLate(r *report.Report, s *snapshot.Snapshot, deadline time.Time, pol LatePolicy, lang string) {
	applyLate(r, s, deadline, pol, lang)
}

// WriteCSVColumn writes grades.csv as WriteCSV does, with one more column
// at the end: name in the header, value(student) in each row (protected
// against spreadsheet formulas like every other cell).
func (c *Class) WriteCSVColumn(w io.Writer, name string, value func(StudentEntry) string) error {
	var buf bytes.Buffer
	if err := c.WriteCSV(&buf); err != nil {
		return err
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		return err
	}
	if len(rows) != len(c.Students)+1 {
		return fmt.Errorf("grades.csv: %d rows for %d students", len(rows)-1, len(c.Students))
	}
	cw := csv.NewWriter(w)
	for i, row := range rows {
		cell := safeCell(name)
		if i > 0 {
			cell = safeCell(value(c.Students[i-1]))
		}
		if err := cw.Write(append(row, cell)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteFilesColumn writes index.html, grades.csv (with the column of
// WriteCSVColumn) and results.json into dir, each atomically.
func (c *Class) WriteFilesColumn(dir, name string, value func(StudentEntry) string) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{ResultsFile, c.WriteJSON},
		{GradesFile, func(w io.Writer) error { return c.WriteCSVColumn(w, name, value) }},
		{IndexFile, c.WriteDashboard},
	} {
		if err := writeAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return nil
}
