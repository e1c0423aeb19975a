package report

import (
	"strings"
	"unicode"
)

// sanitized returns a copy of r in which every text has lost the
// characters no report should carry: control characters other than
// newline and tab (terminal escapes, NUL) and the bidirectional embedding,
// override and isolate marks that can make a text read differently from
// what it holds. The renderers work on this copy; escaping for each format
// comes on top.
func sanitized(r *Report) *Report {
	c := *r
	s := CleanText
	c.Tool = Tool{Name: s(r.Tool.Name), Version: s(r.Tool.Version)}
	c.Lab = Lab{ID: s(r.Lab.ID), Version: s(r.Lab.Version), Title: s(r.Lab.Title)}
	c.Lang = s(r.Lang)
	c.Student = Student{ID: s(r.Student.ID), Name: s(r.Student.Name)}
	t := r.Target
	c.Target = Target{Image: s(t.Image), Digest: s(t.Digest), Server: s(t.Server), Context: s(t.Context),
		Namespace: s(t.Namespace), Deployment: s(t.Deployment), Service: s(t.Service)}
	c.Steps = make([]Step, len(r.Steps))
	for i, st := range r.Steps {
		st.ID, st.Title = s(st.ID), s(st.Title)
		c.Steps[i] = st
	}
	c.Checks = make([]Result, len(r.Checks))
	for i, ch := range r.Checks {
		ch.ID, ch.Step, ch.Status = s(ch.ID), s(ch.Step), Status(s(string(ch.Status)))
		ch.Message, ch.Hint = s(ch.Message), s(ch.Hint)
		if ch.Hints != nil {
			hs := make([]string, len(ch.Hints))
			for j, h := range ch.Hints {
				hs[j] = s(h)
			}
			ch.Hints = hs
		}
		if ch.Evidence != nil {
			ev := make([]Fact, len(ch.Evidence))
			for j, e := range ch.Evidence {
				ev[j] = Fact{Name: s(e.Name), Value: s(e.Value)}
			}
			ch.Evidence = ev
		}
		c.Checks[i] = ch
	}
	if r.Fingerprint != nil {
		c.Fingerprint = &Fingerprint{Cluster: s(r.Fingerprint.Cluster), ImageDigest: s(r.Fingerprint.ImageDigest)}
	}
	if r.Signature != nil {
		sig := *r.Signature
		sig.Algorithm, sig.KeyID, sig.PublicKey, sig.Value = s(sig.Algorithm), s(sig.KeyID), s(sig.PublicKey), s(sig.Value)
		c.Signature = &sig
	}
	return &c
}

// CleanText drops control characters but newline and tab, and the
// bidirectional embedding, override and isolate marks, from text that came
// from outside (a student's cluster, image, roster or report file). It is
// the one sanitizer of kubelab: reports use it on every text, CleanLine on
// top of it for a terminal line.
func CleanText(s string) string {
	if strings.IndexFunc(s, unwanted) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unwanted(r) {
			return -1
		}
		return r
	}, s)
}

// CleanLine is CleanText for one terminal line: newlines and tabs become
// spaces, so a text cannot start a line of its own or repaint the
// terminal.
func CleanLine(s string) string { return CleanText(oneLine.Replace(s)) }

var oneLine = strings.NewReplacer("\n", " ", "\t", " ")

func unwanted(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || isBidi(r)
}

// isBidi reports the bidirectional embedding, override and isolate
// characters (U+202A..U+202E, U+2066..U+2069); the plain direction marks
// U+200E and U+200F are harmless and kept.
func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
