package grade

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Student is one row of the roster.
type Student struct {
	ID    string
	Name  string
	Image string
	// Namespace is the roster's namespace column; for a student of the
	// shared cluster without one, the prefix and the sanitised id. Empty for
	// a student with a context or kubeconfig of their own and no namespace
	// column: the context's namespace is used.
	Namespace string
	// Context and Kubeconfig reach a cluster of the student's own; both
	// empty means the shared cluster.
	Context    string
	Kubeconfig string
	// Deployment names the deployment to grade instead of finding the one
	// that runs Image.
	Deployment string
	// Email, SISID and Section are the roster's gradebook columns: they
	// are carried into results.json for the LMS export (kubelab grade
	// export) and play no part in grading.
	Email, SISID, Section string
	// Lang is the language of the student's report and feedback ("en" or
	// "id"); empty means the run's --lang.
	Lang string
	// Extra are the roster's other columns, in header order: kept (an LMS
	// export may name one, e.g. a Canvas user id) and otherwise ignored.
	Extra []Column
	// Line is the roster line the student is on (1-based).
	Line int
}

// Column is one roster column that kubelab does not read itself: its
// header name (lowercase, spaces and hyphens as underscores) and the
// student's value.
type Column struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Langs are the report languages a roster's lang column may name.
var Langs = []string{"en", "id"}

// LangOr is the student's language, else def.
func (s Student) LangOr(def string) string {
	if s.Lang != "" {
		return s.Lang
	}
	return def
}

// Own reports whether the student is reached through a context or a
// kubeconfig of their own rather than a namespace of the shared cluster.
func (s Student) Own() bool { return s.Context != "" || s.Kubeconfig != "" }

// Problem is one thing wrong with the roster, at a line and column (both
// 1-based; the column counts characters, a byte order mark not included).
type Problem struct {
	Line, Col int
	Msg       string
}

func (p Problem) String() string { return fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg) }

// RosterError lists every problem found in a roster.
type RosterError struct {
	File     string
	Problems []Problem
}

func (e *RosterError) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "roster"
	}
	fmt.Fprintf(&b, "%s: %d problem(s):", name, len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s:%s", name, p)
	}
	return b.String()
}

// The roster's columns.
const (
	ColStudentID  = "student_id"
	ColName       = "name"
	ColImage      = "image"
	ColNamespace  = "namespace"
	ColContext    = "context"
	ColKubeconfig = "kubeconfig"
	ColDeployment = "deployment"
	ColEmail      = "email"
	ColSISID      = "sis_id"
	ColSection    = "section"
	ColLang       = "lang"
)

// RequiredColumns must be in every roster; OptionalColumns may be.
var (
	RequiredColumns = []string{ColStudentID, ColName, ColImage}
	OptionalColumns = []string{ColNamespace, ColContext, ColKubeconfig, ColDeployment, ColEmail, ColSISID, ColSection, ColLang}
)

// RosterOptions tune ParseRoster.
type RosterOptions struct {
	// File names the roster in problems; relative kubeconfig paths are
	// resolved against its directory.
	File string
	// Stat checks that a kubeconfig file exists; default os.Stat. Tests and
	// the fuzzer replace it.
	Stat func(path string) error
	// NamespacePrefix is put before the sanitised student id to make the
	// default namespace of a student of the shared cluster.
	NamespacePrefix string
}

