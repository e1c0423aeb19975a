package main

import (
	"bytes"
	"fmt"
	"github.com/kubelab/kubelab/internal/testenv"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
)

// TestGradeCLIRosterProblems: a broken roster is exit 2 with every problem
// listed by line and column, before anything is graded.
func TestGradeCLIRosterProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	roster := write(t, dir, "class.csv", "student_id;name;image;kubeconfig\n1;Budi;Budi/App;\n1;Siti;siti/app;\n3;;ani/app;missing.yaml\n")
	out := filepath.Join(dir, "out")
	res := kubelabCLI(t, "", "grade", "--roster", roster, "--out", out)
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", res.code, ExitUsage, res.stderr)
	}
	for _, want := range []string{"class.csv:2:8: invalid image reference", "class.csv:3:1: duplicate student id \"1\"",
		"class.csv:4:3: missing name", "class.csv:4:12: kubeconfig file \"missing.yaml\" not found"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, grade.StudentsDir)); err == nil {
		t.Error("grading started despite the roster's problems")
	}
}

func TestGradeCLIBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	roster := write(t, dir, "class.csv", "student_id,name,image\n1,Budi,budi/app\n")
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--shard", "4/4"},
		{"--late-policy", "half"},
		{"--late-policy", "zero"}, // needs --deadline
		{"--deadline", "tomorrow"},
		{"--jobs", "0"},
		{"-o", "xml"},
		{"--retry-errors"},
	} {
		res := kubelabCLI(t, "", append([]string{"grade", "--roster", roster, "--out", out}, args...)...)
		if res.code != ExitUsage || res.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d with a message", args, res.code, res.stderr, ExitUsage)
		}
	}
	if res := kubelabCLI(t, "", "grade", "--out", out); res.code != ExitUsage || !strings.Contains(res.stderr, "roster") {
		t.Errorf("no --roster: exit %d, %q", res.code, res.stderr)
	}
}

// TestGradeCLIInterruptResume runs kubelab grade as a process, sends it
// SIGINT while a slow student is being graded, and checks that the finished
// results are kept, that --resume grades the rest, and that the class files
// are the same bytes as an uninterrupted run's. Every student's cluster is
// dead (127.0.0.1:1) but one whose API server accepts and never answers.
func TestGradeCLIInterruptResume(t *testing.T) {
	testenv.Real(t, "the kubelab binary built and run as a process")
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	bin := filepath.Join(t.TempDir(), "kubelab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:latest")

	// An API server that accepts connections and never answers.
	tarpit, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tarpit.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := tarpit.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	dir := t.TempDir()
	write(t, dir, "dead.kubeconfig", kubeconfigFor("https://127.0.0.1:1"))
	write(t, dir, "slow.kubeconfig", kubeconfigFor("https://"+tarpit.Addr().String()))
	var b strings.Builder
	b.WriteString("student_id,name,image,kubeconfig\n")
	for _, id := range []string{"a1", "a2", "a3", "z1", "z2", "z3"} {
		fmt.Fprintf(&b, "%s,Student %s,%s,dead.kubeconfig\n", id, id, image)
	}
	fmt.Fprintf(&b, "m-slow,Slow Student,%s,slow.kubeconfig\n", image)
	roster := write(t, dir, "class.csv", b.String())

	gradeArgs := func(out string, extra ...string) []string {
		return append([]string{"--lang", "en", "grade", "--roster", roster, "--out", out, "--jobs", "1", "--timeout-per-student", "4s",
			"--insecure-registry", "--cache-dir", filepath.Join(dir, "cache"), "--no-service-proxy"}, extra...)
	}
	run := func(args []string) (int, string) {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stderr.String()
	}

	full := filepath.Join(dir, "full")
	if code, stderr := run(gradeArgs(full)); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, stderr)
	}

	out := filepath.Join(dir, "interrupted")
	cmd := exec.Command(bin, gradeArgs(out)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// a1..a3 are done at once; m-slow then hangs for 4s: interrupt it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, grade.StudentsDir, "a3.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("a3 was never graded:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted run: %v, want exit %d\n%s", err, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("the interrupted run does not say how to go on:\n%s", stderr.String())
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		for _, ext := range []string{".json", ".html"} {
			if _, err := os.Stat(filepath.Join(out, grade.StudentsDir, id+ext)); err != nil {
				t.Errorf("finished result lost: %v", err)
			}
		}
	}
	for _, id := range []string{"m-slow", "z1"} {
		if _, err := os.Stat(filepath.Join(out, grade.StudentsDir, id+".json")); err == nil {
			t.Errorf("%s has a result, though it was not finished", id)
		}
	}
	if _, err := os.Stat(filepath.Join(out, grade.IndexFile)); err == nil {
		t.Error("the interrupted run wrote the dashboard")
	}

	if code, stderr := run(gradeArgs(out)); code != ExitUsage || !strings.Contains(stderr, "--resume") {
		t.Errorf("running again without --resume: exit %d\n%s", code, stderr)
	}
	code, errText := run(gradeArgs(out, "--resume", "--strict"))
	if code != ExitEnv {
		t.Fatalf("resumed run: exit %d, want %d (--strict, dead clusters)\n%s", code, ExitEnv, errText)
	}
	if !strings.Contains(errText, "resuming: 3 of 7") {
		t.Errorf("the resumed run does not say what it kept:\n%s", errText)
	}
	for _, f := range []string{grade.IndexFile, grade.GradesFile} {
		x, _ := os.ReadFile(filepath.Join(full, f))
		y, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs from the uninterrupted run's (%v)", f, err)
		}
	}
	grades, _ := os.ReadFile(filepath.Join(out, grade.GradesFile))
	if lines := strings.Count(string(grades), "\n"); lines != 8 {
		t.Errorf("grades.csv has %d lines, want a header and 7 students:\n%s", lines, grades)
	}
}

func kubeconfigFor(server string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`
}
