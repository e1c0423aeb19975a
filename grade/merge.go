package grade

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubelab/kubelab/report"
)

// Merge combines the output directories of finished shards (or of any
// finished runs of one lab) into out: every student's reports are copied
// and the aggregate files are written as one run over all of them would
// write them. A student in two directories is an error, as is a directory
// whose run did not finish (no results.json).
func Merge(dirs []string, out string, studentHTML func(io.Writer, *report.Report) error) (*Class, error) {
	if len(dirs) == 0 {
		return nil, badInput("merge: no directories given")
	}
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		return nil, err
	}
	// Each shard's results.json is read a student at a time for who is in
	// it and their roster columns (the reports in it are skipped, not
	// decoded); each report is then read from its own file, by a few
	// workers, and only a summary of it is kept.
	type job struct {
		dir  string
		e    StudentEntry
		same bool
	}
	from := map[string]string{}
	var jobs []job
	for _, dir := range dirs {
		f, err := os.Open(filepath.Join(dir, ResultsFile))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, badInput("%s has no %s: its run did not finish; run it again with --resume", dir, ResultsFile)
			}
			return nil, badInput("%w", err)
		}
		same, _ := samePath(dir, out)
		err = scanClass(f, nil, func(dec *json.Decoder) error {
			var e struct {
				StudentEntry
				Report skipJSON `json:"report"`
			}
			if err := dec.Decode(&e); err != nil {
				return badInput("not a kubelab results.json: %w", err)
			}
			if prev, dup := from[e.ID]; dup {
				return badInput("student %s is in both %s and %s", e.ID, prev, dir)
			}
			from[e.ID] = dir
			jobs = append(jobs, job{dir: dir, e: e.StudentEntry, same: same})
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ResultsFile), err)
		}
	}
	summaries := make([]*report.Report, len(jobs))
	noHTML := make([]bool, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				summaries[i], noHTML[i], errs[i] = mergeStudent(jobs[i].dir, out, jobs[i].e.ID, jobs[i].same, studentHTML)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	roster := make([]Student, len(jobs))
	allHTML := true
	for i, j := range jobs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		allHTML = allHTML && !noHTML[i]
		e := j.e
		roster[i] = Student{ID: e.ID, Email: e.Email, SISID: e.SISID, Section: e.Section, Lang: e.Lang, Extra: e.Columns}
	}
	c, err := classFromDir(out, summaries)
	if err != nil {
		return nil, err
	}
	c.SetRoster(roster)
	c.HTMLReports = allHTML
	if err := c.WriteFiles(out); err != nil {
		return nil, err
	}
	return c, nil
}

// mergeStudent copies one student's reports from dir into out (writing
// the HTML report when dir has none and studentHTML is given) and returns
// the summary of the report; noHTML: there is no HTML report.
func mergeStudent(dir, out, id string, same bool, studentHTML func(io.Writer, *report.Report) error) (sum *report.Report, noHTML bool, err error) {
	src := studentPath(dir, id, ".json")
	r, err := report.ReadFile(src)
	if err != nil {
		// A shard's report that is missing or not kubelab's is bad input.
		return nil, false, badInput("%w", err)
	}
	if !same {
		if err := copyFile(src, studentPath(out, id, ".json")); err != nil {
			return nil, false, err
		}
	}
	html := studentPath(dir, id, ".html")
	if _, err := os.Stat(html); err == nil {
		if !same {
			if err := copyFile(html, studentPath(out, id, ".html")); err != nil {
				return nil, false, err
			}
		}
	} else if studentHTML != nil {
		if err := writeStudentFile(studentPath(out, id, ".html"), func(w io.Writer) error { return studentHTML(w, r) }); err != nil {
			return nil, false, err
		}
	} else {
		noHTML = true
	}
	return summaryReport(r), noHTML, nil
}

func samePath(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// copyFile copies src to dst through a small buffer: a merge of 10 000
// students copies 20 000 files and holds none of them.
func copyFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeStudentFile(dst, func(w io.Writer) error { _, err := io.Copy(w, f); return err })
}

// skipJSON is a JSON value read past and not kept (a report in a shard's
// results.json: each is read from its own file).
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }
