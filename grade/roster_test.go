package grade

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// statOnly says only the named files exist.
func statOnly(files ...string) func(string) error {
	return func(p string) error {
		for _, f := range files {
			if p == f {
				return nil
			}
		}
		return os.ErrNotExist
	}
}

func parse(t *testing.T, text string) ([]Student, []Problem) {
	t.Helper()
	st, err := ParseRoster([]byte(text), RosterOptions{File: "class.csv", Stat: statOnly("kube/budi.yaml")})
	if err == nil {
		return st, nil
	}
	var re *RosterError
	if !errors.As(err, &re) {
		t.Fatalf("error is %T, want *RosterError: %v", err, err)
	}
	return nil, re.Problems
}

func TestParseRosterGood(t *testing.T) {
	cases := map[string]string{
		"comma":                              "student_id,name,image\n13519001,Budi Santoso,budi/hello-flask\n13519002,\"Siti, Aminah\",siti/hello-flask:v2\n",
		"semicolon + BOM + CRLF":             "\ufeffstudent_id;name;image\r\n13519001;Budi Santoso;budi/hello-flask\r\n13519002;Siti, Aminah;siti/hello-flask:v2\r\n",
		"quoted header, blank lines, spaces": "\"Student ID\",\"Name\",\"Image\"\n\n 13519001 , Budi Santoso , budi/hello-flask \n13519002,\"Siti, Aminah\",\"siti/hello-flask:v2\"\n\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			st, probs := parse(t, text)
			if probs != nil {
				t.Fatalf("problems: %v", probs)
			}
			if len(st) != 2 {
				t.Fatalf("%d students, want 2: %+v", len(st), st)
			}
			want := []Student{
				{ID: "13519001", Name: "Budi Santoso", Image: "budi/hello-flask", Namespace: "13519001"},
				{ID: "13519002", Name: "Siti, Aminah", Image: "siti/hello-flask:v2", Namespace: "13519002"},
			}
			for i := range want {
				st[i].Line = 0
				if !reflect.DeepEqual(st[i], want[i]) {
					t.Errorf("student %d = %+v, want %+v", i, st[i], want[i])
				}
			}
		})
	}
}

func TestParseRosterOptionalColumns(t *testing.T) {
	text := "student_id,name,image,namespace,context,kubeconfig,deployment\n" +
		"a1,Ani,ani/app,lab-ani,,,\n" +
		"b2,Budi,budi/app,,minikube-budi,kube/budi.yaml,web\n" +
		"C.3,\"Cici \"\"CC\"\"\",cici/app,,,,\n"
	st, probs := ParseRoster([]byte(text), RosterOptions{File: "class.csv", Stat: statOnly("kube/budi.yaml"), NamespacePrefix: "lab-"})
	if probs != nil {
		t.Fatal(probs)
	}
	if st[0].Namespace != "lab-ani" || st[0].Own() {
		t.Errorf("a1: %+v", st[0])
	}
	if st[1].Context != "minikube-budi" || st[1].Kubeconfig != "kube/budi.yaml" || st[1].Deployment != "web" || st[1].Namespace != "" || !st[1].Own() {
		t.Errorf("b2: %+v", st[1])
	}
	if st[2].Namespace != "lab-c-3" || st[2].Name != `Cici "CC"` {
		t.Errorf("C.3: %+v", st[2])
	}
}

