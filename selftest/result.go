package selftest

import (
	"fmt"
	"time"

	"github.com/kubelab/kubelab/report"
)

// What a self-test found: per step, what each check said against what it should say.

// Expect is what a check must do in a state.
type Expect string

// The expectations.
const (
	ExpectPass    Expect = "pass"
	ExpectNotPass Expect = "fail/skip"
	ExpectAny     Expect = "any"
)

// Row is one expectation about one check in one state, and what happened.
type Row struct {
	// Step is the step the check belongs to.
	Step   string
	Check  string
	Expect Expect
	// Why explains an ExpectAny: "informational" or "cluster only".
	Why string
	Got report.Status
	// Held: the check did what was expected.
	Held bool
	// NotTested marks a check that needs Docker, which a self-test never
	// runs; it counts as held.
	NotTested bool
	Message   string
}

// GotText is Got as shown in the table.
func (r Row) GotText() string {
	if r.NotTested {
		return "not tested (needs Docker)"
	}
	return string(r.Got)
}

// ExpectText is Expect as shown in the table.
func (r Row) ExpectText() string {
	if r.Why != "" {
		return string(r.Expect) + " (" + r.Why + ")"
	}
	return string(r.Expect)
}

// CommandRun is one solution command as it ran.
type CommandRun struct {
	// Line is the command as the lab writes it; Args as it ran (variables
	// replaced, "kubectl" first).
	Line     string
	Args     []string
	Output   string
	Err      string
	Duration time.Duration
}

// State is one state of the self-test: "nothing done", or after one step's
// solution.
type State struct {
	// Step is the step whose solution made this state ("" for nothing done).
	Step string
	// Files written, images pushed (ref@digest), commands run, the service
	// stood in for.
	Files    []string
	Pushed   []string
	Commands []CommandRun
	Served   string
	// Problems playing the solution (a command that failed).
	Problems []string
	Rows     []Row
	// Grades is how many times the state was graded before it settled.
	Grades   int
	Duration time.Duration
}

// Name is "nothing done" or "after step X".
func (s *State) Name() string {
	if s.Step == "" {
		return "nothing done"
	}
	return "after step " + s.Step
}

// Result is a whole self-test.
type Result struct {
	Lab, Version string
	Namespace    string
	// Image is the image the student hands in ($IMAGE).
	Image    string
	States   []*State
	Duration time.Duration
}

// OK reports whether every expectation held and the solution played
// without problems.
func (r *Result) OK() bool {
	for _, s := range r.States {
		if len(s.Problems) > 0 {
			return false
		}
		for _, row := range s.Rows {
			if !row.Held {
				return false
			}
		}
	}
	return true
}

// Broken lists every expectation that did not hold and every problem, each
// naming the state, the step and the check.
func (r *Result) Broken() []string {
	var out []string
	for _, s := range r.States {
		for _, p := range s.Problems {
			out = append(out, s.Name()+": "+p)
		}
		for _, row := range s.Rows {
			if !row.Held {
				out = append(out, fmt.Sprintf("%s: check %s of step %s: expected %s, got %s: %s",
					s.Name(), row.Check, row.Step, row.ExpectText(), row.GotText(), row.Message))
			}
		}
	}
	return out
}

// Counts returns how many expectations held, broke and were not tested.
func (r *Result) Counts() (held, broken, notTested int) {
	for _, s := range r.States {
		for _, row := range s.Rows {
			switch {
			case !row.Held:
				broken++
			case row.NotTested:
				notTested++
				held++
			default:
				held++
			}
		}
	}
	return
}
