package report

import "math"

// Summarize fills the report's totals from its checks: the score, the
// maximum, the points not graded, the counts per status, each step's points
// and whether the lab passed (every required check passed and at least
// PassPercent of the points). r.Steps must list the lab's steps.
//
// A check that was not graded (Result.NotGraded; every error is) earns
// nothing and is left out of the maximum, so the grading machine's
// problems cost the student nothing; but a lab whose required check was
// not graded is never passed, and the report is Incomplete.
func Summarize(r *Report) {
	r.Score, r.MaxScore, r.NotGradedPoints = 0, 0, 0
	r.Incomplete = false
	r.Counts = map[Status]int{}
	for _, s := range Statuses {
		r.Counts[s] = 0
	}
	r.Passed = true
	byStep := map[string]*Step{}
	for i := range r.Steps {
		r.Steps[i].Points, r.Steps[i].MaxPoints, r.Steps[i].NotGradedPoints = 0, 0, 0
		byStep[r.Steps[i].ID] = &r.Steps[i]
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		// An error is never the student's; a pass, partial or fail is a
		// verdict on the work. Only a skip can be either, and its judge
		// says which.
		switch c.Status {
		case Error:
			c.NotGraded = true
		case Pass, Partial, Fail:
			c.NotGraded, c.Excluded = false, false
		}
		r.Counts[c.Status]++
		if c.Required && c.Status != Pass {
			r.Passed = false
		}
		s := byStep[c.Step]
		if c.NotGraded {
			c.Points = 0
			r.NotGradedPoints += c.MaxPoints
			// A check left out by choice (Excluded) is out of this
			// grade: grading again would not change it.
			if (c.Required || c.MaxPoints > 0) && !c.Excluded {
				r.Incomplete = true
			}
			if s != nil {
				s.NotGradedPoints += c.MaxPoints
			}
			continue
		}
		r.Score += c.Points
		r.MaxScore += c.MaxPoints
		if s != nil {
			s.Points += c.Points
			s.MaxPoints += c.MaxPoints
		}
	}
	r.Score = round2(r.Score)
	r.MaxScore = round2(r.MaxScore)
	r.NotGradedPoints = round2(r.NotGradedPoints)
	if r.MaxScore > 0 && r.Percent() < r.PassPercent {
		r.Passed = false
	}
	if r.MaxScore == 0 && r.NotGradedPoints > 0 {
		// Nothing that counts was graded.
		r.Passed = false
	}
	for i := range r.Steps {
		r.Steps[i].Points = round2(r.Steps[i].Points)
		r.Steps[i].MaxPoints = round2(r.Steps[i].MaxPoints)
		r.Steps[i].NotGradedPoints = round2(r.Steps[i].NotGradedPoints)
	}
}

// Percent is the score as a percentage of the maximum (0 when there is none).
func (r *Report) Percent() float64 {
	if r.MaxScore == 0 {
		return 0
	}
	return round2(100 * r.Score / r.MaxScore)
}

// EnvErrors counts checks that could not run because of the environment.
func (r *Report) EnvErrors() int { return r.Counts[Error] }

// NotGradedChecks returns the checks that were not graded, in report order.
func (r *Report) NotGradedChecks() []Result {
	var out []Result
	for _, c := range r.Checks {
		if c.NotGraded {
			out = append(out, c)
		}
	}
	return out
}

// Undecided reports whether the lab's verdict waits on checks that were not
// graded: it did not pass, a required check was not graded, and nothing
// graded already decides it (no required check failed, and the pass mark
// is still in reach if the points not graded were all earned).
func (r *Report) Undecided() bool {
	if r.Passed {
		return false
	}
	waiting := false
	for _, c := range r.Checks {
		switch {
		case !c.Required:
		case c.NotGraded:
			waiting = true
		case c.Status != Pass:
			return false
		}
	}
	if !waiting {
		return false
	}
	if total := r.MaxScore + r.NotGradedPoints; total > 0 && round2(100*(r.Score+r.NotGradedPoints)/total) < r.PassPercent {
		return false
	}
	return true
}

// NeedsRegrade reports whether grading the student again may change the
// result: a check could not run, points were not graded, or a check caught
// the cluster mid-change (Settling).
func (r *Report) NeedsRegrade() bool { return r.Counts[Error] > 0 || r.Incomplete || r.Settling() }

// Settling reports whether a check of r caught the cluster mid-change.
func (r *Report) Settling() bool { return len(r.SettlingChecks()) > 0 }

// SettlingChecks are the ids of the checks that caught the cluster
// mid-change, in report order.
func (r *Report) SettlingChecks() []string {
	var ids []string
	for i := range r.Checks {
		if r.Checks[i].Settling {
			ids = append(ids, r.Checks[i].ID)
		}
	}
	return ids
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
