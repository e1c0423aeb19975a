package pysource

import (
	"reflect"
	"strings"
	"testing"
)

func env(kv ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1], true
			}
		}
		return "", false
	}
}

const lesson = `from flask import Flask
app = Flask(__name__)

@app.route("/")
def hello():
    return "Hello World!"  # greet

if __name__ == "__main__":
    app.run(host='0.0.0.0', port=5000)
`

func TestFindCall(t *testing.T) {
	cases := []struct {
		src, recv string
		want      Call
		ok        bool
	}{
		{lesson, "app", Call{Args: "host='0.0.0.0', port=5000", Keyword: map[string]string{"host": "'0.0.0.0'", "port": "5000"}}, true},
		{"server.run('0.0.0.0', 8080, debug=True)", "server", Call{Args: "'0.0.0.0', 8080, debug=True", Positional: []string{"'0.0.0.0'", "8080"}, Keyword: map[string]string{"debug": "True"}}, true},
		// Commas and brackets inside strings and nested calls do not split.
		{`app . run ( host="a,b)", port=int(os.environ.get("PORT", "5000")) )`, "app",
			Call{Args: ` host="a,b)", port=int(os.environ.get("PORT", "5000")) `, Keyword: map[string]string{"host": `"a,b)"`, "port": `int(os.environ.get("PORT", "5000"))`}}, true},
		// A call in a comment, a string or a docstring is not code.
		{"# app.run(port=1)\nx = 'app.run(port=2)'\n\"\"\"\napp.run(port=3)\n\"\"\"\napp.run(port=4)\n", "app",
			Call{Args: "port=4", Keyword: map[string]string{"port": "4"}}, true},
		{"app.run(**opts)", "app", Call{Args: "**opts", Positional: []string{"**opts"}, Keyword: map[string]string{}}, true},
		{"app.run(port=(5000)\n", "app", Call{Args: "port=(5000)\n", Keyword: map[string]string{"port": "(5000)"}}, true},
		{"app.run(debug=x==1)", "app", Call{Args: "debug=x==1", Keyword: map[string]string{"debug": "x==1"}}, true},
		{"myapp.run()", "app", Call{}, false},
		{"", "app", Call{}, false},
	}
	for _, tc := range cases {
		got, ok := Scan(tc.src).FindCall(tc.recv, "run")
		got.Offset = 0
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) && tc.ok {
			t.Errorf("FindCall in %q:\n got %#v, %v\nwant %#v, %v", tc.src, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAssignedCall(t *testing.T) {
	cases := map[string]string{
		lesson: "app",
		"import flask\nserver = flask.Flask(__name__)\n": "server",
		"x = 'app = Flask('\napi=Flask(__name__)":        "api",
		"# web = Flask(__name__)\n":                      "",
		"app = make_app()\n":                             "",
	}
	for src, want := range cases {
		got, ok := Scan(src).AssignedCall("Flask", "flask.Flask")
		if got != want || ok != (want != "") {
			t.Errorf("AssignedCall in %q = %q, %v; want %q", src, got, ok, want)
		}
	}
}

func TestInt(t *testing.T) {
	src := Scan("PORT = int(os.environ.get('PORT', 5000))  # default\nALIAS = PORT\nDEEP = ALIAS\nNAME = 'x'\nPORT2 = 1\nPORT2 = 5002\n")
	cases := []struct {
		expr string
		env  func(string) (string, bool)
		want int
		ok   bool
	}{
		{"5000", env(), 5000, true},
		{"PORT", env(), 5000, true},
		{"PORT", env("PORT", "7000"), 7000, true},
		{"ALIAS", env(), 5000, true},
		{"DEEP", env(), 0, false}, // three levels: not followed
		{"PORT2", env(), 5002, true},
		{`int(os.getenv("P", "8080"))`, env(), 8080, true},
		{`os.environ["P"]`, env("P", " 9000 "), 9000, true},
		{`os.environ["P"]`, env(), 0, false},
		{`os.environ.get("P")`, env("P", "x"), 0, false},
		{"NAME", env(), 0, false},
		{"get_port()", env(), 0, false},
		{"", env(), 0, false},
	}
	for _, tc := range cases {
		got, ok := src.Int(tc.expr, tc.env)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tc.expr, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCode(t *testing.T) {
	got := Scan("a = '#x'  # c\n\"\"\"doc # not a comment\n\"\"\" # c2\n").Code()
	want := "a = '#x'     \n\"\"\"doc # not a comment\n\"\"\"     \n"
	if got != want {
		t.Errorf("Code() = %q, want %q", got, want)
	}
}

// FuzzScan: any source scans without a panic, keeps its length and lines,
// and a call found has its arguments inside the source.
func FuzzScan(f *testing.F) {
	f.Add(lesson)
	f.Add("app = Flask(__name__)\nPORT = int(os.environ.get('PORT', 5000))\napp.run(host=\"0.0.0.0\", port=PORT)\n")
	f.Add("'''\napp.run(port=1)\n'''\napp.run(r\"\\\"\", port=2")
	f.Add("app.run(x=')', y=\"(\", *a, **k) # )")
	f.Fuzz(func(t *testing.T, src string) {
		s := Scan(src)
		if len(s.code) != len(src) || len(s.mask) != len(src) || strings.Count(s.mask, "\n") != strings.Count(src, "\n") {
			t.Fatalf("offsets moved: %q -> %q / %q", src, s.code, s.mask)
		}
		name := "app"
		if v, ok := s.AssignedCall("Flask", "flask.Flask"); ok {
			name = v
		}
		if c, ok := s.FindCall(name, "run"); ok {
			if !strings.Contains(s.code, c.Args) {
				t.Fatalf("arguments %q not in the code", c.Args)
			}
			for _, v := range c.Keyword {
				_, _ = s.Int(v, env("PORT", "1"))
			}
		}
	})
}
