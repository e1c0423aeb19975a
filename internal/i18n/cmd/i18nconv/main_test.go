package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const oldStyle = `package checks

import "fmt"

func judge(name string, n int, what L) (L, L, L, L) {
	a := T("Pod %s restarted %d times.",
		"Pod %s restart %d kali.", name, n)
	b := L{En: fmt.Sprintf("Deployment %s runs %s.", name, what.En), Id: fmt.Sprintf("Deployment %s menjalankan %s.", name, what.Id)}
	c := fixHint([]string{"kubectl get pods"}, "It shows the pods.", "Perintah ini menampilkan pod.")
	d := T("Already new %s.", name)
	return a, b, c, d
}
`

const newStyle = `package checks

func judge(name string, n int, what L) (L, L, L, L) {
	a := T("Pod %s restarted %d times.", name, n)
	b := T("Deployment %s runs %s.", name, what)
	c := fixHint([]string{"kubectl get pods"}, T("It shows the pods."))
	d := T("Already new %s.", name)
	return a, b, c, d
}
`

// TestConvert converts a file of old-style calls, checks the Go and the
// catalog a translator reads, then runs again: nothing may change.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll("internal/i18n/messages", 0o755))
	must(os.MkdirAll("checks", 0o755))
	must(os.WriteFile(catalogPath, []byte("# Indonesian.\n"), 0o644))
	must(os.WriteFile("checks/x.go", []byte(oldStyle), 0o644))
	var out, errOut bytes.Buffer
	if code := run([]string{"./..."}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	got, _ := os.ReadFile(filepath.Join("checks", "x.go"))
	if string(got) != newStyle {
		t.Errorf("converted Go:\n%s\nwant:\n%s", got, newStyle)
	}
	cat, _ := os.ReadFile(catalogPath)
	for _, line := range []string{
		"# checks/x.go",
		`"Pod %s restarted %d times.": "Pod %s restart %d kali."`,
		`"Deployment %s runs %s.": "Deployment %s menjalankan %s."`,
		`"It shows the pods.": "Perintah ini menampilkan pod."`,
	} {
		if !strings.Contains(string(cat), line+"\n") && !strings.HasPrefix(string(cat), line) {
			t.Errorf("catalog lacks %s:\n%s", line, cat)
		}
	}
	if strings.Contains(string(cat), "Already new") {
		t.Errorf("a new-style call was taken for an old one:\n%s", cat)
	}
	out.Reset()
	if code := run([]string{"./..."}, &out, &errOut); code != 0 || out.Len() != 0 {
		t.Errorf("second run: exit %d, %q: not idempotent", code, out.String())
	}
	again, _ := os.ReadFile(catalogPath)
	if !bytes.Equal(again, cat) {
		t.Errorf("second run changed the catalog")
	}
}

// TestConvertConflict leaves a call whose English the catalog has with
// another Indonesian, and says where.
func TestConvertConflict(t *testing.T) {
	t.Chdir(t.TempDir())
	_ = os.MkdirAll("internal/i18n/messages", 0o755)
	_ = os.MkdirAll("checks", 0o755)
	_ = os.WriteFile(catalogPath, []byte(`"Done.": "Selesai."`+"\n"), 0o644)
	src := "package checks\n\nvar x = T(\"Done.\", \"Beres.\")\n"
	_ = os.WriteFile("checks/y.go", []byte(src), 0o644)
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "checks/y.go:3") {
		t.Errorf("exit %d, stderr %q; want 1 naming checks/y.go:3", code, errOut.String())
	}
	if got, _ := os.ReadFile("checks/y.go"); string(got) != src {
		t.Errorf("the conflicting call was rewritten:\n%s", got)
	}
}
