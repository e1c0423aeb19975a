package report_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// BenchmarkWriteHTML renders the mistakes fixture's page: a class grading
// writes one per student, so this is per-student cost (make bench, the
// 10 000 row, is where it shows).
func BenchmarkWriteHTML(b *testing.B) {
	r, err := report.ReadFile("testdata/mistakes.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := report.WriteHTML(io.Discard, r, report.HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteHTMLUnseen renders the same page with every check's
// message new each time: no check is found already rendered (checkHTML),
// the cost of a class whose every check names the student.
func BenchmarkWriteHTMLUnseen(b *testing.B) {
	r, err := report.ReadFile("testdata/mistakes.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		for i := range r.Checks {
			r.Checks[i].Message = fmt.Sprintf("check %d of page %d", i, n)
		}
		if err := report.WriteHTML(io.Discard, r, report.HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSON encodes the same report as a class grading's
// students/<id>.json.
func BenchmarkJSON(b *testing.B) {
	r, err := report.ReadFile("testdata/mistakes.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := report.JSON(r); err != nil {
			b.Fatal(err)
		}
	}
}
