package grade

import (
	"errors"
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
	if err := writeStudentFile(studentPath(out, r.Student.ID, ".json"), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	if html != nil {
		return writeStudentFile(studentPath(out, r.Student.ID, ".html"), func(w io.Writer) error { return html(w, r) })
	}
	return nil
}

// ApplyLate judges the work's times in s against the deadline and adds the
// submission.on-time result to r, as Run does with Options.Deadline.
func ApplyLate(r *report.Report, s *snapshot.Snapshot, deadline time.Time, pol LatePolicy, lang string) {
	applyLate(r, s, deadline, pol, lang)
}
