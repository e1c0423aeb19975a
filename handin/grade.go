package handin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Options configure Grade.
type Options struct {
	Lab  *labs.Lab
	Lang string
	// Dir holds the submission files (*.json; other files and
	// subdirectories are ignored; a symbolic link is followed only to a
	// file inside Dir).
	Dir string
	// Out is the output directory: the same files as kubelab grade's.
	Out string
	// KeysFile is the key history (JSON: student id -> key id) that binds
	// each student id to the key of its first valid hand-in. It is read
	// when it exists and updated with this lab's new bindings; empty means
	// DefaultKeysFile(Out), beside the output directory, so that every lab
	// graded next to it shares one history. A copy is written to
	// Out/keys.json.
	KeysFile string
	// Accept lets the lecturer release held grades: a flag accepted for
	// everyone ("" key) or for one student id (nil or empty list: every
	// flag of that student). An accepted other-key binds the id to the new
	// key.
	Accept map[string][]Flag
	// MaxSize is the largest submission file read (default
	// DefaultMaxSize); a larger one is refused unread.
	MaxSize int64
	// ImageOpts reach the registry from the lecturer's machine. With a
	// CacheDir, an image already read is checked with one HEAD request.
	ImageOpts gather.ImageOptions
	// Jobs is how many images are checked at once (default 4).
	Jobs int
	// Deadline, when set, flags work done after it (from the evidence's
	// creation times); LatePolicy prices it, as in kubelab grade.
	Deadline   time.Time
	LatePolicy grade.LatePolicy
	// StudentHTML renders students/<id>.html (nil: none).
	StudentHTML func(io.Writer, *report.Report) error
}

// KeysFile is the key history Grade writes into the output directory.
const KeysFile = "keys.json"

// HistoryFile is the name of the default key history, in the directory
// that holds the output directory.
const HistoryFile = "kubelab-keys.json"

// DefaultKeysFile is the key history used when none is named: beside the
// output directory (out/../kubelab-keys.json), where the next lab's output
// directory finds it too.
func DefaultKeysFile(out string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(out)), HistoryFile)
}

// accepted reports whether the lecturer accepted flag f for student id.
func (o Options) accepted(id string, f Flag) bool {
	for _, key := range []string{"", id} {
		fl, ok := o.Accept[key]
		if !ok {
			continue
		}
		if key != "" && len(fl) == 0 {
			return true
		}
		for _, a := range fl {
			if a == f {
				return true
			}
		}
	}
	return false
}

// Refusal is a file that was not graded, and why.
type Refusal struct {
	File   string
	Reason string
}

func (r Refusal) String() string { return r.File + ": " + r.Reason }

// Student is what Grade made of one student's submission.
type Student struct {
	ID, Name, File string
	// Flags raised, and those that could not be checked.
	Flags, Unchecked []Flag
	// Held are the raised flags that hold the grade (see Holding) and that
	// the lecturer did not accept: no grade goes into grades.csv or the LMS
	// files while one is left.
	Held []Flag
	// Score is the grade: judged by the lecturer's kubelab from the
	// evidence. Claimed is the score in the handed-in report.
	Score, MaxScore, Claimed float64
	KeyID                    string
}

// Result is what Grade did.
type Result struct {
	Class    *grade.Class
	Students []Student
	// Refused files were not graded (unreadable, another schema version,
	// another lab, not a regular file, too large); Superseded are older
	// submissions of a student who handed in again with the same key.
	Refused, Superseded []Refusal
	// Duplicates are the student ids with two or more hand-ins not all
	// signed with one key: each is held (flag duplicate), every file named.
	Duplicates []DuplicateHandin
	// KeysFile is the key history that was read and updated.
	KeysFile string
	// Interrupted is set when the context ended (SIGINT, SIGTERM) before
	// every submission was graded: the students' reports written so far
	// stay, no class file or key history is written.
	Interrupted bool
	// ImageChecks counts the images looked up on the registry.
	ImageChecks int
	Took        time.Duration
}

// DuplicateHandin is one student id handed in more than once with different
// keys (or a signature that does not verify).
type DuplicateHandin struct {
	ID string
	// Files are the hand-ins, oldest first; Graded is the one whose report
	// was written (the newest), held.
	Files  []string
	Graded string
}

func (d DuplicateHandin) String() string {
	return fmt.Sprintf("%s handed in %d files with different keys or a bad signature: %s (all held: the lecturer decides which is the student's)", d.ID, len(d.Files), strings.Join(d.Files, ", "))
}

// ErrNoSubmissions: the directory held no submission that could be graded.
var ErrNoSubmissions = errors.New("no submission to grade")

type entry struct {
	file string
	s    *Submission

	sigProblems []string
	keyID       string
	flags       map[Flag]outcome
	final       *snapshot.Snapshot
	// dup is set when the student handed in other files with other keys.
	dup *DuplicateHandin
}

