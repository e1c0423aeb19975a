package report

import (
	"bytes"
	"strings"
	"testing"
)

func nextReport(lang string) *Report {
	return &Report{
		Lang:  lang,
		Steps: []Step{{ID: "build", Title: "Build"}, {ID: "deploy", Title: "Deploy"}, {ID: "expose", Title: "Expose"}},
		Checks: []Result{
			{ID: "image.port", Step: "build", Status: Fail, Message: "Port 8080.", Hint: "`EXPOSE 5000`"},
			{ID: "deployment.exists", Step: "deploy", Status: Pass, Required: true},
			{ID: "deployment.replicas", Step: "deploy", Status: Fail, Required: true, Message: "1 replica.",
				Hint: "`kubectl scale deployment web --replicas=3`", Hints: []string{"`kubectl get deployments` shows READY 3/3."}},
			{ID: "service.type", Step: "expose", Status: Partial, Required: true, Message: "NodePort.", Hint: "`kubectl delete service web`"},
			{ID: "app.responds", Step: "expose", Status: Error, NotGraded: true, Message: "Could not reach."},
		},
	}
}

// The first required check to fix comes first, with its command; the
// optional one and the rest are counted; a check not graded is not the
// student's to fix.
func TestNextSteps(t *testing.T) {
	var ids []string
	for _, c := range NextSteps(nextReport("en")) {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, " "); got != "deployment.replicas service.type image.port" {
		t.Fatalf("NextSteps = %s", got)
	}
	if n := NextSteps(&Report{Checks: []Result{{ID: "a", Status: Pass}}}); len(n) != 0 {
		t.Fatalf("nothing to fix, got %v", n)
	}
}

func TestNextStepsShown(t *testing.T) {
	for _, tc := range []struct{ lang, head, more string }{
		{"en", "What to do next", "and 2 more"},
		{"id", "Yang perlu kamu lakukan sekarang", "dan 2 lagi"},
	} {
		r := nextReport(tc.lang)
		var txt, md, html bytes.Buffer
		if err := WriteText(&txt, r, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, r, MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&html, r, HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"text": txt.String(), "markdown": md.String(), "html": html.String()} {
			head := strings.Index(out, tc.head)
			first := strings.Index(out, "deployment.replicas")
			if head < 0 || first < head || !strings.Contains(out, "kubectl scale deployment web --replicas=3") || !strings.Contains(out, tc.more) {
				t.Errorf("%s/%s: no next step with its command:\n%s", tc.lang, name, out)
			}
			// It comes before the steps' details.
			if build := strings.Index(out, "Build"); head > build {
				t.Errorf("%s/%s: next steps after the first step", tc.lang, name)
			}
		}
		// The text report shows every hint, not only the first.
		if !strings.Contains(txt.String(), "shows READY 3/3") {
			t.Errorf("%s text lacks the second hint:\n%s", tc.lang, txt.String())
		}
	}
}
