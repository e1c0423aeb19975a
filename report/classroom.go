package report

import (
	"encoding/base64"
	"encoding/json"
	"io"
)

// GitHub Classroom's autograding reporter
// (classroom-resources/autograding-grading-reporter, commit 43c2d9f5) reads,
// for each runner named in its `runners` input, the environment variable
// <RUNNER>_RESULTS (the step id upper-cased, src/main.js line 10): base64
// of a JSON object {version, status, max_score, tests}, the `result`
// output of a grader step (autograding-command-grader's generateResult).
// It records sum(tests[].score) over max_score as the grade
// (src/notify-classroom.js lines 6-17) and fails the job when status is
// "fail" or "error" (src/main.js lines 19-23). Its console table instead
// multiplies the share of passed tests by max_score
// (src/helpers/test-helpers.js getTestScore, its issue #10): its
// "Autograding complete" notice line is the grade.

// ClassroomTest is one check as the reporter reads it.
type ClassroomTest struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Score   float64 `json:"score"`
	Message string  `json:"message"`
	// LineNo is 0: the reporter prints "- line N" after a test's name
	// unless it is 0 (src/console-results.js line 26).
	LineNo int `json:"line_no"`
}

// ClassroomResult is the reporter's runner result.
type ClassroomResult struct {
	Version  int             `json:"version"`
	Status   string          `json:"status"`
	MaxScore float64         `json:"max_score"`
	Tests    []ClassroomTest `json:"tests"`
}

// Classroom is the report as the reporter reads it: a test per check, pass
// when it passed, fail (with its points) when it failed, was partial or
// was skipped because of the student's own step, error with 0 when it was
// not graded. max_score is the report's maximum, which leaves out the
// points not graded, so the reporter's grade is the report's. The status
// is pass when the lab passed with every point graded, fail when it did
// not pass, error when points were not graded and the verdict may change.
func Classroom(r *Report) ClassroomResult {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	res := ClassroomResult{Version: 1, MaxScore: r.MaxScore, Tests: []ClassroomTest{}}
	switch {
	case r.Passed && !r.Incomplete:
		res.Status = "pass"
	case !r.Passed && !r.Undecided():
		res.Status = "fail"
	default:
		res.Status = "error"
	}
	for _, g := range groups(r, L.OtherChecks) {
		title := g.Step.Title
		if title == "" {
			title = g.Step.ID
		}
		for _, c := range g.Checks {
			t := ClassroomTest{Name: clean(title) + " › " + clean(c.ID), Score: c.Points, Message: clean(c.Message)}
			switch {
			case c.NotGraded || c.Status == Error:
				t.Status, t.Score = "error", 0
				t.Message = L.NotGraded + ": " + t.Message
			case c.Status == Pass:
				t.Status = "pass"
			default:
				t.Status = "fail"
			}
			res.Tests = append(res.Tests, t)
		}
	}
	return res
}

// ClassroomValue is the base64 the reporter decodes: the value of the
// grader step's `result` output and of <RUNNER>_RESULTS.
func ClassroomValue(r *Report) (string, error) {
	b, err := json.Marshal(Classroom(r))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// WriteClassroom writes ClassroomValue and a newline.
func WriteClassroom(w io.Writer, r *Report) error {
	v, err := ClassroomValue(r)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, v+"\n")
	return err
}
