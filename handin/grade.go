package handin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
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
	// subdirectories are ignored).
	Dir string
	// Out is the output directory: the same files as kubelab grade's.
	Out string
	// KeysFile is the key history (JSON: student id -> key id), read when it
	// exists; empty means none (key-changed is not checked). The history
	// with this lab's keys is written to Out/keys.json.
	KeysFile string
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
	// another lab); Superseded are older submissions of a student who handed
	// in again.
	Refused, Superseded []Refusal
	// ImageChecks counts the images looked up on the registry.
	ImageChecks int
	Took        time.Duration
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
	hist, err := ReadKeyHistory(opt.KeysFile)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	entries, err := readDir(opt, res)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return res, fmt.Errorf("%w in %s", ErrNoSubmissions, opt.Dir)
	}

	infos := lookUpImages(ctx, opt, entries)
	res.ImageChecks = len(infos)
	for _, e := range entries {
		e.flags = map[Flag]outcome{}
		judge(opt, e, infos)
	}
	crossCheck(entries)
	checkKeys(opt, entries, hist)

	var reports []*report.Report
	for _, e := range entries {
		r := finalReport(opt, e)
		if err := grade.WriteStudentReport(opt.Out, r, opt.StudentHTML); err != nil {
			return res, err
		}
		reports = append(reports, r)
		st := Student{ID: r.Student.ID, Name: r.Student.Name, File: e.file, Score: r.Score, MaxScore: r.MaxScore,
			Claimed: e.s.Report.Score, KeyID: e.keyID}
		st.Flags, st.Unchecked = FlagsOf(r)
		res.Students = append(res.Students, st)
	}
	class, err := grade.NewClass(reports)
	if err != nil {
		return res, err
	}
	class.HTMLReports = opt.StudentHTML != nil
	if err := class.WriteFiles(opt.Out, grade.CSVColumn{Name: "flags", Value: func(e grade.StudentEntry) string { return FlagsCell(e.Report) }}); err != nil {
		return res, err
	}
	for _, e := range entries {
		if e.keyID != "" {
			hist[e.s.Student.ID] = e.keyID
		}
	}
	if err := WriteKeyHistory(filepath.Join(opt.Out, KeysFile), hist); err != nil {
		return res, err
	}
	res.Class = class
	res.Took = time.Since(start)
	return res, nil
}

// readDir reads every submission file, refuses what cannot be graded and
// keeps each student's newest submission.
func readDir(opt Options, res *Result) ([]*entry, error) {
	des, err := os.ReadDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opt.Out, grade.StudentsDir), 0o755); err != nil {
		return nil, err
	}
	byID := map[string]*entry{}
	for _, de := range des {
		if de.IsDir() || !strings.EqualFold(filepath.Ext(de.Name()), ".json") {
			continue
		}
		path := filepath.Join(opt.Dir, de.Name())
		s, err := ReadFile(path)
		if err != nil {
			reason := err.Error()
			if p := path + ": "; strings.HasPrefix(reason, p) {
				reason = reason[len(p):]
			}
			res.Refused = append(res.Refused, Refusal{File: path, Reason: reason})
			continue
		}
		if s.Lab.ID != opt.Lab.ID || s.Lab.Version != opt.Lab.Version {
			res.Refused = append(res.Refused, Refusal{File: path,
				Reason: fmt.Sprintf("handed in for lab %s %s; this grading is for lab %s %s", s.Lab.ID, s.Lab.Version, opt.Lab.ID, opt.Lab.Version)})
			continue
		}
		e := &entry{file: path, s: s}
		prev := byID[s.Student.ID]
		switch {
		case prev == nil:
			byID[s.Student.ID] = e
		case s.CreatedAt.After(prev.s.CreatedAt):
			res.Superseded = append(res.Superseded, Refusal{File: prev.file, Reason: fmt.Sprintf("an older submission of %s; %s is newer", s.Student.ID, path)})
			byID[s.Student.ID] = e
		default:
			res.Superseded = append(res.Superseded, Refusal{File: path, Reason: fmt.Sprintf("an older submission of %s; %s is newer", s.Student.ID, prev.file)})
		}
	}
	var out []*entry
	for _, e := range byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].s.Student.ID < out[j].s.Student.ID })
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

