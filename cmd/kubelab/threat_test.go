package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestThreatRosterKubeconfigExec: a student hands in a kubeconfig whose
// credential plugin runs a command, and one whose token is a file of the
// grader's. kubelab grade refuses the roster (exit 2, naming the students)
// before loading either: the command never runs.
func TestThreatRosterKubeconfigExec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	write(t, dir, "evil.kubeconfig", `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: ["-c", "touch `+pwned+`"]
      interactiveMode: Never
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`)
	write(t, dir, "thief.kubeconfig", strings.Replace(kubeconfigFor("https://127.0.0.1:1"), "token: not-a-real-token", "tokenFile: /etc/hostname", 1))
	roster := write(t, dir, "class.csv", "student_id,name,image,kubeconfig\n1,Budi,budi/app,evil.kubeconfig\n2,Siti,siti/app,thief.kubeconfig\n3,Ani,ani/app,\n")
	res := kubelabCLI(t, "", "grade", "--roster", roster, "--out", filepath.Join(dir, "out"), "--kubeconfig", filepath.Join(dir, "nothing"))
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitUsage, res.stderr)
	}
	for _, want := range []string{"class.csv:2: student 1", "runs a program", "class.csv:3: student 2", "tokenFile", "--flatten"} {
		if !strings.Contains(res.stderr, want) && !(want == "tokenFile" && strings.Contains(res.stderr, "reads its token from the file")) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("the kubeconfig's command ran on the grader's machine")
	}
}