func TestParseRosterProblems(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []string // "line:col: part of the message"
	}{
		{"empty", "", []string{"1:1: the roster is empty"}},
		{"only a BOM and blanks", "\ufeff \n\n", []string{"1:1: the roster is empty"}},
		{"header only", "student_id,name,image\n", []string{"1:1: header but no students"}},
		{"unknown and missing column", "student_id,nama,image\n1,Budi,budi/app\n", []string{
			"1:22: lacks the required column name (it has \"nama\", which kubelab does not read)"}},
		{"duplicate column", "student_id,name,image,name\n1,a,b/c,d\n", []string{"1:23: column \"name\" appears twice"}},
		{"missing fields", "student_id,name,image\n1,Budi\n2,,siti/app\n,Ani,ani/app\n", []string{
			"2:7: missing field image", "3:3: missing name", "4:1: missing student_id"}},
		{"too many fields", "student_id,name,image\n1,Budi, Santoso,budi/app\n", []string{"2:17: 4 fields, but the header names 3"}},
		{"duplicate id", "student_id,name,image\n1,Budi,budi/app\n2,Siti,siti/app\n1,Budi again,budi/app2\n", []string{
			"4:1: duplicate student id \"1\" (first on line 2)"}},
		{"invalid image", "student_id;name;image\n1;Budi;Budi/App\n2;Siti;siti/app:bad tag\n3;Ani;ani/app::x\n", []string{
			"2:8: invalid image reference", "3:8: invalid image reference", "4:7: invalid image reference"}},
		{"kubeconfig not found", "student_id,name,image,kubeconfig\n1,Budi,budi/app,kube/budi.yaml\n2,Siti,siti/app,kube/siti.yaml\n", []string{
			"3:17: kubeconfig file \"kube/siti.yaml\" not found"}},
		{"unterminated quote", "student_id,name,image\n1,\"Budi,budi/app\n2,Siti,siti/app\n", []string{"2:3: never closed"}},
		{"text after quote", "student_id,name,image\n1,\"Budi\" S,budi/app\n", []string{"2:9: text after a closing quote"}},
		{"bad id and namespace", "student_id,name,image,namespace\n../x,Budi,budi/app,\n2,Siti,siti/app,Lab_2\n", []string{
			"2:1: must start with a letter or digit", "3:17: namespace \"Lab_2\""}},
		{"namespace collision", "student_id,name,image\nBudi.S,Budi,budi/app\nbudi-s,Budi S,budis/app\n", []string{
			"3:1: namespace \"budi-s\" is also student Budi.S's"}},
		{"not utf-8", "student_id,name,image\n1,B\xffudi,budi/app\n", []string{"2:4: not UTF-8"}},
		{"every problem at once", "student_id,name,image\n1,Budi,Budi/App\n1,Siti,siti/app\n3,,ani/app\n", []string{
			"2:8: invalid image", "3:1: duplicate student id", "4:3: missing name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := parse(t, tc.text)
			if probs == nil {
				t.Fatalf("no problem found, want %v", tc.want)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					loc, msg, _ := strings.Cut(w, ": ")
					if strings.HasPrefix(g, loc+": ") && strings.Contains(g, msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("want a problem %q; got:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n  %s", len(got), len(tc.want), strings.Join(got, "\n  "))
			}
		})
	}
}

func TestRosterErrorText(t *testing.T) {
	_, err := ParseRoster([]byte("student_id,name,image\n1,,x/y\n"), RosterOptions{File: "class.csv"})
	if err == nil || !strings.Contains(err.Error(), "class.csv:2:3: missing name") {
		t.Fatalf("error text: %v", err)
	}
}

func TestSanitizeNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"13519001": "13519001", "Budi.Santoso": "budi-santoso", "budi@univ.ac.id": "budi-univ-ac-id",
		"--x--": "x", "ÉÉ": "student", strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := SanitizeNamespace(in); got != want || checkNamespace(got) != "" {
			t.Errorf("SanitizeNamespace(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseRoster: any input gives students or problems, never a panic;
// problems point inside the file; students have what grading needs.
func FuzzParseRoster(f *testing.F) {
	seeds := []string{
		"student_id,name,image\n1,Budi,budi/app\n",
		"\ufeffstudent_id;name;image;namespace\r\n1;\"Budi; S\";budi/app;ns1\r\n",
		"student_id,name,image,context,kubeconfig,deployment\n1,a,b/c,ctx,,d\n",
		"student_id,name,image\n1,\"unterminated\n",
		"student_id,name,image\n1,\"a\"b,c/d\n",
		"\"student_id\",\"name\",\"image\"\n\"1\",\"a \"\"q\"\"\",\"b/c:v1\"\n",
		"student_id,name,image\r1,a,b/c\r2,a,b/c\r",
		"",
		"\"",
		"student_id,name,image\n,,\n,,,,\n",
		";;;\n,,,\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseRoster(data, RosterOptions{File: "f.csv", Stat: statOnly()})
		if err != nil {
			var re *RosterError
			if !errors.As(err, &re) || len(re.Problems) == 0 {
				t.Fatalf("error %v is not a RosterError with problems", err)
			}
			lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
			for _, p := range re.Problems {
				if p.Line < 1 || p.Col < 1 || p.Line > lines {
					t.Fatalf("problem outside the file (%d lines): %v", lines, p)
				}
			}
			if st != nil {
				t.Fatal("students returned with problems")
			}
			return
		}
		if len(st) == 0 {
			t.Fatal("no students and no problem")
		}
		ids := map[string]bool{}
		for _, s := range st {
			if s.ID == "" || s.Name == "" || s.Image == "" || checkID(s.ID) != "" || !utf8.ValidString(s.Name) {
				t.Fatalf("bad student %+v", s)
			}
			if ids[strings.ToLower(s.ID)] {
				t.Fatalf("duplicate id %q", s.ID)
			}
			ids[strings.ToLower(s.ID)] = true
			if !s.Own() && checkNamespace(s.Namespace) != "" {
				t.Fatalf("bad namespace %q", s.Namespace)
			}
		}
	})
}
