package handin

import (
	"strings"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/report"
)

// Flag names something about a submission the lecturer must look at.
type Flag string

// The flags, in the order the reports, the dashboard and grades.csv show
// them.
const (
	// BadSignature: the submission or its report is unsigned, or was changed
	// after it was signed.
	BadSignature Flag = "bad-signature"
	// ScoreMismatch: the report's statuses or scores do not follow from the
	// evidence it carries (or the image evidence does not match the image
	// the registry serves under the same digest).
	ScoreMismatch Flag = "score-mismatch"
	// ImageChanged: the registry now serves another digest under the tag
	// the student handed in.
	ImageChanged Flag = "image-changed"
	// ImageMissing: the tag the student handed in is gone from the registry.
	ImageMissing Flag = "image-missing"
	// SharedCluster: another student handed in the same cluster.
	SharedCluster Flag = "shared-cluster"
	// SharedObjects: another student's submission holds Kubernetes objects
	// with the same UIDs.
	SharedObjects Flag = "shared-objects"
	// SharedImage: another student handed in an image with the same
	// digest.
	SharedImage Flag = "shared-image"
	// OtherKey: the student id is bound to another key (the key history:
	// the first valid hand-in of an id registers its key) — someone else
	// may have handed in under this id.
	OtherKey Flag = "other-key"
	// Duplicate: the folder holds two or more hand-ins for this id that
	// are not all signed with one key; which one is the student's is for
	// the lecturer to say.
	Duplicate Flag = "duplicate"
	// SharedKey: another student signed with the same key.
	SharedKey Flag = "shared-key"
)

// Flags lists every flag in display order.
var Flags = []Flag{BadSignature, ScoreMismatch, ImageChanged, ImageMissing, SharedCluster, SharedObjects, SharedImage, OtherKey, Duplicate, SharedKey}

// Holding lists the flags that hold a grade: the student gets no grade in
// grades.csv or the LMS files until the lecturer accepts the flag
// (Options.Accept). Each says the grade may not be the student's own work
// as handed in: the file was changed, its report does not follow from its
// evidence, or it may come from someone else. The other flags are for the
// lecturer to look at and do not stop a grade.
var Holding = []Flag{BadSignature, ScoreMismatch, OtherKey, Duplicate}

// Holds reports whether the flag holds a grade.
func (f Flag) Holds() bool {
	for _, h := range Holding {
		if h == f {
			return true
		}
	}
	return false
}

// ParseFlag reads a flag's name.
func ParseFlag(s string) (Flag, bool) {
	for _, f := range Flags {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// The step that holds the hand-in results in a graded report: one result
// per flag, worth no points. Its status is fail when the flag is raised,
// pass when it is not, error when it could not be checked (the registry did
// not answer) and skipped when it does not apply.
const (
	StepID      = "handin"
	CheckPrefix = "flag."
)

// CheckID is the id of the flag's result in a graded report.
func (f Flag) CheckID() string { return CheckPrefix + string(f) }

// outcome is one flag's verdict on one submission.
type outcome struct {
	status   report.Status
	msg      checks.L
	evidence []report.Fact
}

func raised(msg checks.L, ev ...report.Fact) outcome {
	return outcome{status: report.Fail, msg: msg, evidence: ev}
}

func notRaised(msg checks.L, ev ...report.Fact) outcome {
	return outcome{status: report.Pass, msg: msg, evidence: ev}
}

func fact(name, value string) report.Fact { return report.Fact{Name: name, Value: value} }

// addFlags appends the hand-in step and one result per flag to r.
func addFlags(r *report.Report, lang string, got map[Flag]outcome) {
	r.Steps = append(r.Steps, report.Step{ID: StepID, Title: checks.T("Hand-in checks").In(lang)})
	for _, f := range Flags {
		o, ok := got[f]
		if !ok {
			o = outcome{status: report.Skipped, msg: checks.T("Not checked.")}
		}
		res := report.Result{ID: f.CheckID(), Step: StepID, Status: o.status, Message: o.msg.In(lang), Evidence: o.evidence}
		if o.status == report.Fail {
			res.Message = string(f) + ": " + res.Message
		}
		r.Checks = append(r.Checks, res)
	}
	report.Summarize(r)
}

// FlagsOf reads back the flags raised in a graded report, and those that
// could not be checked.
func FlagsOf(r *report.Report) (raisedFlags, unchecked []Flag) {
	for _, c := range r.Checks {
		f, ok := strings.CutPrefix(c.ID, CheckPrefix)
		if !ok || c.Step != StepID {
			continue
		}
		switch c.Status {
		case report.Fail:
			raisedFlags = append(raisedFlags, Flag(f))
		case report.Error:
			unchecked = append(unchecked, Flag(f))
		}
	}
	return raisedFlags, unchecked
}

// FlagsCell is grades.csv's flags column: the raised flags separated by
// ";", then "unchecked:<flag>" for each that could not be checked.
func FlagsCell(r *report.Report) string {
	up, unchecked := FlagsOf(r)
	var parts []string
	for _, f := range up {
		parts = append(parts, string(f))
	}
	for _, f := range unchecked {
		parts = append(parts, "unchecked:"+string(f))
	}
	return strings.Join(parts, ";")
}
