package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/testenv"
)

// firstRun runs kubelab check the way a student does on a new machine: no
// kubeconfig anywhere, a registry nobody listens on, no Docker engine.
func firstRun(t *testing.T, lang string, args ...string) []string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", filepath.Join(home, "no-such-kubeconfig"))
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(home, "no-docker.sock"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, ".docker"))
	var out bytes.Buffer
	if code := run(append(args, "--lang", lang), strings.NewReader(""), &out, &out); code != ExitEnv {
		t.Errorf("kubelab %s: exit %d, want %d (environment)", strings.Join(args, " "), code, ExitEnv)
	}
	return strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
}

// TestFirstRunLeads: with no kubeconfig and no registry, kubelab check
// opens with what to fix: at most 30 lines in all, every fixing command in
// the first 15, one line per step; in Indonesian no English word outside
// commands and names. kubelab doctor prints the same block alone.
func TestFirstRunLeads(t *testing.T) {
	const image = "127.0.0.1:1/budi/hello-flask"
	out := map[string][]string{}
	for _, lang := range []string{"en", "id"} {
		lines := firstRun(t, lang, "check", "--image", image, "--no-run")
		out[lang] = lines
		text := strings.Join(lines, "\n")
		if len(lines) > 30 {
			t.Errorf("%s: %d lines, want at most 30:\n%s", lang, len(lines), text)
		}
		var fixes []string
		for i, l := range lines {
			if c, ok := strings.CutPrefix(strings.TrimSpace(l), "$ "); ok {
				fixes = append(fixes, c)
				if i >= 15 {
					t.Errorf("%s: fixing command %q on line %d, want within the first 15:\n%s", lang, c, i+1, text)
				}
			}
		}
		for _, want := range []string{"minikube start", "docker login 127.0.0.1:1"} {
			if !contains(fixes, want) {
				t.Errorf("%s: no fixing command %q (have %q):\n%s", lang, want, fixes, text)
			}
		}
		if strings.Contains(strings.ToLower(text), "not your fault") || strings.Contains(text, "bukan kesalahan") {
			t.Errorf("%s: a student's own machine is told it is not their fault:\n%s", lang, text)
		}
		steps := 0
		for _, l := range lines {
			if regexp.MustCompile(`^  \S \d+\. `).MatchString(l) {
				steps++
			}
		}
		if steps < 5 || steps > 10 {
			t.Errorf("%s: %d step lines:\n%s", lang, steps, text)
		}
		sub := firstRun(t, lang, "submit", "--image", image, "--no-run", "--student-id", "2201234", "--output-file", filepath.Join(t.TempDir(), "s.json"))
		if len(sub) > 30 || !contains(sub, lines[3]) || !strings.Contains(strings.Join(sub, "\n"), "$ minikube start") {
			t.Errorf("%s: submit does not open with the same block:\n%s", lang, strings.Join(sub, "\n"))
		}
		doc := firstRun(t, lang, "doctor", "--image", image)
		if len(doc) < 4 || doc[0] != lines[3] {
			t.Errorf("%s: doctor does not print check's block:\n%s", lang, strings.Join(doc, "\n"))
		}
	}
	// Words of the English output that may stand in Indonesian text: names
	// of tools, files and Kubernetes objects (content/GLOSSARY.md), and
	// "browser", the word the lesson's own step title uses.
	names := map[string]bool{"kubelab": true, "kubeconfig": true, "minikube": true, "docker": true, "registry": true,
		"browser": true, "image": true, "deployment": true, "service": true, "pod": true, "app": true, "flask": true,
		"hello": true, "budi": true, "kubernetes": true, "basics": true, "dockerfile": true, "hub": true,
		"loadbalancer": true, "kubectl": true, "doctor": true, "kubernetes-basics": true, "lab": true}
	enWords := map[string]bool{}
	word := regexp.MustCompile(`[A-Za-z][A-Za-z-]+`)
	for _, l := range out["en"] {
		for _, w := range word.FindAllString(l, -1) {
			enWords[strings.ToLower(w)] = true
		}
	}
	idOnly := map[string]bool{}
	for _, l := range out["id"] {
		if strings.HasPrefix(strings.TrimSpace(l), "$ ") {
			continue
		}
		l = strings.ReplaceAll(l, image+":latest", "")
		for _, w := range word.FindAllString(l, -1) {
			idOnly[strings.ToLower(w)] = true
		}
	}
	for w := range idOnly {
		if enWords[w] && !names[w] {
			t.Errorf("English word %q in the Indonesian output:\n%s", w, strings.Join(out["id"], "\n"))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDoctorClusterDown: a kubeconfig whose cluster does not answer (a
// stopped minikube) gets `minikube start`; when its current context is
// another one and a minikube context exists, the fix is switching to it.
func TestDoctorClusterDown(t *testing.T) {
	dead := testenv.DeadKubeconfig(t)
	b, err := os.ReadFile(dead)
	if err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(t.TempDir(), "stopped")
	if err := os.WriteFile(stopped, []byte(strings.ReplaceAll(string(b), "dead", "minikube")), 0o600); err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	withMinikube := strings.Replace(string(b), "contexts:\n", "contexts:\n- name: minikube\n  context: {cluster: dead, user: u}\n", 1)
	if err := os.WriteFile(wrong, []byte(withMinikube), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ kubeconfig, fix, en, id string }{
		{stopped, "minikube start", "minikube is not running", "minikube belum berjalan"},
		{wrong, "kubectl config use-context minikube", "context dead", "konteks dead"},
	} {
		for lang, want := range map[string]string{"en": c.en, "id": c.id} {
			lines := firstRun(t, lang, "doctor", "--kubeconfig", c.kubeconfig, "--image", "127.0.0.1:1/budi/hello-flask", "--timeout", "2s")
			text := strings.Join(lines, "\n")
			if !strings.Contains(text, "$ "+c.fix+"\n") || !strings.Contains(text, want) {
				t.Errorf("doctor --lang %s with %s: want %q and $ %s:\n%s", lang, filepath.Base(c.kubeconfig), want, c.fix, text)
			}
		}
	}
}
