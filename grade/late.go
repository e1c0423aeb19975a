package grade

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// LatePolicy says what being late costs.
type LatePolicy struct {
	// Kind is "none" (flagged only), "zero" (no points) or "percent"
	// (Percent of the score off per started day late).
	Kind    string
	Percent float64
}

func (p LatePolicy) String() string {
	if p.Kind == "percent" {
		return "percent:" + strconv.FormatFloat(p.Percent, 'f', -1, 64)
	}
	if p.Kind == "" {
		return "none"
	}
	return p.Kind
}

// ParseLatePolicy reads none, zero or percent:N (0 < N <= 100).
func ParseLatePolicy(s string) (LatePolicy, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "" || s == "none":
		return LatePolicy{Kind: "none"}, nil
	case s == "zero":
		return LatePolicy{Kind: "zero"}, nil
	case strings.HasPrefix(s, "percent:"):
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "percent:"), "%"), 64)
		if err != nil || n <= 0 || n > 100 || math.IsNaN(n) {
			return LatePolicy{}, fmt.Errorf("late policy %q: N in percent:N must be a number above 0 and at most 100", s)
		}
		return LatePolicy{Kind: "percent", Percent: n}, nil
	}
	return LatePolicy{}, fmt.Errorf("late policy %q: use none, zero or percent:N", s)
}

// ParseDeadline reads RFC 3339 ("2025-03-10T23:59:00+07:00") or
// "2006-01-02 15:04" in loc (the local time zone when nil).
func ParseDeadline(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if loc == nil {
		loc = time.Local
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("deadline %q: write it as RFC 3339 (2025-03-10T23:59:00+07:00) or \"2025-03-10 23:59\" (local time)", s)
}

// The result that records lateness in a student's report, in a step of its
// own after the lab's steps. It is worth no points: the report's score is
// the checks' score, and the penalty it states (evidence "penalty") is taken
// off in the class files (grades.csv, results.json, the dashboard).
const (
	LateCheckID = "submission.on-time"
	LateStepID  = "submission"
)

// workTimes lists what the student made and when: the image (its config's
// Created), the deployment and the service (their creationTimestamp).
func workTimes(s *snapshot.Snapshot) [][2]string {
	var out [][2]string
	add := func(what string, t time.Time) {
		if !t.IsZero() {
			out = append(out, [2]string{what, t.UTC().Format(time.RFC3339)})
		}
	}
	if s.Image != nil && s.Image.Config != nil {
		add("image_created", s.Image.Config.Created)
	}
	if s.Target != nil {
		if d := s.Target.Deployment; d != nil {
			add("deployment_created", d.CreationTimestamp.Time)
		}
		if sv := s.Target.Service; sv != nil {
			add("service_created", sv.CreationTimestamp.Time)
		}
	}
	return out
}

// Lateness is what the deadline makes of a student's work.
type Lateness struct {
	Late bool
	// Days late, counting every started day.
	Days int
	// Penalty in points (>= 0).
	Penalty float64
}

// applyLate judges the work's times against the deadline and adds the
// submission result (and its step) to r, then re-summarises it.
func applyLate(r *report.Report, s *snapshot.Snapshot, deadline time.Time, pol LatePolicy, lang string) {
	times := workTimes(s)
	var latest time.Time
	var lateWhat []string
	for _, wt := range times {
		t, _ := time.Parse(time.RFC3339, wt[1])
		if t.After(deadline) {
			lateWhat = append(lateWhat, strings.TrimSuffix(wt[0], "_created")+" "+wt[1])
			if t.After(latest) {
				latest = t
			}
		}
	}
	sort.Strings(lateWhat)
	report.Summarize(r)
	res := report.Result{ID: LateCheckID, Step: LateStepID}
	ev := []report.Fact{{Name: "deadline", Value: deadline.UTC().Format(time.RFC3339)}, {Name: "late_policy", Value: pol.String()}}
	for _, wt := range times {
		ev = append(ev, report.Fact{Name: wt[0], Value: wt[1]})
	}
	if latest.IsZero() {
		res.Status = report.Pass
		res.Message = i18n.Tr(lang, "Work done before the deadline (%s).", deadline.UTC().Format(time.RFC3339))
		ev = append(ev, report.Fact{Name: "late_days", Value: "0"}, report.Fact{Name: "penalty", Value: "0"})
	} else {
		days := int(math.Ceil(latest.Sub(deadline).Hours() / 24))
		if days < 1 {
			days = 1
		}
		var pen float64
		switch pol.Kind {
		case "zero":
			pen = r.Score
		case "percent":
			pen = math.Min(r.Score, r.Score*pol.Percent/100*float64(days))
		}
		pen = math.Round(pen*100) / 100
		res.Status = report.Fail
		res.Message = i18n.Tr(lang, "Work done after the deadline (%s): %s; %d day(s) late, penalty %s points (late policy %s): the grade is %s.",
			deadline.UTC().Format(time.RFC3339), strings.Join(lateWhat, ", "), days, num(pen), pol, num(round2(r.Score-pen)))
		ev = append(ev, report.Fact{Name: "late_days", Value: strconv.Itoa(days)}, report.Fact{Name: "penalty", Value: num(pen)})
	}
	res.Evidence = ev
	r.Steps = append(r.Steps, report.Step{ID: LateStepID, Title: i18n.Tr(lang, "Handed in on time")})
	r.Checks = append(r.Checks, res)
	report.Summarize(r)
}

// LatenessOf reads back the submission result of a report (zero when the
// report has none: no deadline was given).
func LatenessOf(r *report.Report) (Lateness, bool) {
	for _, c := range r.Checks {
		if c.ID != LateCheckID {
			continue
		}
		l := Lateness{Late: c.Status == report.Fail}
		for _, e := range c.Evidence {
			switch e.Name {
			case "late_days":
				l.Days, _ = strconv.Atoi(e.Value)
			case "penalty":
				l.Penalty, _ = strconv.ParseFloat(e.Value, 64)
			}
		}
		if l.Penalty > r.Score {
			l.Penalty = r.Score
		}
		if l.Penalty < 0 {
			l.Penalty = 0
		}
		return l, true
	}
	return Lateness{}, false
}
