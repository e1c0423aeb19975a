package report_test

import (
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
