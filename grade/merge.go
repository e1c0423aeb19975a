package grade

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kubelab/kubelab/report"
)

// Merge combines the output directories of finished shards (or of any
// finished runs of one lab) into out: every student's reports are copied
// and the aggregate files are written as one run over all of them would
// write them. A student in two directories is an error, as is a directory
// whose run did not finish (no results.json).
func Merge(dirs []string, out string, studentHTML func(io.Writer, *report.Report) error) (*Class, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no directories given")
	}
	if err := os.MkdirAll(filepath.Join(out, StudentsDir), 0o755); err != nil {
		return nil, err
	}
	from := map[string]string{}
	var summaries []*report.Report
	var roster []Student
	allHTML := true
	for _, dir := range dirs {
		f, err := os.Open(filepath.Join(dir, ResultsFile))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s has no %s: its run did not finish; run it again with --resume", dir, ResultsFile)
			}
			return nil, err
		}
		// The shard's results.json is read a student at a time: it names
		// the students and carries their roster columns; each report is
		// read from its own file, and only a summary of it is kept.
		err = ScanClass(f, nil, func(e StudentEntry) error {
			if prev, dup := from[e.ID]; dup {
				return fmt.Errorf("student %s is in both %s and %s", e.ID, prev, dir)
			}
			from[e.ID] = dir
			roster = append(roster, Student{ID: e.ID, Email: e.Email, SISID: e.SISID, Section: e.Section, Lang: e.Lang, Extra: e.Columns})
			src := studentPath(dir, e.ID, ".json")
			r, err := report.ReadFile(src)
			if err != nil {
				return err
			}
			same, _ := samePath(dir, out)
			if !same {
				if err := copyFile(src, studentPath(out, e.ID, ".json")); err != nil {
					return err
				}
			}
			html := studentPath(dir, e.ID, ".html")
			if _, err := os.Stat(html); err == nil {
				if !same {
					if err := copyFile(html, studentPath(out, e.ID, ".html")); err != nil {
						return err
					}
				}
			} else if studentHTML != nil {
				if err := writeAtomic(studentPath(out, e.ID, ".html"), func(w io.Writer) error { return studentHTML(w, r) }); err != nil {
					return err
				}
			} else {
				allHTML = false
			}
			summaries = append(summaries, summaryReport(r))
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ResultsFile), err)
		}
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

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeAtomic(dst, func(w io.Writer) error { _, err := w.Write(data); return err })
}