// ParseRoster reads a roster: CSV with a header naming the columns
// (student_id, name and image required; namespace, context, kubeconfig,
// deployment, email, sis_id, section and lang optional; any other column is
// kept in Student.Extra and otherwise ignored), separated by commas or semicolons (whichever the
// header line uses), UTF-8 with or without a byte order mark, fields
// optionally quoted ("" is a quote inside a quoted field). It reports every
// problem at once, as a *RosterError, and returns no students then.
func ParseRoster(data []byte, opt RosterOptions) ([]Student, error) {
	if opt.Stat == nil {
		opt.Stat = func(p string) error { _, err := os.Stat(p); return err }
	}
	p := &rosterParser{opt: opt}
	students := p.parse(data)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool {
			a, b := p.problems[i], p.problems[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, &RosterError{File: opt.File, Problems: p.problems}
	}
	return students, nil
}

type rosterParser struct {
	opt      RosterOptions
	problems []Problem
}

func (p *rosterParser) add(line, col int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// field is one CSV field with where it starts.
type field struct {
	val       string
	line, col int
	quoted    bool
}

// record is one CSV record; end is the position just past its last field.
type record struct {
	fields         []field
	line           int
	endLine, endCo int
	// broken: a quote was never closed, so the fields are not the ones
	// meant; the record is reported once and not checked further.
	broken bool
}

func (p *rosterParser) parse(data []byte) []Student {
	recs, sep := p.records(data)
	if len(recs) == 0 {
		return nil
	}
	header := recs[0]
	if header.broken {
		return nil
	}
	cols, extraCols := p.header(header)
	if cols == nil {
		return nil
	}
	if len(recs) == 1 {
		p.add(header.line, 1, "the roster has a header but no students")
		return nil
	}
	r := &rows{p: p, header: header, cols: cols, extraCols: extraCols, sep: sep, seenID: map[string]int{}, seenNS: map[string]string{}}
	var students []Student
	for _, rec := range recs[1:] {
		if s, ok := r.student(rec); ok {
			students = append(students, s)
		}
	}
	return students
}

// records splits the roster's text into CSV records (the header first),
// after its byte order mark; nil, with the problem added, when the file is
// not UTF-8 or holds no record.
func (p *rosterParser) records(data []byte) ([]record, rune) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line, col := 1, 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				p.add(line, col, "the file is not UTF-8 text (save it as \"CSV UTF-8\")")
				break
			}
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			i += n
		}
		return nil, 0
	}
	text := string(data)
	var recs []record
	sep := detectSeparator(text)
	if strings.TrimSpace(text) != "" {
		recs = p.split(text, sep)
	}
	if len(recs) == 0 {
		p.add(1, 1, "the roster is empty: it needs a header line (%s) and one line per student", strings.Join(RequiredColumns, ","))
	}
	return recs, sep
}

// header maps each column kubelab reads to its index, reporting duplicate
// and missing columns. Other columns are not an error (a roster exported
// from an LMS or a spreadsheet carries many): they land in extra, by
// index; a second column of the same name, or one without a name, is
// ignored.
func (p *rosterParser) header(h record) (map[string]int, map[int]string) {
	known := map[string]bool{}
	for _, c := range append(append([]string{}, RequiredColumns...), OptionalColumns...) {
		known[c] = true
	}
	cols := map[string]int{}
	extra := map[int]string{}
	seenExtra := map[string]bool{}
	var unknown []string
	bad := false
	for i, f := range h.fields {
		name := normColumn(f.val)
		switch {
		case name == "":
		case !known[name]:
			unknown = append(unknown, strings.TrimSpace(f.val))
			if !seenExtra[name] {
				seenExtra[name] = true
				extra[i] = name
			}
		default:
			if _, dup := cols[name]; dup {
				p.add(f.line, f.col, "column %q appears twice", name)
				bad = true
				continue
			}
			cols[name] = i
		}
	}
	for _, c := range RequiredColumns {
		if _, ok := cols[c]; !ok {
			msg := fmt.Sprintf("the header lacks the required column %s", c)
			if len(unknown) > 0 {
				msg += fmt.Sprintf(" (it has %s, which kubelab does not read)", quoteList(unknown))
			}
			p.add(h.endLine, h.endCo, "%s", msg)
			bad = true
		}
	}
	if bad {
		return nil, nil
	}
	return cols, extra
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// normColumn reads a header name: case, spaces and hyphens do not matter
// ("Student ID" is student_id).
func normColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	return s
}
