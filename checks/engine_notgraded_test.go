package checks

import (
	"testing"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// TestJudgeEnvSkipNotGraded: a judge that skips for the grading machine's
// reason (Judgement.Env) makes its check not graded, and what needs it too;
// a plain skip stays the student's and counts.
func TestJudgeEnvSkipNotGraded(t *testing.T) {
	for id, env := range map[string]bool{"test.env-skip": true, "test.plain-skip": false} {
		env := env
		register(&Check{ID: id, Judge: func(*Snapshot, Params) Judgement {
			j := skip(T("Cannot tell."))
			j.Env = env
			return j
		}})
		defer delete(catalog, id)
	}
	lab := &labs.Lab{ID: "t", Steps: []*labs.Step{{ID: "one", Checks: []*labs.CheckRef{
		{ID: "test.env-skip", Points: 4},
		{ID: "test.plain-skip", Points: 3},
		{ID: "test.plain-skip", Points: 2, Needs: []string{"test.env-skip"}},
	}}}}
	rs := Evaluate(lab, &Snapshot{}, "en", nil, nil)
	want := []bool{true, false, true}
	for i, r := range rs {
		if r.Status != report.Skipped || r.NotGraded != want[i] {
			t.Errorf("check %d (%s) = %s, not graded %v; want skipped, not graded %v: %s", i, r.ID, r.Status, r.NotGraded, want[i], r.Message)
		}
	}
}

// TestRunLeftOutByChoiceKeepsGradeComplete: image.runs skipped because the
// lecturer did not ask for image runs (batch grading without --run-images,
// or --no-run) is out of the grade, and the grade is complete, so it
// reaches the LMS by default; the same skip for a missing Docker engine
// leaves the grade incomplete (grading again could change it).
func TestRunLeftOutByChoiceKeepsGradeComplete(t *testing.T) {
	lab := &labs.Lab{ID: "t", Steps: []*labs.Step{{ID: "one", Checks: []*labs.CheckRef{
		{ID: "image.runs", Points: 5},
	}}}}
	for _, tc := range []struct {
		name           string
		run            *Snapshot
		wantIncomplete bool
	}{
		{"--run-images not given", &Snapshot{Run: &RunProbe{SkipReason: "image runs are off for batch grading", Excluded: true}}, false},
		{"no Docker engine", &Snapshot{Run: &RunProbe{SkipReason: "no Docker engine answers"}}, true},
	} {
		rs := Evaluate(lab, tc.run, "en", nil, nil)
		r := &report.Report{Checks: rs, Steps: []report.Step{{ID: "one"}}}
		report.Summarize(r)
		c := r.Checks[0]
		if !c.NotGraded || c.Excluded == tc.wantIncomplete || r.Incomplete != tc.wantIncomplete {
			t.Errorf("%s: not graded %v, excluded %v, report incomplete %v; want not graded, incomplete %v (%s)",
				tc.name, c.NotGraded, c.Excluded, r.Incomplete, tc.wantIncomplete, c.Message)
		}
		if r.MaxScore != 0 || r.NotGradedPoints != 5 {
			t.Errorf("%s: max %v, not graded points %v; want 0 and 5", tc.name, r.MaxScore, r.NotGradedPoints)
		}
	}
}
