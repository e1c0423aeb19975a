package grade

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/kubelab/kubelab/report"
)

// ClassSchema is the version of results.json.
const ClassSchema = "kubelab.class/v1"

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
	WithErrors    int     `json:"with_errors"`
	GradingFailed int     `json:"grading_failed"`
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
			Percent: r.Percent(), Passed: r.Passed, Errors: r.Counts[report.Error], ErrorRow: IsErrorRow(r), Report: r}
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

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// WriteFiles writes index.html, grades.csv (with the extra columns at its
// end) and results.json into dir, each atomically. The three are written at
// once (results.json is mostly copying, index.html mostly rendering); they
// only read the class.
func (c *Class) WriteFiles(dir string, extra ...CSVColumn) error {
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

// WriteJSON writes results.json: the summary and every report. It is
// written a student at a time (each full report read from its file when
// the class was built from an output directory), through a buffer: the
// same bytes as encoding the whole class at once, without holding it.
func (c *Class) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	head, err := json.MarshalIndent(struct {
		Schema  string      `json:"schema"`
		Tool    report.Tool `json:"tool"`
		Lab     report.Lab  `json:"lab"`
		Summary Summary     `json:"summary"`
	}{c.Schema, c.Tool, c.Lab, c.Summary}, "", "  ")
	if err != nil {
		return err
	}
	bw.Write(bytes.TrimSuffix(head, []byte("\n}")))
	if c.Students == nil {
		bw.WriteString(",\n  \"students\": null\n}\n")
		return bw.Flush()
	}
	bw.WriteString(",\n  \"students\": [")
	// Each entry is encoded with a null report, and the report's own JSON
	// (indented by report.JSON, as its file is) takes the null's place,
	// each of its lines indented three levels deeper: the bytes encoding
	// the whole class would give, without decoding or encoding a report.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	null := []byte("null\n    }\n")
	for i, e := range c.Students {
		var raw []byte
		var err error
		if e.file != "" {
			// The file was read and validated when the class was built
			// (or written by this run).
			raw, err = os.ReadFile(e.file)
		} else if e.Report != nil {
			raw, err = report.JSON(e.Report)
		}
		if err != nil {
			return fmt.Errorf("student %s: %w", e.ID, err)
		}
		buf.Reset()
		e.Report = nil
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("student %s: %w", e.ID, err)
		}
		entry := buf.Bytes()
		if !bytes.HasSuffix(entry, null) {
			return fmt.Errorf("student %s: unexpected entry encoding", e.ID)
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(entry[:len(entry)-len(null)])
		if raw == nil {
			bw.WriteString("null")
		} else {
			raw = bytes.TrimSuffix(raw, []byte("\n"))
			for {
				i := bytes.IndexByte(raw, '\n')
				if i < 0 {
					bw.Write(raw)
					break
				}
				bw.Write(raw[:i])
				bw.WriteString("\n      ")
				raw = raw[i+1:]
			}
		}
		bw.WriteString("\n    }")
	}
	if len(c.Students) == 0 {
		bw.WriteString("]\n}\n")
	} else {
		bw.WriteString("\n  ]\n}\n")
	}
	return bw.Flush()
}

// ScanClass reads a results.json a student at a time: head is called with
// the class's schema, tool, lab and summary (no students) before the first
// student, each with every student in turn. Memory does not grow with the
// class.
func ScanClass(r io.Reader, head func(*Class) error, each func(StudentEntry) error) error {
	return scanClass(r, head, func(dec *json.Decoder) error {
		var e StudentEntry
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("not a kubelab results.json: %v", err)
		}
		if e.Report == nil {
			return fmt.Errorf("results.json: student %s has no report", e.ID)
		}
		e.hasLateRe = hasLateCheck(e.Report)
		return each(e)
	})
}

