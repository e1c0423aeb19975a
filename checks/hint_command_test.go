package checks

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// hintCommand matches what a student can type or write to fix a check: a
// backquoted kubectl, docker, minikube or kubelab command, a Dockerfile
// instruction, or an edit of app.py.
var hintCommand = regexp.MustCompile("`(kubectl|docker|minikube|kubelab) [^`]+`" +
	"|`(FROM|CMD|ENTRYPOINT|WORKDIR|EXPOSE|COPY|RUN|ENV|USER) [^`]+`" +
	"|`app\\.run\\([^`]*\\)`")

// TestHintHasCommand walks every outcome of every check (the fixtures cover
// them all, TestCheckFixtures makes sure) and requires that a fail, partial
// or error result tells the student, in both languages, the command or
// Dockerfile line that fixes it.
func TestHintHasCommand(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		id := filepath.Base(filepath.Dir(file))
		name := id + "/" + strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, ok := Lookup(id)
			if !ok {
				t.Skip("not a check of the catalog")
			}
			fx, s := loadFixture(t, file)
			if fx.Want != report.Fail && fx.Want != report.Partial && fx.Want != report.Error {
				return
			}
			params := map[string]any{}
			for k, v := range fx.Params {
				params[k] = v
			}
			j := judgeSafely(c, s, withDefaults(c, params))
			for _, h := range []struct{ lang, text string }{{"English", j.Hint.In("en")}, {"Indonesian", j.Hint.In("id")}} {
				if !hintCommand.MatchString(h.text) {
					t.Errorf("%s %s: hint has no fixing command: %q (message %q)", h.lang, j.Status, h.text, j.Message.In("en"))
				}
			}
		})
	}
}
