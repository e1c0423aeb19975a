package labs_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

// ps51Breaks are what a student on Windows PowerShell 5.1 (the one Windows
// ships) cannot type as the sh line says: no && or ||, no nano, no ls -a,
// curl is Invoke-WebRequest, and double quotes inside a single-quoted
// argument are dropped on their way to a native program (kubectl's JSON).
var ps51Breaks = regexp.MustCompile(`&&|\|\||^nano |\bls -a\b|^curl |'\{"`)

type fence struct{ lang, text string }

func fences(md string) []fence {
	var out []fence
	var cur *fence
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			if cur == nil {
				cur = &fence{lang: strings.TrimPrefix(t, "```")}
			} else {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.text += t + "\n"
		}
	}
	return out
}

// TestLessonWorksInPowerShell: in both languages, every command a student
// types on their laptop that Windows PowerShell 5.1 would refuse or run
// differently is followed, before the next sh block, by a powershell block;
// and no powershell line uses what 5.1 lacks.
func TestLessonWorksInPowerShell(t *testing.T) {
	l, err := labs.Find("kubernetes-basics", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	given := 0
	for _, st := range l.Steps {
		for _, lang := range []string{"en", "id"} {
			var owed string
			for _, f := range fences(l.Markdown[st.ID][lang]) {
				switch {
				case f.lang == "powershell":
					given++
					owed = ""
					for _, line := range strings.Split(strings.TrimSpace(f.text), "\n") {
						if ps51Breaks.MatchString(line) {
							t.Errorf("%s/%s: PowerShell 5.1 cannot run %q", lang, st.ID, line)
						}
					}
				case labs.IsCommandLang(f.lang):
					if owed != "" {
						t.Errorf("%s/%s: no PowerShell line for %q", lang, st.ID, owed)
					}
					owed = ""
					for _, line := range strings.Split(strings.TrimSpace(f.text), "\n") {
						if ps51Breaks.MatchString(line) {
							owed = line
						}
					}
				}
			}
			if owed != "" {
				t.Errorf("%s/%s: no PowerShell line for %q", lang, st.ID, owed)
			}
		}
	}
	if given < 16 {
		t.Errorf("only %d PowerShell blocks in both lessons", given)
	}
}

// TestPowerShellPrompt: a powershell block is a command block whose prompt
// is "PS>" in the terminal and in the page's stylesheet, so a student sees
// which line is for Windows.
func TestPowerShellPrompt(t *testing.T) {
	var b bytes.Buffer
	if err := labs.RenderTerminal(&b, "```powershell\nmkdir hello-flask; cd hello-flask\n```\n", labs.TermOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	if want := "    PS> mkdir hello-flask; cd hello-flask\n"; b.String() != want {
		t.Errorf("terminal: got %q, want %q", b.String(), want)
	}
	h, _, err := labs.RenderHTML("```powershell\nnotepad app.py\n```\n", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(h), `<pre class="cmd"><code class="language-powershell"><span class="cmdline">notepad app.py</span>`) {
		t.Errorf("html: %s", h)
	}
	if !strings.Contains(string(labs.CSS()), `code.language-powershell .cmdline::before{content:"PS> "}`) {
		t.Error("the stylesheet draws no PS> prompt")
	}
}
