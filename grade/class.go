package grade

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"sync"

	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/report"
)

// ClassSchema is the version of results.json.
const ClassSchema = "kubelab.class/v1"

// readableClassSchemas are the results.json versions ScanClass and
// ReadClass accept: this one and every older one a lecturer may still
// export grades from (grade/testdata/lms/results-v1.json is kept as
// kubelab wrote it to prove it). A new version appends, never replaces.
var readableClassSchemas = []string{ClassSchema}

// The aggregate files in the output directory.
const (
	IndexFile   = "index.html"
	GradesFile  = "grades.csv"
	ResultsFile = "results.json"
)

// Class is a graded class: the summary and every student's report, sorted
// by student id. It is a function of the reports alone.
type Class struct {
	Schema   string         `json:"schema"`
	Tool     report.Tool    `json:"tool"`
	Lab      report.Lab     `json:"lab"`
	Summary  Summary        `json:"summary"`
	Students []StudentEntry `json:"students"`
	// HTMLReports says whether students/<id>.html exist (the dashboard
	// links to them, else to the JSON).
	HTMLReports bool `json:"-"`
}

// Summary is the class at a glance.
type Summary struct {
	Students int `json:"students"`
	Passed   int `json:"passed"`
	// Late counts students whose work was done after the deadline;
	// Deadline is set when one was given.
	Late     int    `json:"late"`
	Deadline string `json:"deadline,omitempty"`
	// WithErrors counts students with a check that could not run;
	// GradingFailed those whose every check is an error.
	WithErrors    int `json:"with_errors"`
	GradingFailed int `json:"grading_failed"`
	// Settling counts students still caught mid-change (StudentEntry.Settling).
	Settling      int     `json:"settling,omitempty"`
	MaxScore      float64 `json:"max_score"`
	MeanScore     float64 `json:"mean_score"`
	MeanPercent   float64 `json:"mean_percent"`
	MedianPercent float64 `json:"median_percent"`
	// Checks in the lab's order, with how the class did on each.
	Checks []CheckSummary `json:"checks"`
	// Histogram of the percent scores in ten buckets: [0,10), [10,20), …,
	// [90,100].
	Histogram []Bucket `json:"histogram"`
}

// CheckSummary is one check across the class.
type CheckSummary struct {
	ID        string                `json:"id"`
	Step      string                `json:"step"`
	MaxPoints float64               `json:"max_points"`
	Counts    map[report.Status]int `json:"counts"`
	// PassRate is the share of students who passed it (0..1); Partial
	// results are counted apart.
	PassRate   float64 `json:"pass_rate"`
	MeanPoints float64 `json:"mean_points"`
}

// Bucket is one bar of the histogram.
type Bucket struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Count int     `json:"count"`
}

// StudentEntry is one student in results.json. Score is the grade: the
// report's score less the late penalty (RawScore is the report's).
type StudentEntry struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Score    float64 `json:"score"`
	RawScore float64 `json:"raw_score"`
	MaxScore float64 `json:"max_score"`
	Percent  float64 `json:"percent"`
	// Passed is the report's verdict (every required check passed and the
	// checks' score reached the lab's pass mark): a late penalty lowers the
	// grade, not this.
	Passed   bool    `json:"passed"`
	Late     bool    `json:"late"`
	LateDays int     `json:"late_days,omitempty"`
	Penalty  float64 `json:"penalty,omitempty"`
	Errors   int     `json:"errors"`
	ErrorRow bool    `json:"error_row"`
	// Settling: a check caught the student's cluster mid-change and it had
	// not settled when grading ended (report.Result.Settling): the grade is
	// what was true then, and is not sent to an LMS as final.
	Settling bool `json:"settling,omitempty"`
	// Held names what holds the student's grade (a hand-in's flags the
	// lecturer has not accepted: bad-signature, score-mismatch, other-key,
	// duplicate): no grade goes into grades.csv or the LMS files while it
	// is set.
	Held []string `json:"held,omitempty"`
	// Email, SISID, Section, Lang and Columns are the student's roster
	// columns (for the LMS export); empty when the class was graded
	// without them.
	Email   string   `json:"email,omitempty"`
	SISID   string   `json:"sis_id,omitempty"`
	Section string   `json:"section,omitempty"`
	Lang    string   `json:"lang,omitempty"`
	Columns []Column `json:"columns,omitempty"`
	// Report is the student's report. In a class built from an output
	// directory (Run, Merge) it is a summary of the report (see
	// summaryReport) and file names the full report, which results.json
	// copies: a class of 10 000 keeps no full report in memory.
	Report    *report.Report `json:"report"`
	file      string
	hasLateRe bool
}