// Grade grades every submission file in opt.Dir: it verifies each
// signature, judges each submission's evidence again with checks.Evaluate
// and compares it with the report handed in, looks each image up on the
// registry, compares the submissions with each other (clusters, object
// UIDs, keys) and with the key history, and writes students/<id>.json and
// .html, index.html, grades.csv (with a flags column), results.json and
// keys.json into opt.Out. A file that cannot be read is refused (listed in
// the result); the others are graded.
func Grade(ctx context.Context, opt Options) (*Result, error) {
	start := time.Now()
	if opt.Lab == nil {
		return nil, errors.New("handin: no lab")
	}
	if opt.Lang == "" {
		opt.Lang = "en"
	}
	if opt.Jobs <= 0 {
		opt.Jobs = 4
	}
	if opt.MaxSize <= 0 {
		opt.MaxSize = DefaultMaxSize
	}
	if opt.KeysFile == "" {
		opt.KeysFile = DefaultKeysFile(opt.Out)
	}
	hist, err := ReadKeyHistory(opt.KeysFile)
	if err != nil {
		return nil, err
	}
	res := &Result{KeysFile: opt.KeysFile}
	entries, err := readDir(ctx, opt, res)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		res.Interrupted = true
		return res, nil
	}
	if len(entries) == 0 {
		return res, fmt.Errorf("%w in %s", ErrNoSubmissions, opt.Dir)
	}

	infos := lookUpImages(ctx, opt, entries)
	res.ImageChecks = len(infos)
	for _, e := range entries {
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		e.flags = map[Flag]outcome{}
		judge(opt, e, infos)
	}
	crossCheck(entries)
	checkKeys(opt, entries, hist)
	for _, e := range entries {
		checkDuplicate(e)
	}

	var reports []*report.Report
	held := map[string][]string{}
	for _, e := range entries {
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		r := finalReport(opt, e)
		if err := grade.WriteStudentReport(opt.Out, r, opt.StudentHTML); err != nil {
			return res, err
		}
		reports = append(reports, r)
		st := Student{ID: r.Student.ID, Name: r.Student.Name, File: e.file, Score: r.Score, MaxScore: r.MaxScore,
			Claimed: e.s.Report.Score, KeyID: e.keyID}
		st.Flags, st.Unchecked = FlagsOf(r)
		for _, f := range st.Flags {
			if f.Holds() && !opt.accepted(st.ID, f) {
				st.Held = append(st.Held, f)
				held[st.ID] = append(held[st.ID], string(f))
			}
		}
		res.Students = append(res.Students, st)
	}
	class, err := grade.NewClass(reports)
	if err != nil {
		return res, err
	}
	class.SetHeld(held)
	class.HTMLReports = opt.StudentHTML != nil
	if err := class.WriteFiles(opt.Out, grade.CSVColumn{Name: "flags", Value: func(e grade.StudentEntry) string { return FlagsCell(e.Report) }}); err != nil {
		return res, err
	}
	// A key is bound to its id by a valid hand-in, unless the hand-in is
	// held for whose it is (another key than the bound one, two files with
	// different keys): that binds nothing until the lecturer accepts it.
	for i, e := range entries {
		if e.keyID != "" && !slices.Contains(res.Students[i].Held, OtherKey) && !slices.Contains(res.Students[i].Held, Duplicate) {
			hist[e.s.Student.ID] = e.keyID
		}
	}
	if err := WriteKeyHistory(opt.KeysFile, hist); err != nil {
		return res, err
	}
	if err := WriteKeyHistory(filepath.Join(opt.Out, KeysFile), hist); err != nil {
		return res, err
	}
	res.Class = class
	res.Took = time.Since(start)
	return res, nil
}

// checkDuplicate raises duplicate on a student who handed in files with
// different keys.
func checkDuplicate(e *entry) {
	if e.dup == nil {
		e.flags[Duplicate] = notRaised(checks.T("One hand-in for this student id."))
		return
	}
	e.flags[Duplicate] = raised(checks.T("%d files were handed in for this id, not all signed with one key: %s. This report is of the newest, %s; which is the student's is for the lecturer to say.",
		len(e.dup.Files), strings.Join(e.dup.Files, ", "), e.dup.Graded), fact("files", strings.Join(e.dup.Files, ", ")))
}

