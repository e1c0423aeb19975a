package report

import (
	"fmt"
	"strings"
)

// NextSteps are the checks a student should fix next, most urgent first:
// the required checks that failed or passed only in part, in step order,
// then the others. A check that could not be graded, or was skipped because
// a check it needs did not pass, is left out: its fix is not the student's,
// or is the needed check's.
func NextSteps(r *Report) []Result {
	var req, rest []Result
	for _, g := range groups(r, "") {
		for _, c := range g.Checks {
			if c.NotGraded || (c.Status != Fail && c.Status != Partial) {
				continue
			}
			if c.Required {
				req = append(req, c)
			} else {
				rest = append(rest, c)
			}
		}
	}
	return append(req, rest...)
}

// andMore names the next steps after the first ("and 2 more: a, b"), each
// id written by id (escaped for the format at hand); "" when there are
// none.
func andMore(L Labels, next []Result, id func(string) string) string {
	if len(next) < 2 {
		return ""
	}
	var ids []string
	for _, c := range next[1:] {
		ids = append(ids, id(c.ID))
	}
	return fmt.Sprintf(L.AndMore, len(next)-1, strings.Join(ids, ", "))
}

// nextHint is the hint to show beside a next step: the cause-specific one,
// else the lab's first.
func nextHint(c Result) string {
	if c.Hint != "" {
		return c.Hint
	}
	if len(c.Hints) > 0 {
		return c.Hints[0]
	}
	return ""
}

// allHints are a check's hints, the cause-specific one first, without
// repeats.
func allHints(c Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range append([]string{c.Hint}, c.Hints...) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
