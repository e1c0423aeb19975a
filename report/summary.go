package report

import "math"

// Summarize fills the report's totals from its checks: the score, the
// maximum, the counts per status, each step's points and whether the lab
// passed (every required check passed and at least PassPercent of the
// points). r.Steps must list the lab's steps.
func Summarize(r *Report) {
	r.Score, r.MaxScore = 0, 0
	r.Counts = map[Status]int{}
	for _, s := range Statuses {
		r.Counts[s] = 0
	}
	r.Passed = true
	byStep := map[string]*Step{}
	for i := range r.Steps {
		r.Steps[i].Points, r.Steps[i].MaxPoints = 0, 0
		byStep[r.Steps[i].ID] = &r.Steps[i]
	}
	for _, c := range r.Checks {
		r.Score += c.Points
		r.MaxScore += c.MaxPoints
		r.Counts[c.Status]++
		if c.Required && c.Status != Pass {
			r.Passed = false
		}
		if s := byStep[c.Step]; s != nil {
			s.Points += c.Points
			s.MaxPoints += c.MaxPoints
		}
	}
	r.Score = round2(r.Score)
	r.MaxScore = round2(r.MaxScore)
	if r.MaxScore > 0 && r.Percent() < r.PassPercent {
		r.Passed = false
	}
	for i := range r.Steps {
		r.Steps[i].Points = round2(r.Steps[i].Points)
		r.Steps[i].MaxPoints = round2(r.Steps[i].MaxPoints)
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

func round2(f float64) float64 { return math.Round(f*100) / 100 }
