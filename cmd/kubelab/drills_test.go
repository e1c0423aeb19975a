package main

// Failure drills run against the real binary: a server that accepts
// connections and never answers, and a batch killed with SIGINT or SIGKILL
// and finished with --resume.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/kubelab/kubelab/internal/testenv"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/report"
)

// drillBinary builds kubelab once per test.
func drillBinary(t *testing.T) string {
	t.Helper()
	testenv.Real(t, "the kubelab binary built and run as a process")
	bin := filepath.Join(t.TempDir(), "kubelab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tarpit accepts connections and never writes a byte; it returns its
// address.
func tarpit(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// TestDrillServerNeverAnswers: the API server of the kubeconfig and the
// registry of every image accept connections and never answer. Every
// student is an error row (timed out) and the run ends within the
// configured timeouts plus a small margin.
func TestDrillServerNeverAnswers(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	bin := drillBinary(t)
	pit := tarpit(t)
	dir := t.TempDir()
	kc := write(t, dir, "tarpit.kubeconfig", kubeconfigFor("https://"+pit))
	var b strings.Builder
	b.WriteString("student_id,name,image\n")
	const students = 12
	for i := 0; i < students; i++ {
		fmt.Fprintf(&b, "s%d,Student %d,%s/u%d/app:latest\n", i, i, pit, i%2)
	}
	roster := write(t, dir, "class.csv", b.String())
	out := filepath.Join(dir, "out")
	const perStudent, maxRetryWait, grace = 3 * time.Second, time.Second, 5 * time.Second
	cmd := exec.Command(bin, "--lang", "en", "grade", "--roster", roster, "--out", out, "--kubeconfig", kc,
		"--jobs", "2", "--timeout-per-student", perStudent.String(), "--max-retry-wait", maxRetryWait.String(),
		"--insecure-registry", "--cache-dir", filepath.Join(dir, "cache"), "--no-service-proxy")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("kubelab grade: %v\n%s", err, stderr.String())
	}
	// A student waits at most its timeout for the registry, then for the
	// cluster; the shared reads (started by the first students) end within
	// a timeout of their own, so later students get their answers at once:
	// about two timeouts in all, whatever the class size, plus the grace a
	// stuck student gets. (Before the version request honoured the deadline,
	// the shared cluster read held every wave for a full timeout until
	// client-go's own 15 s request timeout: 18 s here.)
	limit := 2*perStudent + grace + 2*time.Second
	t.Logf("%d students against a server that never answers: %s (limit %s)", students, took.Round(time.Millisecond), limit)
	if took > limit {
		t.Errorf("the run took %s, more than the timeouts allow (%s)", took, limit)
	}
	for i := 0; i < students; i++ {
		r, err := report.ReadFile(filepath.Join(out, grade.StudentsDir, fmt.Sprintf("s%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Checks {
			if c.Status == report.Fail || c.Status == report.Partial || c.Points != 0 {
				t.Errorf("s%d: %s is %s (%g points) against a server that never answers", i, c.ID, c.Status, c.Points)
			}
		}
		for _, id := range []string{"cluster.reachable", "image.pushed"} {
			for _, c := range r.Checks {
				if c.ID == id && (c.Status != report.Error || !strings.Contains(c.Message, "timed out")) {
					t.Errorf("s%d: %s: %s %q, want a timeout error", i, id, c.Status, c.Message)
				}
			}
		}
	}
}

// TestDrillKilledAndResumed: a batch on the simulated cluster is stopped
// with SIGINT, or killed with SIGKILL, part way; the same command with
// --resume then finishes it, and every output file (index.html,
// grades.csv, results.json, each student's JSON and HTML) is byte for byte
// an uninterrupted run's. SOURCE_DATE_EPOCH fixes the times written.
func TestDrillKilledAndResumed(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	bin := drillBinary(t)
	c := simclustertest.StartT(t, simcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reg := registrytest.New(t)

	const n = 16
	dir := t.TempDir()
	var bulk []simcluster.BulkStudent
	var served []string
	var b strings.Builder
	b.WriteString("student_id,name,image,namespace\n")
	for i := 0; i < n; i++ {
		sc := simcluster.Scenarios[i%len(simcluster.Scenarios)].Name
		repo := fmt.Sprintf("student%02d/hello-flask:latest", i)
		registrytest.Push(t, reg, repo, registrytest.LessonImage(registrytest.AppSource(fmt.Sprintf("# %d\n%s", i, registrytest.AppPy))))
		ns := fmt.Sprintf("student-%02d", i)
		bulk = append(bulk, simcluster.BulkStudent{Namespace: ns, Image: reg.Ref(repo), Scenario: sc})
		if simclustertest.AppAnswers[sc] {
			served = append(served, ns+"/hello-flask")
		}
		fmt.Fprintf(&b, "2025%02d,Mahasiswa %d,%s,%s\n", i, i, reg.Ref(repo), ns)
	}
	roster := write(t, dir, "class.csv", b.String())
	if err := c.Populate(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	stop, err := c.ServeNodePorts(ctx, served, simcluster.FlaskStandIn)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// A slow registry makes each student take a while (every image is
	// distinct and each run has a cache of its own).
	reg.SetFault(func(http.ResponseWriter, *http.Request) bool { time.Sleep(60 * time.Millisecond); return false })

	env := append(os.Environ(), "SOURCE_DATE_EPOCH=1741593600")
	args := func(out string, extra ...string) []string {
		return append([]string{"--lang", "en", "grade", "--roster", roster, "--out", out, "--kubeconfig", c.Kubeconfig,
			"--jobs", "2", "--insecure-registry", "--cache-dir", out + ".cache", "--no-service-proxy"}, extra...)
	}
	runTo := func(out string, extra ...string) {
		t.Helper()
		cmd := exec.Command(bin, args(out, extra...)...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("kubelab grade %v: %v\n%s", extra, err, stderr.String())
		}
	}
	full := filepath.Join(dir, "full")
	t0 := time.Now()
	runTo(full)
	t.Logf("uninterrupted run: %s", time.Since(t0).Round(time.Millisecond))

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(sig.String(), " ", "-"))
			cmd := exec.Command(bin, args(out)...)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				done, _ := filepath.Glob(filepath.Join(out, grade.StudentsDir, "*.json"))
				if len(done) >= 4 {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("no progress:\n%s", stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			ee, _ := err.(*exec.ExitError)
			switch {
			case ee == nil:
				t.Fatalf("the run was not interrupted (%v):\n%s", err, stderr.String())
			case sig == syscall.SIGINT && ee.ExitCode() != exitInterrupted:
				t.Fatalf("SIGINT: exit %d, want %d\n%s", ee.ExitCode(), exitInterrupted, stderr.String())
			case sig == syscall.SIGKILL && ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL:
				t.Fatalf("SIGKILL: %v", err)
			}
			kept, _ := filepath.Glob(filepath.Join(out, grade.StudentsDir, "*.json"))
			if len(kept) == 0 || len(kept) >= n {
				t.Fatalf("%d of %d results after the interruption, want some", len(kept), n)
			}
			if _, err := os.Stat(filepath.Join(out, grade.ResultsFile)); err == nil {
				t.Error("the interrupted run wrote results.json")
			}
			for _, k := range kept {
				if _, err := report.ReadFile(k); err != nil {
					t.Errorf("a result left by the interrupted run is broken: %v", err)
				}
			}
			tmp := leftovers(t, out)
			t.Logf("%s after %d of %d students; temporary files left: %v", sig, len(kept), n, tmp)
			if sig == syscall.SIGKILL && len(tmp) == 0 {
				// What a kill in the middle of an atomic write leaves (the
				// window is short: plant one so --resume's clean-up is
				// exercised every time).
				write(t, filepath.Join(out, grade.StudentsDir), ".tmp-202515.json-12345", `{"schema": "kubelab.rep`)
			}

			runTo(out, "--resume")
			same := compareTrees(t, full, out)
			t.Logf("--resume: %d files identical to the uninterrupted run's", same)
		})
	}
}

// leftovers lists temporary files of interrupted atomic writes.
func leftovers(t *testing.T, dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, d.Name())
		}
		return nil
	})
	return out
}

// compareTrees checks that every file of want is in got with the same
// bytes, and that got has no other file (temporary files of an interrupted
// write aside, which are reported).
func compareTrees(t *testing.T, want, got string) int {
	t.Helper()
	files := map[string]bool{}
	_ = filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		files[rel] = true
		return nil
	})
	for _, must := range []string{grade.IndexFile, grade.GradesFile, grade.ResultsFile} {
		if !files[must] {
			t.Fatalf("the uninterrupted run has no %s", must)
		}
	}
	n := 0
	_ = filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(got, p)
		switch {
		case strings.HasPrefix(d.Name(), ".tmp-"):
			t.Errorf("%s: a temporary file of an interrupted write is left after --resume", rel)
		case !files[rel]:
			t.Errorf("%s: not in the uninterrupted run", rel)
		}
		return nil
	})
	for rel := range files {
		a, _ := os.ReadFile(filepath.Join(want, rel))
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted run's", rel)
			continue
		}
		n++
	}
	return n
}
