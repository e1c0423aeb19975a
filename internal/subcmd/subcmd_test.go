package subcmd

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var got []string
	cmds := Commands{
		"up":   func(args []string) error { got = args; return nil },
		"down": func([]string) error { return errors.New("it would not stop") },
	}
	usage := func(w io.Writer) { io.WriteString(w, "usage: prog up|down\n") }
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, ExitUsage, "usage: prog up|down\n"},
		{[]string{"sideways"}, ExitUsage, "usage: prog up|down\n"},
		{[]string{"--help"}, ExitOK, "usage: prog up|down\n"},
		{[]string{"help"}, ExitOK, "usage: prog up|down\n"},
		{[]string{"up", "--dir", "x"}, ExitOK, ""},
		{[]string{"down"}, ExitFailed, "prog: it would not stop\n"},
	} {
		var stderr strings.Builder
		if code := Run("prog", tc.args, &stderr, usage, cmds); code != tc.code || stderr.String() != tc.stderr {
			t.Errorf("Run(%q) = %d, stderr %q; want %d, %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
		}
	}
	if strings.Join(got, " ") != "--dir x" {
		t.Errorf("up got args %q, want the ones after its name", got)
	}
}

func TestState(t *testing.T) {
	dir := t.TempDir()
	type state struct{ PID int }
	var st state
	if Running(dir) || !errors.Is(LoadState(dir, &st), fs.ErrNotExist) {
		t.Fatal("an empty directory has a state")
	}
	if err := SaveState(dir, state{PID: 42}); err != nil {
		t.Fatal(err)
	}
	if err := LoadState(dir, &st); err != nil || st.PID != 42 || !Running(dir) {
		t.Fatalf("LoadState = %+v, %v; Running %v", st, err, Running(dir))
	}
}
