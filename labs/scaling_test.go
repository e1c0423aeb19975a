package labs_test

import (
	"strings"
	"testing"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

// TestScalingLabContent: the second built-in lab teaches what it grades, in
// both languages, and every lesson starts with a # title.
func TestScalingLabContent(t *testing.T) {
	l, err := labs.Find("kubernetes-scaling", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	if l.MaxScore() != 100 {
		t.Errorf("points add up to %g, want 100", l.MaxScore())
	}
	for _, st := range l.Steps {
		for _, lang := range []string{"en", "id"} {
			md := l.Markdown[st.ID][lang]
			if !strings.HasPrefix(md, "# ") {
				t.Errorf("step %s (%s) does not start with a # title", st.ID, lang)
			}
			if st.Title[lang] == "" {
				t.Errorf("step %s has no %s title", st.ID, lang)
			}
			// Each command of the step's solution is taught in its lesson.
			if st.Solution != nil {
				for _, c := range st.Solution.Commands {
					f := strings.Fields(c)
					if !strings.Contains(md, strings.Join(f[:3], " ")) {
						t.Errorf("step %s (%s): the lesson never shows %q", st.ID, lang, strings.Join(f[:3], " "))
					}
				}
			}
		}
	}
	all := func(lang string) string {
		var b strings.Builder
		for _, st := range l.Steps {
			b.WriteString(l.Markdown[st.ID][lang])
		}
		return b.String()
	}
	must := []string{"kubectl scale deployment hello-flask --replicas=3", "kubectl set image deployment/hello-flask hello-flask=",
		"kubectl rollout status", "kubectl rollout history", "kubectl rollout undo", "--to-revision", "kubectl patch deployment hello-flask",
		"kubectl apply -f", "readinessProbe:", "livenessProbe:", "httpGet:", "maxSurge", "maxUnavailable", "revision-history",
		":v1", ":v2", "kubelab check kubernetes-scaling --image", "```yaml", "```text"}
	// Words that show the Indonesian lessons are written in Indonesian.
	indonesian := []string{" yang ", " dan ", " untuk ", " tidak ", "kamu", "Pod", "replika", "revisi"}
	for _, lang := range []string{"en", "id"} {
		text := all(lang)
		for _, m := range must {
			if !strings.Contains(text, m) {
				t.Errorf("%s lessons miss %q", lang, m)
			}
		}
		for _, w := range indonesian {
			if lang == "id" && !strings.Contains(text, w) {
				t.Errorf("id lessons lack %q; are they in Indonesian?", w)
			}
		}
	}
	if strings.Contains(all("en"), " yang ") {
		t.Error("English lessons contain Indonesian")
	}
}