// judge verifies one submission on its own: signature, report against
// evidence, image against the registry.
func judge(opt Options, e *entry, infos map[string]*snapshot.ImageInfo) {
	s := e.s

	// The signature.
	e.sigProblems = Verify(s)
	if len(e.sigProblems) == 0 {
		e.keyID = s.Key.KeyID
		e.flags[BadSignature] = notRaised(checks.T("Signed with key %s; nothing was changed after signing.", s.Key.KeyID),
			fact("key_id", s.Key.KeyID))
	} else {
		e.flags[BadSignature] = raised(checks.T("%s.", strings.Join(e.sigProblems, "; ")), fact("key_id", s.Key.KeyID))
	}

	// The report against its own evidence.
	claimed := s.Report
	carried := s.Evidence
	own := checks.Evaluate(opt.Lab, carried, claimed.Lang, nil, nil)
	why := diffChecks(claimed.Checks, own)
	sum := *claimed
	sum.Checks = append([]report.Result(nil), claimed.Checks...)
	sum.Steps = append([]report.Step(nil), claimed.Steps...)
	report.Summarize(&sum)
	if !same(sum.Score, claimed.Score) || !same(sum.MaxScore, claimed.MaxScore) || sum.Passed != claimed.Passed {
		why = append(why, fmt.Sprintf("the report says %s/%s (passed: %t) but its checks add up to %s/%s (passed: %t)",
			num(claimed.Score), num(claimed.MaxScore), claimed.Passed, num(sum.Score), num(sum.MaxScore), sum.Passed))
	}
	if claimed.Student != s.Student {
		why = append(why, fmt.Sprintf("the report names student %q, the submission %q", claimed.Student.ID, s.Student.ID))
	}
	if claimed.Lab.ID != s.Lab.ID || claimed.Lab.Version != s.Lab.Version {
		why = append(why, fmt.Sprintf("the report is for lab %s %s, the submission for %s %s", claimed.Lab.ID, claimed.Lab.Version, s.Lab.ID, s.Lab.Version))
	}
	if claimed.Fingerprint == nil || *claimed.Fingerprint != s.Fingerprint {
		why = append(why, "the report's fingerprint differs from the submission's")
	}
	digest := ""
	if carried.Image != nil {
		digest = carried.Image.Digest
	}
	if claimed.Target.Digest != digest || s.Fingerprint.ImageDigest != digest {
		why = append(why, fmt.Sprintf("the image digest in the report (%s) or fingerprint (%s) is not the evidence's (%s)", claimed.Target.Digest, s.Fingerprint.ImageDigest, digest))
	}

	// The image against the registry.
	e.final = carried
	ref := imageRef(s)
	info := infos[ref]
	switch {
	case carried.Image == nil:
		skip := outcome{status: report.Skipped, msg: checks.T("This lab checks no image.")}
		e.flags[ImageChanged], e.flags[ImageMissing] = skip, skip
	case ref == "" || info == nil:
		skip := outcome{status: report.Skipped, msg: checks.T("The submission names no valid image.")}
		e.flags[ImageChanged], e.flags[ImageMissing] = skip, skip
	case info.Err != nil || info.Private || info.Invalid != "":
		detail := "the registry refused without credentials (private image)"
		if info.Err != nil {
			detail = info.Err.Error()
		} else if info.Invalid != "" {
			detail = info.Invalid
		}
		un := outcome{status: report.Error, msg: checks.T("Could not check %s on the registry from this machine: %s. Grade again later.", ref, detail)}
		e.flags[ImageChanged], e.flags[ImageMissing] = un, un
	case info.NotFound && digest == "":
		ok := notRaised(checks.T("%s is not on the registry, and was not when the student handed in either.", ref))
		e.flags[ImageChanged], e.flags[ImageMissing] = ok, ok
	case info.NotFound:
		e.flags[ImageMissing] = raised(checks.T("%s is gone from the registry; the student's checks saw digest %s.", ref, digest),
			fact("image", ref), fact("handed_in_digest", digest))
		e.flags[ImageChanged] = outcome{status: report.Skipped, msg: checks.T("The image is missing.")}
	case info.Digest != digest:
		handed := digest
		if handed == "" {
			handed = "none (the image was not found)"
		}
		e.flags[ImageChanged] = raised(checks.T("The registry now serves %s under %s; the student's checks saw %s: the tag was pushed again after handing in.", info.Digest, ref, handed),
			fact("image", ref), fact("handed_in_digest", digest), fact("registry_digest", info.Digest))
		e.flags[ImageMissing] = notRaised(checks.T("%s is on the registry.", ref))
	default:
		ok := notRaised(checks.T("The registry serves %s with the digest the student's checks saw (%s).", ref, digest),
			fact("image", ref), fact("digest", digest))
		e.flags[ImageChanged], e.flags[ImageMissing] = ok, ok
		if info.FilesErr == nil {
			// Judge the image checks on what the registry serves under that
			// digest, not on what the submission says it holds.
			final := *carried
			final.Image = info
			e.final = &final
			mine := checks.Evaluate(opt.Lab, e.final, claimed.Lang, nil, nil)
			for _, d := range diffChecks(own, mine) {
				why = append(why, "the image evidence is not what the registry serves under the same digest: "+d)
			}
		}
	}
	if len(why) == 0 {
		e.flags[ScoreMismatch] = notRaised(checks.T("Judged again from its evidence, the report gives the same status and points for every check (score %s/%s).", num(claimed.Score), num(claimed.MaxScore)))
	} else {
		e.flags[ScoreMismatch] = raised(checks.T("The report does not follow from its evidence: %s.", strings.Join(why, "; ")),
			fact("handed_in_score", num(claimed.Score)))
	}
}

// diffChecks compares two lists of results by check id: status, points
// and maximum.
func diffChecks(want, got []report.Result) []string {
	byID := map[string]report.Result{}
	for _, r := range got {
		byID[r.ID] = r
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.ID] = true
		g, ok := byID[w.ID]
		if !ok {
			out = append(out, fmt.Sprintf("%s is in the report but not among the lab's checks", w.ID))
			continue
		}
		if w.Status != g.Status || !same(w.Points, g.Points) || !same(w.MaxPoints, g.MaxPoints) {
			out = append(out, fmt.Sprintf("%s: handed in %s %s/%s, judged %s %s/%s", w.ID, w.Status, num(w.Points), num(w.MaxPoints), g.Status, num(g.Points), num(g.MaxPoints)))
		} else if w.NotGraded != g.NotGraded {
			// A check marked not graded leaves the maximum: a forged mark
			// would raise the percentage.
			out = append(out, fmt.Sprintf("%s: handed in not graded %t, judged not graded %t", w.ID, w.NotGraded, g.NotGraded))
		}
	}
	for _, g := range got {
		if !seen[g.ID] {
			out = append(out, fmt.Sprintf("%s is missing from the report", g.ID))
		}
	}
	return out
}

func same(a, b float64) bool { return math.Abs(a-b) < 0.005 }

func num(f float64) string { return report.FormatPoints(f) }

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
