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
