package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteSummary writes what `kubelab report verify` prints: the verdict on
// the signature, then what the report claims (student, lab, score, when,
// which cluster and image), each marked unverified unless the signature
// holds. Text from the report is cleaned of control characters.
func (v Verification) WriteSummary(w io.Writer) {
	r := v.Report
	switch v.Status {
	case Valid:
		fmt.Fprintf(w, "valid: the report is intact and signed by key %s (ed25519)\n", CleanLine(v.KeyID))
	case Altered:
		fmt.Fprintf(w, "ALTERED: %s\n", v.Reason)
		fmt.Fprintf(w, "key id:      %s (as the file claims)\n", CleanLine(v.KeyID))
	case OtherKey:
		fmt.Fprintf(w, "NOT TRUSTED: %s\n", v.Reason)
	case Unsigned:
		fmt.Fprintf(w, "unsigned: the report has no signature; nothing shows it was not edited\n")
	}
	claims := ""
	if v.Status != Valid {
		claims = " (unverified)"
	}
	if s := strings.TrimSpace(r.Student.Name + " " + r.Student.ID); s != "" {
		fmt.Fprintf(w, "student:     %s%s\n", CleanLine(s), claims)
	}
	verdict := "not passed"
	switch {
	case r.Passed:
		verdict = "passed"
	case r.Undecided():
		verdict = "not graded yet (a required check could not be judged)"
	}
	score := FormatPoints(r.Score) + "/" + FormatPoints(r.MaxScore)
	if r.NotGradedPoints > 0 {
		score += " (" + FormatPoints(r.NotGradedPoints) + " points not graded)"
	}
	fmt.Fprintf(w, "lab:         %s %s, score %s, %s%s\n", CleanLine(r.Lab.ID), CleanLine(r.Lab.Version), score, verdict, claims)
	if !r.StartedAt.IsZero() {
		fmt.Fprintf(w, "graded:      %s%s\n", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), claims)
	}
	if r.Target.Server != "" {
		fmt.Fprintf(w, "cluster:     %s (context %s, namespace %s)%s\n", CleanLine(r.Target.Server), CleanLine(r.Target.Context), CleanLine(r.Target.Namespace), claims)
	}
	fp := r.Fingerprint
	if fp == nil {
		fp = &Fingerprint{}
	}
	if fp.Cluster != "" {
		fmt.Fprintf(w, "fingerprint: cluster %s%s\n", CleanLine(fp.Cluster), claims)
	} else {
		fmt.Fprintf(w, "fingerprint: cluster not recorded\n")
	}
	if r.Target.Image != "" || fp.ImageDigest != "" {
		fmt.Fprintf(w, "image:       %s @ %s%s\n", CleanLine(r.Target.Image), CleanLine(fp.ImageDigest), claims)
	}
}