// SetHeld marks the students whose grade is held, by id (see
// StudentEntry.Held).
func (c *Class) SetHeld(held map[string][]string) {
	for i := range c.Students {
		c.Students[i].Held = held[c.Students[i].ID]
	}
}

// PercentOfWhole is the score as a percent of the whole maximum: the
// points not graded counted as not earned. Beside Percent (of the points
// graded) it shows how far an incomplete grade could still move.
func (e StudentEntry) PercentOfWhole() float64 {
	whole := e.MaxScore
	if e.Report != nil {
		whole += e.Report.NotGradedPoints
	}
	if whole <= 0 {
		return 0
	}
	return round2(100 * e.Score / whole)
}

// SetRoster copies the roster's gradebook columns into the students'
// entries.
func (c *Class) SetRoster(students []Student) {
	by := make(map[string]*Student, len(students))
	for i := range students {
		by[students[i].ID] = &students[i]
	}
	for i := range c.Students {
		e := &c.Students[i]
		if s := by[e.ID]; s != nil {
			e.Email, e.SISID, e.Section, e.Lang, e.Columns = s.Email, s.SISID, s.Section, s.Lang, s.Extra
		}
	}
}

// summaryReport is what the class files need of a report: the totals and
// each check's status, points and (shortened) message, without steps,
// evidence or hints. The late check keeps its evidence (the deadline and
// penalty are read from it).
func summaryReport(r *report.Report) *report.Report {
	s := *r
	s.Steps, s.Fingerprint, s.Signature = nil, nil, nil
	s.Checks = make([]report.Result, len(r.Checks))
	for i, c := range r.Checks {
		c.ID, c.Step = intern(c.ID), intern(c.Step)
		c.Message = shorten(c.Message, 200)
		c.Hint, c.Hints = "", nil
		if c.ID != LateCheckID {
			c.Evidence = nil
		}
		s.Checks[i] = c
	}
	return &s
}

var (
	internMu sync.Mutex
	interned = map[string]string{}
)

// intern shares the few distinct check ids and steps among thousands of
// summaries.
func intern(v string) string {
	internMu.Lock()
	defer internMu.Unlock()
	if w, ok := interned[v]; ok {
		return w
	}
	if len(interned) < 10000 {
		interned[v] = v
	}
	return v
}

// classFromDir builds the class of out's students from their summaries
// (see summaryReport); results.json copies each full report from
// out/students/<id>.json.
func classFromDir(out string, summaries []*report.Report) (*Class, error) {
	c, err := NewClass(summaries)
	if err != nil {
		return nil, err
	}
	for i := range c.Students {
		c.Students[i].file = studentPath(out, c.Students[i].ID, ".json")
	}
	return c, nil
}

// NewClass builds the class from reports of one lab (any order).
func NewClass(reports []*report.Report) (*Class, error) {
	c := &Class{Schema: ClassSchema, Tool: report.Tool{Name: "kubelab", Version: report.Version}}
	sorted := append([]*report.Report(nil), reports...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Student.ID < sorted[j].Student.ID })
	seen := map[string]bool{}
	for i, r := range sorted {
		if i == 0 {
			c.Lab = r.Lab
		} else if r.Lab.ID != c.Lab.ID || r.Lab.Version != c.Lab.Version {
			return nil, fmt.Errorf("student %s was graded on lab %s %s, the others on %s %s", r.Student.ID, r.Lab.ID, r.Lab.Version, c.Lab.ID, c.Lab.Version)
		}
		if seen[r.Student.ID] {
			return nil, fmt.Errorf("student %s has two results", r.Student.ID)
		}
		seen[r.Student.ID] = true
		e := StudentEntry{ID: r.Student.ID, Name: r.Student.Name, Score: r.Score, RawScore: r.Score, MaxScore: r.MaxScore,
			Percent: r.Percent(), Passed: r.Passed, Errors: r.Counts[report.Error], ErrorRow: IsErrorRow(r), Settling: r.Settling(), Report: r}
		if l, ok := LatenessOf(r); ok {
			e.hasLateRe = true
			e.Late, e.LateDays, e.Penalty = l.Late, l.Days, l.Penalty
			e.Score = round2(r.Score - l.Penalty)
			if e.MaxScore > 0 {
				e.Percent = round2(100 * e.Score / e.MaxScore)
			}
			for _, ch := range r.Checks {
				if ch.ID == LateCheckID {
					for _, f := range ch.Evidence {
						if f.Name == "deadline" {
							c.Summary.Deadline = f.Value
						}
					}
				}
			}
		}
		c.Students = append(c.Students, e)
	}
	c.summarize()
	return c, nil
}

