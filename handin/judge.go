// judge.go holds the judging of one submission on its own: its signature,
// its report against its evidence, its image against the registry, and the
// comparison of two lists of check results.

package handin

import (
	"fmt"
	"math"
	"strings"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// judge verifies one submission on its own: signature, report against
// evidence, image against the registry.
func judge(opt Options, e *entry, infos map[string]*snapshot.ImageInfo) {
	s := e.s

	// The signature (verified when the file was read).
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
