package content_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/goldentest"
	"github.com/kubelab/kubelab/report"
)

var update = flag.Bool("update", false, "rewrite the kubelab output regions of the lessons from testdata/")

// A lesson shows kubelab's own output only inside a marked region:
//
//	<!-- kubelab-output: NAME -->
//	```text
//	...
//	```
//	<!-- end kubelab-output -->
//
// The text is testdata/NAME.LANG.json, a real run of `kubelab check`
// saved by the pipeline's TestReportFixtures, rendered as the command
// prints it in a pipe (text, no colour, no evidence).
var (
	regionStart = regexp.MustCompile(`^<!-- kubelab-output: ([a-z0-9-]+) -->$`)
	regionEnd   = "<!-- end kubelab-output -->"
	// reportLine is what only kubelab's text report prints: a status mark
	// in front of a check id. A text block with such a line outside a
	// region is a hand-written example that can drift.
	reportLine = regexp.MustCompile(`(^|\s)([✔✘◐–○!] [\p{L} ]+|PASS|PARTIAL|FAIL) +[a-z]+\.[a-z-]+ `)
)

// TestLessonOutputs re-renders every region from its fixture and fails
// when the lesson differs (go test ./content -update rewrites the regions;
// go test ./pipeline -run TestReportFixtures -update re-runs the fixtures).
// It also fails on report-like text outside a region, on a region whose
// fixture is in the other language, and on a fixture no lesson shows.
func TestLessonOutputs(t *testing.T) {
	files, err := filepath.Glob("*/*/*.md")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, path := range files {
		lang := filepath.Base(filepath.Dir(path))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, names, problems := renderRegions(t, string(b), lang)
		for _, p := range problems {
			t.Errorf("%s: %s", path, p)
		}
		for _, n := range names {
			used[n+"."+lang+".json"] = true
		}
		if got != string(b) {
			// The lesson shows kubelab output that is not what the run
			// in testdata/ prints.
			goldentest.Check(t, path, []byte(got), *update, "go test ./content -update")
		}
	}
	fixtures, _ := filepath.Glob("testdata/*.json")
	if len(fixtures) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	for _, f := range fixtures {
		if !used[filepath.Base(f)] {
			t.Errorf("%s is shown by no lesson", f)
		}
	}
}

// renderRegions returns md with each region's block replaced by the text
// its fixture renders to, the fixture names, and what is wrong.
func renderRegions(t *testing.T, md, lang string) (string, []string, []string) {
	t.Helper()
	var out, problems, names []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		m := regionStart.FindStringSubmatch(lines[i])
		if m == nil {
			if lines[i] == regionEnd {
				problems = append(problems, "line "+strconv.Itoa(i+1)+": end of a region that never started")
			}
			if reportLine.MatchString(lines[i]) {
				problems = append(problems, "line "+strconv.Itoa(i+1)+": kubelab output outside a kubelab-output region: "+lines[i])
			}
			out = append(out, lines[i])
			continue
		}
		end := -1
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == regionEnd {
				end = j
				break
			}
		}
		if end < 0 {
			problems = append(problems, "line "+strconv.Itoa(i+1)+": region "+m[1]+" has no "+regionEnd)
			out = append(out, lines[i:]...)
			break
		}
		names = append(names, m[1])
		r, err := report.ReadFile(filepath.Join("testdata", m[1]+"."+lang+".json"))
		if err != nil {
			problems = append(problems, err.Error())
			out = append(out, lines[i:end+1]...)
			i = end
			continue
		}
		if r.Lang != lang {
			problems = append(problems, m[1]+": the "+lang+" lesson shows a report in "+r.Lang)
		}
		var buf bytes.Buffer
		if err := report.Render(&buf, "text", r, report.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		out = append(out, lines[i], "```text")
		out = append(out, strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")...)
		out = append(out, "```", regionEnd)
		i = end
	}
	return strings.Join(out, "\n"), names, problems
}
