package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/goldentest"
	"github.com/kubelab/kubelab/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtures are real grading runs on the simulated cluster, normalised and
// saved by the pipeline's TestReportFixtures.
var fixtures = []string{"correct", "mistakes", "hostile"}

func readFixture(t *testing.T, name string) *report.Report {
	t.Helper()
	r, err := report.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// lessonURL is what `kubelab report render --lesson-url lesson.html` gives.
func lessonURL(step string) string { return "lesson.html#" + step }

// TestGolden renders every fixture in every format and compares the bytes
// with testdata/NAME.FORMAT.golden (go test ./report -update rewrites them).
func TestGolden(t *testing.T) {
	for _, name := range fixtures {
		r := readFixture(t, name)
		for _, format := range report.FormatNames() {
			t.Run(name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := report.Render(&buf, format, r, report.RenderOptions{Evidence: true, LessonURL: lessonURL}); err != nil {
					t.Fatal(err)
				}
				goldentest.Check(t, filepath.Join("testdata", name+"."+format+".golden"), buf.Bytes(), *update, "go test ./report -update")
			})
		}
	}
}

// TestGoldenShowsTheRun checks what a reader sees in each golden file:
// the score, the verdict, the student and every check with its status, so
// an -update that breaks a format cannot pass unnoticed.
func TestGoldenShowsTheRun(t *testing.T) {
	for _, name := range []string{"correct", "mistakes"} {
		r := readFixture(t, name)
		L := report.LabelsFor(r.Lang)
		verdict := L.NotPassed
		if r.Passed {
			verdict = L.Passed
		}
		score := num(r.Score) + "/" + num(r.MaxScore)
		for _, format := range []string{"text", "html", "markdown", "junit", "gradescope", "csv"} {
			b, err := os.ReadFile(filepath.Join("testdata", name+"."+format+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			out := string(b)
			want := []string{r.Student.Name}
			switch format {
			case "csv":
				want = append(want, ","+num(r.Score)+","+num(r.MaxScore)+",")
			case "gradescope":
				want = append(want, `"score": `+num(r.Score))
			case "junit":
				want = append(want, score)
			default:
				want = append(want, score, verdict)
			}
			for _, c := range r.Checks {
				want = append(want, c.ID)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("%s.%s lacks %q", name, format, w)
				}
			}
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
