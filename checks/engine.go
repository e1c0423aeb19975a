package checks

import (
	"fmt"
	"math"
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// CatalogForLabs describes the catalog for the lab loader: each check id with
// the parameters it accepts.
func CatalogForLabs() labs.Catalog {
	cat := labs.Catalog{}
	for id, c := range catalog {
		names := make([]string, len(c.Params))
		for i, p := range c.Params {
			names[i] = p.Name
		}
		cat[id] = names
	}
	return cat
}

// PlanFor says what must be gathered to judge the given checks: the union of
// their sources, and what each one's parameters change (its Gathers hook).
func PlanFor(refs []*labs.CheckRef) *Plan {
	plan := &Plan{Sources: map[Source]bool{}}
	for _, r := range refs {
		c, ok := catalog[r.ID]
		if !ok {
			continue
		}
		for _, s := range c.Sources {
			plan.Sources[s] = true
		}
		if c.Gathers != nil {
			c.Gathers(withDefaults(c, r.Params), plan)
		}
	}
	return plan
}

// Evaluate judges every check of the lab (or only those of the given steps)
// on the snapshot, in step order. Pure: no I/O and no clock. durations gives
// the time spent gathering each source; a check's duration is that of its
// sources (judging itself takes microseconds).
func Evaluate(lab *labs.Lab, s *Snapshot, lang string, steps map[string]bool, durations map[Source]time.Duration) []report.Result {
	var out []report.Result
	status := map[string]report.Status{}
	notGraded := map[string]bool{}
	hidden := map[string]report.Result{}
	shown := map[string]bool{}
	for _, st := range lab.Steps {
		for _, ref := range st.Checks {
			r := evaluateOne(ref, st, s, lang, status, notGraded, durations)
			status[ref.ID] = r.Status
			notGraded[ref.ID] = r.NotGraded
			if steps != nil && !steps[st.ID] {
				// Judged silently so that needs resolve.
				hidden[ref.ID] = r
				continue
			}
			// A check of another step that this one needs and that could not
			// run or did not pass is shown first: it is why this one was
			// skipped (and an environment error must reach the exit code).
			for _, n := range ref.Needs {
				if h, ok := hidden[n]; ok && !shown[n] && h.Status != report.Pass && h.Status != report.Partial {
					shown[n] = true
					out = append(out, h)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// evaluateOne judges one check. done holds the status of every check judged
// so far and notGraded which of them were not graded.
//
// Not graded is not failed: a check that could not be judged because of the
// grading machine earns nothing and is left out of the maximum
// (report.Summarize). That is every error; a skip for the environment (the
// container run not attempted: no Docker engine, --no-run, image runs off);
// and a skip because a needed check was itself not graded. A skip because a
// needed check failed (or was skipped for the student's own mistake) still
// counts as 0: the student's earlier step failed.
func evaluateOne(ref *labs.CheckRef, st *labs.Step, s *Snapshot, lang string, done map[string]report.Status, notGraded map[string]bool, durations map[Source]time.Duration) report.Result {
	r := report.Result{ID: ref.ID, Step: st.ID, Required: ref.Required}
	if !ref.Informational {
		r.MaxPoints = ref.Points
	}
	c, ok := catalog[ref.ID]
	if !ok {
		r.Status = report.Error
		r.NotGraded = true
		r.Message = fmt.Sprintf("unknown check %q", ref.ID)
		return r
	}
	var j Judgement
	// A needed check the student failed decides first: then this one
	// counts as 0 whatever else could not be graded.
	var waitsOn string
	for _, n := range ref.Needs {
		// A partial result (a deployment of another tag, a NodePort service)
		// is still the student's object: what needs it can be judged.
		st, seen := done[n]
		switch {
		case !seen || notGraded[n]:
			if waitsOn == "" {
				waitsOn = n
			}
		case st != report.Pass && st != report.Partial:
			j = skip(T("Skipped: it needs %s, which did not pass (%s).", n, st))
		}
		if j.Status != "" {
			break
		}
	}
	if j.Status == "" && waitsOn != "" {
		r.NotGraded = true
		j = skip(T("Not graded: it needs %s, which could not be graded (not your fault).", waitsOn))
	}
	if j.Status == "" {
		j = judgeSafely(c, s, withDefaults(c, ref.Params))
		if j.Status == report.Skipped && (j.Env || envSkip(c, s)) {
			r.NotGraded = true
			r.Excluded = !j.Env && s.Run != nil && s.Run.Excluded
		}
	}
	if j.Status == report.Error {
		r.NotGraded = true
	}
	r.Status = j.Status
	r.Settling = j.Settling // settling() sets it on a fail or partial only
	r.Message = j.Message.In(lang)
	r.Evidence = j.Evidence
	switch j.Status {
	case report.Pass:
		r.Points = r.MaxPoints
	case report.Partial:
		r.Points = math.Round(r.MaxPoints*j.Fraction*100) / 100
	}
	if j.Status == report.Fail || j.Status == report.Partial || j.Status == report.Error {
		r.Hints = ref.Hints[lang]
		if len(r.Hints) == 0 {
			r.Hints = ref.Hints["en"]
		}
		if h := j.Hint.In(lang); h != "" {
			r.Hint = h
		} else if len(r.Hints) > 0 {
			r.Hint = r.Hints[0]
		}
	}
	var d time.Duration
	for _, src := range c.Sources {
		d += durations[src]
	}
	r.DurationMS = d.Milliseconds()
	return r
}

// envSkip reports whether a check's skip comes from the grading machine, not
// from the student's work: the container run was not attempted (no Docker
// engine, --no-run, image runs off for batch grading). When the run was
// skipped because the image is not on the registry (the registry answered,
// without an environment error, that there is no such image), the skip is
// the student's.
func envSkip(c *Check, s *Snapshot) bool {
	reads := false
	for _, src := range c.Sources {
		reads = reads || src == SrcRun
	}
	if !reads || s.Run == nil || s.Run.SkipReason == "" {
		return false
	}
	im := s.Image
	return !(im != nil && im.Err == nil && im.Digest == "")
}

// judgeSafely turns a judge's panic into an error result: one bad check
// never ends a grading run.
func judgeSafely(c *Check, s *Snapshot, p Params) (j Judgement) {
	defer func() {
		if e := recover(); e != nil {
			j = Judgement{Status: report.Error, Message: T("Internal error in check %s: %v", c.ID, e)}
		}
	}()
	return c.Judge(s, p)
}

func withDefaults(c *Check, p map[string]any) Params {
	out := Params{}
	for _, d := range c.Params {
		out[d.Name] = d.Default
	}
	for k, v := range p {
		out[k] = v
	}
	return out
}
