package main

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/testenv"
)

// handinClass makes hand-ins the way students do (kubelab submit against a
// cluster that cannot be reached: the image checks are graded), each
// student with a key of their own (their own config directory).
type handinClass struct {
	t    *testing.T
	reg  *registrytest.Registry
	ref  string
	dead string
	base string
}

func newHandinClass(t *testing.T) *handinClass {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "alice/hello-flask:latest", registrytest.LessonImage())
	return &handinClass{t: t, reg: reg, ref: reg.Ref("alice/hello-flask:latest"), dead: testenv.DeadKubeconfig(t), base: t.TempDir()}
}

// submit hands in as who (whose key it is) under the student id id.
func (h *handinClass) submit(who, id, out string) {
	h.t.Helper()
	h.t.Setenv("XDG_CONFIG_HOME", filepath.Join(h.base, "home-"+who))
	res := kubelabCLI(h.t, "", "submit", "--image", h.ref, "--student-id", id, "--kubeconfig", h.dead, "--output-file", out,
		"--insecure-registry", "--no-run", "--no-service-proxy", "--cache-dir", filepath.Join(h.base, "cache-"+who), "--timeout", "20s")
	if res.code != ExitEnv {
		h.t.Fatalf("%s submit: exit %d\n%s", who, res.code, res.stderr)
	}
}

// grade grades a folder with --provisional: the cluster checks of a hand-in
// from a dead cluster are not graded, and only what holds a grade should
// keep it from the Canvas file here.
func (h *handinClass) grade(dir, out string, extra ...string) cliResult {
	h.t.Helper()
	return kubelabCLI(h.t, "", append([]string{"grade", "--submissions", dir, "--out", out, "--insecure-registry",
		"--cache-dir", filepath.Join(h.base, "cache-lecturer"), "--lms", "canvas", "--provisional"}, extra...)...)
}

