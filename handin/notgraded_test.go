package handin

import (
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// TestDiffChecksNotGraded: a report that marks a check not graded (out of
// the maximum) where the evidence says the student's own skip counts is a
// mismatch, though the status and points agree.
func TestDiffChecksNotGraded(t *testing.T) {
	judged := []report.Result{{ID: "pods.stable", Status: report.Skipped, MaxPoints: 3}}
	forged := []report.Result{{ID: "pods.stable", Status: report.Skipped, MaxPoints: 3, NotGraded: true}}
	why := diffChecks(forged, judged)
	if len(why) != 1 || !strings.Contains(why[0], "pods.stable: handed in not graded true, judged not graded false") {
		t.Errorf("diffChecks = %q", why)
	}
	if why := diffChecks(judged, judged); len(why) != 0 {
		t.Errorf("the same checks differ: %q", why)
	}
}
