package serve_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/serve"
)

// TestScorePageNextSteps: checking everything shows, above the score, the
// first required check to fix with its command, then the others counted.
func TestScorePageNextSteps(t *testing.T) {
	for _, tc := range []struct{ lang, head, more string }{
		{"en", "What to do next", "and 1 more"},
		{"id", "Yang perlu kamu lakukan sekarang", "dan 1 lagi"},
	} {
		s, err := serve.New(lab(t), tc.lang, func(ctx context.Context, steps map[string]bool, lang string) *report.Report {
			return &report.Report{Lang: lang, Checks: []report.Result{
				{ID: "image.port", Status: report.Fail, Message: "Port 8080.", Hint: "`EXPOSE 5000`"},
				{ID: "deployment.replicas", Status: report.Fail, Required: true, Message: "1 replica.", Hint: "`kubectl scale deployment web --replicas=3`"},
			}}
		})
		if err != nil {
			t.Fatal(err)
		}
		base := start(t, s)
		page := checkStep(t, s, base, "all", tc.lang)
		head, first, score := strings.Index(page, tc.head), strings.Index(page, "deployment.replicas"), strings.Index(page, `id="score"`)
		if head < 0 || first < head || score < first || !strings.Contains(page, "<code>kubectl scale deployment web --replicas=3</code>") || !strings.Contains(page, tc.more) {
			t.Errorf("%s: score page lacks the next step with its command:\n%s", tc.lang, page)
		}
	}
}