// readDir reads every submission file, refuses what cannot be graded and
// keeps each student's newest submission: the others are superseded when
// all of the student's files verify with one key, else the student is a
// Duplicate (held). It stops when ctx ends.
func readDir(ctx context.Context, opt Options, res *Result) ([]*entry, error) {
	des, err := os.ReadDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opt.Out, grade.StudentsDir), 0o755); err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(opt.Dir)
	if err != nil {
		return nil, err
	}
	byID := map[string][]*entry{}
	refuse := func(path, reason string) {
		res.Refused = append(res.Refused, Refusal{File: path, Reason: reason})
	}
	for _, de := range des {
		if ctx.Err() != nil {
			return nil, nil
		}
		if de.IsDir() || !strings.EqualFold(filepath.Ext(de.Name()), ".json") {
			continue
		}
		path := filepath.Join(opt.Dir, de.Name())
		if de.Type()&os.ModeSymlink != 0 {
			// A link is followed only to a file inside the folder: one to
			// /dev/zero, a pipe or another student's folder is refused.
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				refuse(path, fmt.Sprintf("a symbolic link that cannot be followed: %v", err))
				continue
			}
			if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				refuse(path, fmt.Sprintf("a symbolic link to %s, outside the hand-in folder", target))
				continue
			}
		}
		s, err := readFile(path, opt.MaxSize)
		if err != nil {
			reason := err.Error()
			if p := path + ": "; strings.HasPrefix(reason, p) {
				reason = reason[len(p):]
			}
			refuse(path, reason)
			continue
		}
		if s.Lab.ID != opt.Lab.ID || s.Lab.Version != opt.Lab.Version {
			refuse(path, fmt.Sprintf("handed in for lab %s %s; this grading is for lab %s %s", s.Lab.ID, s.Lab.Version, opt.Lab.ID, opt.Lab.Version))
			continue
		}
		e := &entry{file: path, s: s, sigProblems: Verify(s)}
		byID[s.Student.ID] = append(byID[s.Student.ID], e)
	}
	var out []*entry
	for id, es := range byID {
		sort.SliceStable(es, func(i, j int) bool {
			if !es[i].s.CreatedAt.Equal(es[j].s.CreatedAt) {
				return es[i].s.CreatedAt.Before(es[j].s.CreatedAt)
			}
			return es[i].file < es[j].file
		})
		newest := es[len(es)-1]
		out = append(out, newest)
		if len(es) == 1 {
			continue
		}
		// Files all signed validly with one key come from one student
		// handing in again: the newest counts. Any other mix may be someone
		// else handing in under this id: hold, name every file.
		oneKey := true
		for _, e := range es {
			oneKey = oneKey && len(e.sigProblems) == 0 && e.s.Key.KeyID == newest.s.Key.KeyID
		}
		if oneKey {
			for _, e := range es[:len(es)-1] {
				res.Superseded = append(res.Superseded, Refusal{File: e.file, Reason: fmt.Sprintf("an older submission of %s (same key); %s is newer", id, newest.file)})
			}
			continue
		}
		d := &DuplicateHandin{ID: id, Graded: newest.file}
		for _, e := range es {
			d.Files = append(d.Files, e.file)
		}
		newest.dup = d
		res.Duplicates = append(res.Duplicates, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].s.Student.ID < out[j].s.Student.ID })
	sort.Slice(res.Duplicates, func(i, j int) bool { return res.Duplicates[i].ID < res.Duplicates[j].ID })
	return out, nil
}

// imageRef is the reference the student handed in, when the evidence has
// one the registry can be asked about.
func imageRef(s *Submission) string {
	img := s.Evidence.Image
	if img == nil || img.Invalid != "" {
		return ""
	}
	return img.Ref
}

// lookUpImages reads each distinct image from the registry, opt.Jobs at a
// time.
func lookUpImages(ctx context.Context, opt Options, entries []*entry) map[string]*snapshot.ImageInfo {
	imgOpt := opt.ImageOpts
	if len(imgOpt.Files) == 0 {
		imgOpt.Files = pipeline.Plan(pipeline.Job{Lab: opt.Lab}).ImageFiles
	}
	infos := map[string]*snapshot.ImageInfo{}
	for _, e := range entries {
		if ref := imageRef(e.s); ref != "" {
			infos[ref] = nil
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, opt.Jobs)
	for ref := range infos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			info := gather.GatherImage(ctx, ref, imgOpt)
			mu.Lock()
			infos[ref] = info
			mu.Unlock()
		}()
	}
	wg.Wait()
	return infos
}

// finalReport is the student's graded report: the lab's checks judged by
// this kubelab on the evidence (the image checks on what the registry
// serves, when it serves the digest the student saw), the lateness when a
// deadline is given, and one result per flag.
func finalReport(opt Options, e *entry) *report.Report {
	s, claimed := e.s, e.s.Report
	r := pipeline.Assemble(pipeline.Job{Lab: opt.Lab, Lang: opt.Lang, Student: s.Student}, e.final, nil, claimed.StartedAt, claimed.FinishedAt)
	r.Target = claimed.Target
	took := map[string]int64{}
	for _, c := range claimed.Checks {
		took[c.ID] = c.DurationMS
	}
	for i := range r.Checks {
		r.Checks[i].DurationMS = took[r.Checks[i].ID]
	}
	fp := s.Fingerprint
	if fp != (report.Fingerprint{}) {
		r.Fingerprint = &fp
	}
	if !opt.Deadline.IsZero() {
		grade.ApplyLate(r, e.final, opt.Deadline, opt.LatePolicy, opt.Lang)
	}
	addFlags(r, opt.Lang, e.flags)
	return r
}