// scanClass is ScanClass with each student's decoding left to entry.
func scanClass(r io.Reader, head func(*Class) error, entry func(*json.Decoder) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	bad := func(err error) error { return fmt.Errorf("not a kubelab results.json: %v", err) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return bad(err)
	}
	c := &Class{}
	headDone := false
	startStudents := func() error {
		if headDone {
			return nil
		}
		headDone = true
		if c.Schema != ClassSchema {
			return fmt.Errorf("not a kubelab results.json (schema %q, want %q)", c.Schema, ClassSchema)
		}
		if head != nil {
			return head(c)
		}
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := t.(string)
		var v any
		switch key {
		case "schema":
			v = &c.Schema
		case "tool":
			v = &c.Tool
		case "lab":
			v = &c.Lab
		case "summary":
			v = &c.Summary
		case "students":
			if err := startStudents(); err != nil {
				return err
			}
			t, err := dec.Token()
			if err != nil {
				return bad(err)
			}
			if t == nil {
				continue
			}
			if t != json.Delim('[') {
				return bad(errors.New("students is not a list"))
			}
			for dec.More() {
				if err := entry(dec); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
			continue
		default:
			var skip json.RawMessage
			v = &skip
		}
		if err := dec.Decode(v); err != nil {
			return bad(err)
		}
	}
	return startStudents()
}

func hasLateCheck(r *report.Report) bool {
	_, ok := LatenessOf(r)
	return ok
}

// ReadClass reads a results.json.
func ReadClass(data []byte) (*Class, error) {
	var c Class
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not a kubelab results.json: %v", err)
	}
	if c.Schema != ClassSchema {
		return nil, fmt.Errorf("not a kubelab results.json (schema %q, want %q)", c.Schema, ClassSchema)
	}
	for i, e := range c.Students {
		if e.Report == nil {
			return nil, fmt.Errorf("results.json: student %s has no report", e.ID)
		}
		c.Students[i].hasLateRe = hasLateCheck(e.Report)
	}
	return &c, nil
}

// Reports returns the class's reports, sorted by student id.
func (c *Class) Reports() []*report.Report {
	out := make([]*report.Report, len(c.Students))
	for i, e := range c.Students {
		out[i] = e.Report
	}
	return out
}

// CSVColumn is one more column of grades.csv: the hand-in's flags, say.
type CSVColumn struct {
	Name  string
	Value func(StudentEntry) string
}

// WriteCSV writes grades.csv for an LMS: student_id, name, score,
// max_score, percent, late (yes/no; empty without a deadline), incomplete
// (yes when points or a required check were not graded: grade that student
// again), not_graded_points (left out of max_score), then each scored
// check's points (empty for a check not graded), then the extra columns.
// Cells a spreadsheet would read as a formula are prefixed with an
// apostrophe.
func (c *Class) WriteCSV(w io.Writer, extra ...CSVColumn) error {
	var scored []string
	for _, cs := range c.Summary.Checks {
		if cs.MaxPoints > 0 {
			scored = append(scored, cs.ID)
		}
	}
	cw := csv.NewWriter(w)
	head := append([]string{"student_id", "name", "score", "max_score", "percent", "late", "incomplete", "not_graded_points"}, scored...)
	for _, x := range extra {
		head = append(head, safeCell(x.Name))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, e := range c.Students {
		late := ""
		if e.hasLateRe {
			late = "no"
			if e.Late {
				late = "yes"
			}
		}
		incomplete := "no"
		if e.Report.Incomplete {
			incomplete = "yes"
		}
		row := []string{safeCell(e.ID), safeCell(e.Name), num(e.Score), num(e.MaxScore), num(e.Percent), late, incomplete, num(e.Report.NotGradedPoints)}
		for _, id := range scored {
			ch, _ := findCheck(e.Report, id)
			if ch.NotGraded {
				row = append(row, "")
				continue
			}
			row = append(row, num(ch.Points))
		}
		for _, x := range extra {
			row = append(row, safeCell(x.Value(e)))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell keeps a spreadsheet from running a cell as a formula (CSV
// injection): a cell starting with = + - @ or a tab or carriage return gets
// a leading apostrophe.
func safeCell(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r', '|', '%':
		return "'" + s
	}
	return s
}

func num(f float64) string { return report.FormatPoints(f) }
