package main

import (
	"bytes"
	"strings"
	"testing"
)

func runRoot(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if code := run(args, strings.NewReader(""), &out, &out); code != ExitOK {
		t.Fatalf("kubelab %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
	return out.String()
}

// TestLabStepsAndShowHelp: lab show --help names the flag's value (--step
// ID, not pflag's guess from a back-quoted command), and every id kubelab
// lab steps lists is one lab show --step accepts, with the step's title in
// the student's language.
func TestLabStepsAndShowHelp(t *testing.T) {
	help := runRoot(t, "lab", "show", "--help")
	if !strings.Contains(help, "--step ID ") {
		t.Errorf("lab show --help does not show --step ID:\n%s", help)
	}
	if !strings.Contains(help, "kubelab lab steps") {
		t.Errorf("lab show --help does not say where the ids are:\n%s", help)
	}
	en := strings.Split(strings.TrimSpace(runRoot(t, "lab", "steps", "kubernetes-basics", "--lang", "en")), "\n")
	id := strings.Split(strings.TrimSpace(runRoot(t, "lab", "steps", "kubernetes-basics", "--lang", "id")), "\n")
	if len(en) < 4 || len(en) != len(id) {
		t.Fatalf("lab steps: %d English lines, %d Indonesian:\n%s\n%s", len(en), len(id), strings.Join(en, "\n"), strings.Join(id, "\n"))
	}
	if !strings.Contains(en[0], "TITLE") || !strings.Contains(id[0], "JUDUL") {
		t.Errorf("headers: %q / %q", en[0], id[0])
	}
	differ := 0
	for i := 1; i < len(en); i++ {
		fe, fi := strings.Fields(en[i]), strings.Fields(id[i])
		if len(fe) < 4 || fe[1] != fi[1] {
			t.Fatalf("line %d: %q / %q", i, en[i], id[i])
		}
		if strings.Join(fe[3:], " ") != strings.Join(fi[3:], " ") {
			differ++
		}
		shown := runRoot(t, "lab", "show", "kubernetes-basics", "--step", fe[1], "--lang", "en")
		if !strings.Contains(shown, " "+fe[1]+"]") {
			t.Errorf("lab show --step %s shows:\n%.200s", fe[1], shown)
		}
	}
	if differ == 0 {
		t.Errorf("no title differs between English and Indonesian")
	}
}
