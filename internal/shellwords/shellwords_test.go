package shellwords

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/testenv"
)

var vars = map[string]string{"IMAGE": "127.0.0.1:5000/student/app:v1", "NS": "lab 1", "EMPTY": ""}

func lookup(name string) (string, error) {
	if v, ok := vars[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("unknown variable $%s", name)
}

// splitCases are read the same by /bin/sh (see TestSplitAgreesWithSh).
var splitCases = []struct {
	in   string
	want []string
}{
	{"kubectl get pods", []string{"kubectl", "get", "pods"}},
	{"  a \t b  ", []string{"a", "b"}},
	{"", nil},
	{`a\ b c\\d \'e`, []string{"a b", `c\d`, "'e"}},
	{`'a b' 'it'\''s' ''`, []string{"a b", "it's", ""}},
	{`'$IMAGE' '\n'`, []string{"$IMAGE", `\n`}},
	{`"a b" "x\"y" "\$IMAGE" "c\\d" "\q"`, []string{"a b", `x"y`, "$IMAGE", `c\d`, `\q`}},
	{`--image=$IMAGE`, []string{"--image=127.0.0.1:5000/student/app:v1"}},
	{`"${IMAGE}x" $NS`, []string{"127.0.0.1:5000/student/app:v1x", "lab 1"}},
	{`a$ b$ "$"`, []string{"a$", "b$", "$"}},
	{`a#b "#" \#`, []string{"a#b", "#", "#"}},
	{"a\\\nb c", []string{"ab", "c"}},
	{"\"a\\\nb\"", []string{"ab"}},
	{`x"y"'z'w`, []string{"xyzw"}},
	{"ünï cödé", []string{"ünï", "cödé"}},
}

func TestSplit(t *testing.T) {
	for _, tc := range splitCases {
		got, err := Split(tc.in, Options{Lookup: lookup})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestSplitAgreesWithSh: the cases above are what a real POSIX shell reads
// (set -f: no globbing; the values used hold no blanks where unquoted,
// except $NS, quoted in the table's expectations as the shell splits it).
func TestSplitAgreesWithSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		testenv.Missing(t, "no sh: %v", err)
	}
	for _, tc := range splitCases {
		if strings.Contains(tc.in, "$NS") {
			continue // the shell would split "lab 1"; Split never splits a value
		}
		cmd := exec.Command(sh, "-c", "set -f; set -- "+tc.in+"\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done")
		cmd.Env = []string{"IMAGE=" + vars["IMAGE"], "EMPTY="}
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("sh could not read %q: %v", tc.in, err)
			continue
		}
		var got []string
		for _, w := range bytes.SplitAfter(out, []byte{0}) {
			if len(w) > 0 {
				got = append(got, string(w[:len(w)-1]))
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sh reads %q as %q; the table says %q", tc.in, got, tc.want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	cases := []struct {
		in   string
		kind ErrKind
		text string
	}{
		{"a | b", ErrOperator, "|"},
		{"a && b", ErrOperator, "&&"},
		{"a;b", ErrOperator, ";"},
		{"a 2>&1", ErrOperator, ">&"},
		{"a\nb", ErrOperator, "\n"},
		{"(a)", ErrOperator, "("},
		{"a # c", ErrComment, ""},
		{"a 'b", ErrSingleQuote, ""},
		{`a "b`, ErrDoubleQuote, ""},
		{"a ${IMAGE", ErrBrace, ""},
		{"a $(id)", ErrSubstitution, "$(...)"},
		{`a "$(id)"`, ErrSubstitution, "$(...)"},
		{"a `id`", ErrSubstitution, "`...`"},
		{"a $HOME", ErrLookup, "HOME"},
		{"a | 'b", ErrOperator, "|"}, // the first problem from the left
	}
	for _, tc := range cases {
		_, err := Split(tc.in, Options{Lookup: lookup})
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Text != tc.text {
			t.Errorf("Split(%q): error %#v, want kind %d text %q", tc.in, err, tc.kind, tc.text)
		}
	}
	_, err := Split("a $HOME", Options{Lookup: lookup})
	if err == nil || err.Error() != "unknown variable $HOME" {
		t.Errorf("Lookup's error not passed on: %v", err)
	}
}

func TestNoLookupKeepsExpansions(t *testing.T) {
	got, err := Split(`a$HOME "${X:-y}" $(echo "(x)") `+"`id`"+` $$`, Options{})
	want := []string{"a$HOME", "${X:-y}", `$(echo "(x)")`, "`id`", "$$"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestLexPartial(t *testing.T) {
	toks, err := Lex(`python "app.py`, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrDoubleQuote || e.Offset != 7 {
		t.Fatalf("error %v", err)
	}
	if len(toks) != 2 || toks[1].Text != "app.py" {
		t.Errorf("tokens %+v", toks)
	}
}

func TestCommands(t *testing.T) {
	cases := []struct {
		in   string
		want [][]string
	}{
		{"python app.py", [][]string{{"python", "app.py"}}},
		{"cd /app && exec python app.py", [][]string{{"cd", "/app"}, {"exec", "python", "app.py"}}},
		{"pip install x; python3 -u app.py\n", [][]string{{"pip", "install", "x"}, {"python3", "-u", "app.py"}}},
		{"python app.py | tee log || true &", [][]string{{"python", "app.py"}, {"tee", "log"}, {"true"}}},
		{"(cd /app; python app.py)", [][]string{{"cd", "/app"}, {"python", "app.py"}}},
		{"python app.py > /tmp/log 2>&1 </dev/null", [][]string{{"python", "app.py"}}},
		{"python app.py 2 > x", [][]string{{"python", "app.py", "2"}}},
		{"> x 5>y python app.py", [][]string{{"python", "app.py"}}},
		{"python app.py # start it\necho done", [][]string{{"python", "app.py"}, {"echo", "done"}}},
		{`gunicorn -b "0.0.0.0:$PORT" app:app`, [][]string{{"gunicorn", "-b", "0.0.0.0:$PORT", "app:app"}}},
		{`python "app.py`, [][]string{{"python", "app.py"}}},
		{"echo $(date; id) && python app.py", [][]string{{"echo", "$(date; id)"}, {"python", "app.py"}}},
		{"", nil},
	}
	for _, tc := range cases {
		if got := Commands(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Commands(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand("image: $IMAGE\nns: '${NS}'\ncost: $$5 \\x\nshell: $(date)\nend $", lookup)
	want := "image: 127.0.0.1:5000/student/app:v1\nns: 'lab 1'\ncost: $5 \\x\nshell: $(date)\nend $"
	if err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if _, err := Expand("$NOPE", lookup); err == nil || !strings.Contains(err.Error(), "unknown variable $NOPE") {
		t.Errorf("unknown variable: %v", err)
	}
	if _, err := Expand("${IMAGE", lookup); err == nil {
		t.Error("unterminated ${ accepted")
	}
}

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"kubectl":                   "kubectl",
		"--image=r.io/a/b:v1":       "--image=r.io/a/b:v1",
		"":                          "''",
		"a b":                       "'a b'",
		"it's":                      `'it'\''s'`,
		"$IMAGE":                    "'$IMAGE'",
		"{.items[*].metadata.name}": "'{.items[*].metadata.name}'",
		"~":                         "'~'",
		"ü":                         "'ü'",
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzSplit: reading never panics and its tokens lie in order inside the
// input; any words, joined with Join, split back into the same words, with
// or without a Lookup.
func FuzzSplit(f *testing.F) {
	for _, tc := range splitCases {
		f.Add(tc.in)
	}
	f.Add("a | b && c; (d) > e 2>&1 # f\n'g")
	f.Add(`"$(echo "(x)")" ${X` + "`y")
	f.Add("it's\x00a b\x00\x00$IMAGE\x00\\\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, opt := range []Options{{}, {Lookup: lookup}} {
			toks, _ := Lex(s, opt)
			end := 0
			for _, tk := range toks {
				if tk.Start < end || tk.End < tk.Start || tk.End > len(s) {
					t.Fatalf("token %+v out of place in %q (previous end %d)", tk, s, end)
				}
				end = tk.End
			}
			_, _ = Split(s, opt)
		}
		_ = Commands(s)
		_, _ = Expand(s, lookup)

		words := strings.Split(s, "\x00")
		for _, opt := range []Options{{}, {Lookup: lookup}} {
			got, err := Split(Join(words), opt)
			if err != nil || !reflect.DeepEqual(got, words) {
				t.Fatalf("Split(Join(%q)) = %q, %v", words, got, err)
			}
		}
	})
}
