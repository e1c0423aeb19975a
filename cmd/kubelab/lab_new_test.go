package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
)

// TestLabNewValidateSelftest: `kubelab lab new demo && kubelab lab validate
// demo && kubelab lab selftest demo` passes; the same lab made to ask for
// what its solution does not do fails its self-test with exit code 1.
func TestLabNewValidateSelftest(t *testing.T) {
	testenv.Real(t, "the simulated cluster")
	bins, err := simcluster.Binaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	t.Chdir(t.TempDir())
	if code := kubelabCLI(t, "", "lab", "new", "demo").code; code != ExitOK {
		t.Fatalf("lab new demo: exit %d", code)
	}
	for _, f := range []string{"lab.yaml", "en/01-push.md", "id/01-push.md", "en/04-open.md", "id/04-open.md"} {
		if _, err := os.Stat(filepath.Join("demo", f)); err != nil {
			t.Errorf("lab new wrote no %s", f)
		}
	}
	if code := kubelabCLI(t, "", "lab", "validate", "demo").code; code != ExitOK {
		t.Fatalf("lab validate demo: exit %d", code)
	}
	if code := kubelabCLI(t, "", "lab", "selftest", "demo", "--cluster-bins", bins, "-q").code; code != ExitOK {
		t.Fatalf("lab selftest demo: exit %d", code)
	}

	// Broken on purpose: the lab asks for a LoadBalancer, the solution
	// exposes a NodePort.
	spec, err := os.ReadFile("demo/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(spec), "params: {type: NodePort}", "params: {type: LoadBalancer}", 1)
	if broken == string(spec) {
		t.Fatal("fixture: the skeleton no longer asks for a NodePort")
	}
	if err := os.WriteFile("demo/lab.yaml", []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := kubelabCLI(t, "", "lab", "selftest", "--lab-dir", "demo", "--cluster-bins", bins, "-q", "--settle", "3s", "--broken-only").code; code != ExitNotPassed {
		t.Fatalf("selftest of a broken lab: exit %d, want %d", code, ExitNotPassed)
	}
}

// TestLabNewRefuses: a bad name, a directory already in use, a lab without
// a solution.
func TestLabNewRefuses(t *testing.T) {
	t.Chdir(t.TempDir())
	if code := kubelabCLI(t, "", "lab", "new", "Bad_Name").code; code != ExitUsage {
		t.Errorf("bad name: exit %d", code)
	}
	if err := os.MkdirAll("taken", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("taken/notes.txt", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := kubelabCLI(t, "", "lab", "new", "demo", "--dir", "taken").code; code != ExitUsage {
		t.Errorf("non-empty dir: exit %d", code)
	}
	if code := kubelabCLI(t, "", "lab", "new", "demo", "--dir", "taken", "--force").code; code != ExitOK {
		t.Errorf("--force: exit %d", code)
	}
	if b, _ := os.ReadFile("taken/notes.txt"); string(b) != "mine" {
		t.Error("--force removed a file that is not the skeleton's")
	}
	// Without any solution there is nothing to self-test: a usage error,
	// before any cluster starts.
	nosol := `id: nosol
version: 0.1.0
title: {en: No solution, id: Tanpa solusi}
languages: [en, id]
steps:
  - id: push
    title: {en: Push, id: Push}
    file: {en: en/01-push.md, id: id/01-push.md}
    checks:
      - {id: image.pushed, points: 1}
`
	if err := os.WriteFile("taken/lab.yaml", []byte(nosol), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := kubelabCLI(t, "", "lab", "validate", "taken").code; code != ExitOK {
		t.Fatalf("lab without solutions does not validate: exit %d", code)
	}
	if code := kubelabCLI(t, "", "lab", "selftest", "taken", "--cluster-bins", "/nonexistent").code; code != ExitUsage {
		t.Errorf("selftest of a lab without a solution: exit %d, want %d", code, ExitUsage)
	}
}
