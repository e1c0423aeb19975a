package grade

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kubelab/kubelab/report"
)

// TestClassFilesScale writes the class files of a class of KUBELAB_SCALE
// students (10 000 by default; skipped unless set) from their report files,
// as Run does after grading, and says how long it took and how much heap
// it held.
func TestClassFilesScale(t *testing.T) {
	n := 0
	fmt.Sscan(os.Getenv("KUBELAB_SCALE"), &n)
	if n == 0 {
		t.Skip("KUBELAB_SCALE=N measures the class files of N students")
	}
	base, err := report.ReadFile(filepath.Join("..", "report", "testdata", "mistakes.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	var sums []*report.Report
	for i := 0; i < n; i++ {
		r := *base
		r.Student = report.Student{ID: fmt.Sprintf("2025%05d", i), Name: fmt.Sprintf("Mahasiswa %d", i)}
		data, err := report.JSON(&r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(studentPath(out, r.Student.ID, ".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, summaryReport(&r))
	}
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	c, err := classFromDir(out, sums)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFiles(out); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	st, _ := os.Stat(filepath.Join(out, ResultsFile))
	st2, _ := os.Stat(filepath.Join(out, IndexFile))
	t.Logf("%d students: class files in %s; heap after %d MB (summaries), total allocated %d MB; results.json %d MB, index.html %d MB",
		n, took.Round(time.Millisecond), m1.HeapAlloc>>20, (m1.TotalAlloc-m0.TotalAlloc)>>20, st.Size()>>20, st2.Size()>>20)
}
