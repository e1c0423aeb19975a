package labs_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

// codeLines are the lines of every fenced block of a lesson, trimmed: what
// the terminal shows unwrapped, so it can be copied as is.
func codeLines(md string) map[string]bool {
	out := map[string]bool{}
	in := false
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			in = !in
			continue
		}
		if in {
			out[t] = true
		}
	}
	return out
}

// TestTerminalFitsWidth: every built-in lesson, in both languages, rendered
// at 80 columns has no line longer than 80 outside its code blocks, and
// shows each command after its prompt.
func TestTerminalFitsWidth(t *testing.T) {
	for _, name := range []string{"kubernetes-basics", "kubernetes-scaling"} {
		l, err := labs.Find(name, "", checks.CatalogForLabs())
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range l.Steps {
			for _, lang := range []string{"en", "id"} {
				md := l.Markdown[st.ID][lang]
				var b bytes.Buffer
				if err := labs.RenderTerminal(&b, md, labs.TermOptions{Width: 80}); err != nil {
					t.Fatal(err)
				}
				code := codeLines(md)
				for i, line := range strings.Split(b.String(), "\n") {
					body := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(line), "$ "), "PS> "))
					if code[body] {
						continue
					}
					if n := len([]rune(line)); n > 80 {
						t.Errorf("%s/%s/%s line %d is %d columns: %q", name, lang, st.ID, i+1, n, line)
					}

				}
			}
		}
	}
}

func TestTerminalCommandsAndOutput(t *testing.T) {
	md := "Run:\n\n```sh\nkubectl get pods\ndocker build \\\n  -t x .\n```\n\n```text\nNAME   READY\n```\n\nInline `kubectl get nodes` here.\n"
	var b bytes.Buffer
	if err := labs.RenderTerminal(&b, md, labs.TermOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"    $ kubectl get pods\n", "    $ docker build \\\n", "        -t x .\n", "    NAME   READY\n", "Inline `kubectl get nodes` here."} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "$ NAME") {
		t.Error("output got a prompt")
	}
	// Colour only when asked; a lesson's own escape codes never pass.
	b.Reset()
	_ = labs.RenderTerminal(&b, "Text \x1b[31mred\x1b[0m `code`\n", labs.TermOptions{Width: 80})
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("escape codes without colour: %q", b.String())
	}
	if labs.UseColor(true, "1") || labs.UseColor(false, "") || !labs.UseColor(true, "") {
		t.Error("UseColor: colour only on a terminal and never with NO_COLOR")
	}
}

func TestTerminalTableWraps(t *testing.T) {
	md := "| Pod | Komponen | Bagian dari |\n| --- | --- | --- |\n| `kube-controller-manager-minikube` | kube-controller-manager | control plane |\n| `coredns-…` | DNS klaster, agar Pod bisa menemukan Service lewat namanya dan seterusnya | add-on |\n"
	for _, w := range []int{80, 60, 40} {
		var b bytes.Buffer
		_ = labs.RenderTerminal(&b, md, labs.TermOptions{Width: w})
		for _, line := range strings.Split(b.String(), "\n") {
			if n := len([]rune(line)); n > w {
				t.Errorf("width %d: line of %d: %q", w, n, line)
			}
		}
		if !strings.Contains(b.String(), "menemukan") {
			t.Errorf("width %d: cell text lost:\n%s", w, b.String())
		}
	}
}

// TestHTMLCommandsAndOutput: in HTML a command block is <pre class="cmd">
// with one span per command (the stylesheet draws the "$"), output is
// <pre class="out">.
func TestHTMLCommandsAndOutput(t *testing.T) {
	h, _, err := labs.RenderHTML("```sh\nkubectl get pods <x>\n```\n\n```text\nNAME\n```\n", "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	for _, re := range []string{`<pre class="cmd"><code class="language-sh"><span class="cmdline">kubectl get pods &lt;x&gt;</span>`, `<pre class="out"><code class="language-text">NAME`} {
		if !regexp.MustCompile(regexp.QuoteMeta(re)).MatchString(s) {
			t.Errorf("missing %s in %s", re, s)
		}
	}
	if !strings.Contains(string(labs.CSS()), `.cmdline::before{content:"$ "`) {
		t.Error("the stylesheet draws no prompt")
	}
}

// TestTerminalInlineCodeMarked: piped or under NO_COLOR (no colour), inline
// code keeps its backquotes, so `lab show | less` still tells a command
// from the sentence; on a terminal with colour it is cyan instead, without
// them. Each built-in lesson's inline code survives a plain render marked.
func TestTerminalInlineCodeMarked(t *testing.T) {
	md := "Run `kubectl get pods`, then **`minikube tunnel`**.\n\n| a | b |\n| --- | --- |\n| `x` | y |\n"
	var plain, colour bytes.Buffer
	_ = labs.RenderTerminal(&plain, md, labs.TermOptions{Width: 80, Color: labs.UseColor(true, "1")})
	_ = labs.RenderTerminal(&colour, md, labs.TermOptions{Width: 80, Color: labs.UseColor(true, "")})
	for _, want := range []string{"Run `kubectl get pods`, then `minikube tunnel`.", "`x`"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("NO_COLOR: missing %q in:\n%s", want, plain.String())
		}
	}
	if strings.Contains(colour.String(), "`") || !strings.Contains(colour.String(), "\x1b[36mkubectl get pods\x1b[0m") {
		t.Errorf("colour: inline code not cyan or backquotes left:\n%q", colour.String())
	}
	l, err := labs.Find("kubernetes-basics", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "id"} {
		var b bytes.Buffer
		_ = labs.RenderTerminal(&b, l.Markdown["dockerfile"][lang], labs.TermOptions{Width: 80})
		for _, want := range []string{"`WORKDIR /app`", "`Dockerfile`"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s/dockerfile piped: %s lost its backquotes", lang, want)
			}
		}
	}
}