// gradeOf reads alice's cells: grades.csv's score and held, the Canvas
// file's grade.
func gradeOf(t *testing.T, out, id string) (score, held, canvas string) {
	t.Helper()
	read := func(name string) [][]string {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	g := read(grade.GradesFile)
	col := map[string]int{}
	for i, h := range g[0] {
		col[h] = i
	}
	score, held = "<no row>", "<no row>"
	for _, r := range g[1:] {
		if r[0] == id {
			score, held = r[col["score"]], r[col["held"]]
		}
	}
	canvas = "<no row>"
	for _, r := range read(grade.LMSFile("canvas"))[2:] {
		if r[2] == id {
			canvas = r[5]
		}
	}
	return score, held, canvas
}

// TestThreatHandinUnderAnotherID: Mallory hands in as alice with her own
// key. Alice's first hand-in bound the id to her key (beside the output
// directory, by default); Mallory's is flagged other-key and held: no grade
// in grades.csv or the Canvas file, exit 1, the summary says why. Both
// files in one folder: both named, held. The lecturer accepts a real key
// change with --accept alice:other-key.
func TestThreatHandinUnderAnotherID(t *testing.T) {
	h := newHandinClass(t)
	lab1, lab2, both := t.TempDir(), t.TempDir(), t.TempDir()
	h.submit("alice", "alice", filepath.Join(lab1, "alice.json"))
	h.submit("alice", "alice", filepath.Join(both, "alice.json"))
	h.submit("mallory", "alice", filepath.Join(lab2, "alice.json"))
	h.submit("mallory", "alice", filepath.Join(both, "zz-alice.json"))

	grades := filepath.Join(h.base, "grades")
	res := h.grade(lab1, filepath.Join(grades, "lab1"))
	if res.code != ExitOK {
		t.Fatalf("lab 1: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(grades, "kubelab-keys.json")); err != nil {
		t.Fatalf("no key history beside the output directory: %v", err)
	}
	if score, held, canvas := gradeOf(t, filepath.Join(grades, "lab1"), "alice"); score == "" || held != "" || canvas == "" {
		t.Fatalf("alice's own hand-in: score %q held %q canvas %q", score, held, canvas)
	}

	// Mallory's hand-in for the next lab, graded beside the first.
	res = h.grade(lab2, filepath.Join(grades, "lab2"))
	if res.code != ExitNotPassed {
		t.Errorf("lab 2: exit %d, want %d", res.code, ExitNotPassed)
	}
	for _, want := range []string{"held (no grade in grades.csv or the LMS files", "alice", "other-key"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "no submission is flagged") {
		t.Errorf("the summary says nothing is flagged:\n%s", res.stdout)
	}
	if score, held, canvas := gradeOf(t, filepath.Join(grades, "lab2"), "alice"); score != "" || held != "other-key" || (canvas != "" && canvas != "<no row>") {
		t.Errorf("mallory's hand-in as alice: grades.csv score %q held %q, canvas %q; want no grade, held other-key", score, held, canvas)
	}

	// Both files in one folder, no history: both named, alice held.
	res = h.grade(both, filepath.Join(t.TempDir(), "out"))
	if res.code != ExitNotPassed {
		t.Errorf("both: exit %d, want %d\n%s", res.code, ExitNotPassed, res.stderr)
	}
	for _, out := range []string{res.stderr, res.stdout} {
		for _, want := range []string{"alice.json", "zz-alice.json", "held"} {
			if !strings.Contains(out, want) {
				t.Errorf("lacks %q:\n%s", want, out)
			}
		}
	}
	if !strings.Contains(res.stdout, "duplicate") {
		t.Errorf("summary lacks the duplicate flag:\n%s", res.stdout)
	}

	// The lecturer knows alice made a new key: accepted, graded, bound.
	res = h.grade(lab2, filepath.Join(grades, "lab2-accepted"), "--accept", "alice:other-key")
	if res.code != ExitOK {
		t.Fatalf("accepted: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if score, held, canvas := gradeOf(t, filepath.Join(grades, "lab2-accepted"), "alice"); score == "" || held != "" || canvas == "" {
		t.Errorf("accepted: score %q held %q canvas %q", score, held, canvas)
	}
	res = h.grade(lab2, filepath.Join(grades, "lab2-again"))
	if res.code != ExitOK {
		t.Errorf("after accepting, the new key is bound: exit %d\n%s", res.code, res.stdout)
	}
}

// TestThreatHandinTampered: a hand-in edited after signing (a higher
// score), one with a second "student" member placed first, a named pipe, a
// 100 MB file and a link out of the folder. The edited one is held
// (bad-signature): no grade; the others are refused with the reason,
// quickly, and the honest hand-in is graded.
func TestThreatHandinTampered(t *testing.T) {
	h := newHandinClass(t)
	dir := t.TempDir()
	h.submit("alice", "alice", filepath.Join(dir, "alice.json"))
	h.submit("budi", "budi", filepath.Join(dir, "budi.json"))
	data, err := os.ReadFile(filepath.Join(dir, "budi.json"))
	if err != nil {
		t.Fatal(err)
	}
	edited := regexp.MustCompile(`"score": [0-9.]+,`).ReplaceAllString(string(data), `"score": 100,`)
	if edited == string(data) {
		t.Fatal("nothing to edit")
	}
	write(t, dir, "budi.json", edited)
	h.submit("cici", "cici", filepath.Join(t.TempDir(), "x.json"))
	alice, _ := os.ReadFile(filepath.Join(dir, "alice.json"))
	dup := strings.Replace(string(alice), "{", `{"student": {"id": "mallory", "name": "Mallory"},`, 1)
	write(t, dir, "dup.json", dup)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(dir, "big.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	big.Close()
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(h.base, "grades", "lab1")
	t0 := time.Now()
	res := h.grade(dir, out)
	took := time.Since(t0)
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d (files refused)\n%s", res.code, ExitUsage, res.stderr)
	}
	if took > 20*time.Second {
		t.Errorf("took %s", took)
	}
	for _, want := range []string{
		"dup.json: not a kubelab submission: the member \"student\" appears twice",
		"pipe.json: not a regular file (a named pipe)",
		"big.json: 100.0 MiB is larger than the 16.0 MiB",
		"link.json: a symbolic link to /etc/hostname, outside the hand-in folder",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if score, held, canvas := gradeOf(t, out, "budi"); score != "" || !strings.Contains(held, "bad-signature") || (canvas != "" && canvas != "<no row>") {
		t.Errorf("edited hand-in: score %q held %q canvas %q; want no grade, held bad-signature", score, held, canvas)
	}
	if score, held, canvas := gradeOf(t, out, "alice"); score == "" || held != "" || canvas == "" {
		t.Errorf("honest hand-in: score %q held %q canvas %q", score, held, canvas)
	}
	if score, _, _ := gradeOf(t, out, "mallory"); score != "<no row>" {
		t.Errorf("the duplicate member's student has a row: %q", score)
	}
}

// TestThreatHandinSignal: a batch waiting on a registry that does not
// answer stops within a second of SIGTERM (a built binary, a real signal),
// exit 130, nothing half-written; a named pipe in the folder does not
// stall it either.
func TestThreatHandinSignal(t *testing.T) {
	h := newHandinClass(t)
	dir := t.TempDir()
	h.submit("alice", "alice", filepath.Join(dir, "alice.json"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := drillBinary(t)
	h.reg.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return true
	})
	out := filepath.Join(h.base, "grades", "lab1")
	cmd := exec.Command(bin, "--lang", "en", "grade", "--submissions", dir, "--out", out, "--insecure-registry", "--cache-dir", t.TempDir())
	cmd.Env = os.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 5 s after SIGTERM:\n%s", stderr.String())
	}
	if took := time.Since(sent); took > time.Second {
		t.Errorf("stopped %s after SIGTERM, want within a second", took)
	}
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit %v, want %d\n%s", err, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "pipe.json: not a regular file") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	for _, f := range []string{grade.GradesFile, grade.ResultsFile, "keys.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("the interrupted run wrote %s", f)
		}
	}
}

// TestThreatRosterKubeconfigNotOne: a roster kubeconfig that is a password
// file, empty, a named pipe or a device is refused before anything runs,
// with the roster's file and line.
func TestThreatRosterKubeconfigNotOne(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "shadow.kubeconfig", "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
	write(t, dir, "empty.kubeconfig", "")
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.kubeconfig"), 0o644); err != nil {
		t.Fatal(err)
	}
	roster := write(t, dir, "class.csv", "student_id,name,image,kubeconfig\n1,Budi,budi/app,shadow.kubeconfig\n2,Siti,siti/app,empty.kubeconfig\n3,Ani,ani/app,pipe.kubeconfig\n4,Eko,eko/app,/dev/null\n")
	done := make(chan cliResult, 1)
	go func() {
		done <- kubelabCLI(t, "", "grade", "--roster", roster, "--out", filepath.Join(dir, "out"), "--kubeconfig", filepath.Join(dir, "nothing"))
	}()
	var res cliResult
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("kubelab grade hangs on a roster kubeconfig")
	}
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitUsage, res.stderr)
	}
	for _, want := range []string{"class.csv:2: student 1", "class.csv:3: student 2", "class.csv:4: student 3", "class.csv:5: student 4",
		"not a kubeconfig", "not a regular file"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", grade.GradesFile)); err == nil {
		t.Error("grades.csv was written")
	}
}

// TestThreatReportDuplicateMember: a report with a second "student" member
// placed first is refused by every command that reads a report.
func TestThreatReportDuplicateMember(t *testing.T) {
	data, err := os.ReadFile(fixturePath("correct.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := write(t, t.TempDir(), "report.json", strings.Replace(string(data), "{", `{"student": {"id": "mallory", "name": "Mallory"},`, 1))
	for _, args := range [][]string{{"report", "verify", "--pubkey", strings.Repeat("A", 43) + "=", bad}, {"report", "show", bad}} {
		res := kubelabCLI(t, "", args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, `the member "student" appears twice`) {
			t.Errorf("%v: exit %d, stderr %q", args, res.code, res.stderr)
		}
	}
}