// CheckIDs lists the lab's checks in step order (the submission result
// excluded), as the reports hold them.
func (c *Class) CheckIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, e := range c.Students {
		for _, ch := range e.Report.Checks {
			if ch.ID != LateCheckID && !seen[ch.ID] {
				seen[ch.ID] = true
				ids = append(ids, ch.ID)
			}
		}
	}
	return ids
}

func (c *Class) summarize() {
	s := &c.Summary
	s.Students = len(c.Students)
	var pcts []float64
	var total float64
	for _, e := range c.Students {
		if e.Passed {
			s.Passed++
		}
		if e.Late {
			s.Late++
		}
		if e.Errors > 0 {
			s.WithErrors++
		}
		if e.ErrorRow {
			s.GradingFailed++
		}
		if e.Settling {
			s.Settling++
		}
		if e.MaxScore > s.MaxScore {
			s.MaxScore = e.MaxScore
		}
		total += e.Score
		pcts = append(pcts, e.Percent)
	}
	if n := len(c.Students); n > 0 {
		s.MeanScore = round2(total / float64(n))
		sum := 0.0
		for _, p := range pcts {
			sum += p
		}
		s.MeanPercent = round2(sum / float64(n))
		sort.Float64s(pcts)
		if n%2 == 1 {
			s.MedianPercent = pcts[n/2]
		} else {
			s.MedianPercent = round2((pcts[n/2-1] + pcts[n/2]) / 2)
		}
	}
	s.Histogram = make([]Bucket, 10)
	for i := range s.Histogram {
		s.Histogram[i] = Bucket{From: float64(i * 10), To: float64(i*10 + 10)}
	}
	for _, p := range pcts {
		s.Histogram[BucketOf(p)].Count++
	}
	for _, id := range c.CheckIDs() {
		cs := CheckSummary{ID: id, Counts: map[report.Status]int{}}
		for _, st := range report.Statuses {
			cs.Counts[st] = 0
		}
		var pts float64
		for _, e := range c.Students {
			if ch, ok := findCheck(e.Report, id); ok {
				cs.Step, cs.MaxPoints = ch.Step, math.Max(cs.MaxPoints, ch.MaxPoints)
				cs.Counts[ch.Status]++
				pts += ch.Points
			}
		}
		if n := len(c.Students); n > 0 {
			cs.PassRate = math.Round(float64(cs.Counts[report.Pass])/float64(n)*10000) / 10000
			cs.MeanPoints = round2(pts / float64(n))
		}
		s.Checks = append(s.Checks, cs)
	}
}

// BucketOf is the histogram bucket of a percent score: 0 for [0,10), …, 9
// for [90,100].
func BucketOf(pct float64) int {
	b := int(math.Floor(pct / 10))
	if b < 0 {
		b = 0
	}
	if b > 9 {
		b = 9
	}
	return b
}

func findCheck(r *report.Report, id string) (report.Result, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return report.Result{}, false
}

// incomplete counts the students with points not graded.
func (c *Class) incomplete() int {
	n := 0
	for _, e := range c.Students {
		if e.Report.Incomplete {
			n++
		}
	}
	return n
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// WriteFiles writes index.html, grades.csv (with the extra columns at its
// end) and results.json into dir, each atomically. The three are written at
// once (results.json is mostly copying, index.html mostly rendering); they
// only read the class. The students' own files, written unsynced, are
// flushed first, so that a crash never leaves a class file pointing at an
// empty report.
func (c *Class) WriteFiles(dir string, extra ...CSVColumn) error {
	if err := atomicfile.SyncFS(dir); err != nil {
		return fmt.Errorf("flushing the students' reports: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{{ResultsFile, c.WriteJSON}, {GradesFile, func(w io.Writer) error { return c.WriteCSV(w, extra...) }}, {IndexFile, c.WriteDashboard}}
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := writeAtomic(filepath.Join(dir, f.name), f.write); err != nil {
				errs[i] = fmt.Errorf("writing %s: %w", f.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
