package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/report"
)

// TestSubmitWaitsForAStartingPod: a student who runs kubelab submit while
// their pod is still starting (ContainerCreating, as the kubelet reports
// it) must not hand in a fail. submit checks again while the pod starts
// and writes the settled state: full marks. If the pod never starts within
// --settle, the file is written as it is and submit says to hand in again.
func TestSubmitWaitsForAStartingPod(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	testenv.Real(t, "the simulated cluster")
	bins, err := simcluster.Binaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:v1", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:v1")
	c, err := simcluster.Start(ctx, simcluster.Options{BinDir: bins, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	st := &simcluster.Student{C: c, Namespace: "default", Image: image}
	if err := st.Play(ctx, "correct"); err != nil {
		t.Fatal(err)
	}
	stop, err := c.ServeApp(ctx, "default", "hello-flask", simcluster.FlaskStandIn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	submit := func(file, settle string) (cliResult, *handin.Submission) {
		res := kubelabCLI(t, "", "submit", "--image", image, "--student-id", "2025001", "--name", "Ani",
			"--kubeconfig", c.Kubeconfig, "--output-file", file, "--insecure-registry", "--no-run", "--no-service-proxy",
			"--cache-dir", t.TempDir(), "--settle", settle)
		if res.code != ExitOK {
			t.Fatalf("kubelab submit: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
		}
		sub, err := handin.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if why := handin.Verify(sub); len(why) > 0 {
			t.Fatalf("the submission does not verify: %v", why)
		}
		return res, sub
	}

	// The pod starts 4 s after submit began: its first check sees it
	// starting, a later one Running and Ready.
	if err := st.Starting(ctx); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() {
		time.Sleep(4 * time.Second)
		started <- st.Started(ctx)
	}()
	begin := time.Now()
	res, sub := submit(filepath.Join(t.TempDir(), "settled.json"), "30s")
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	t.Logf("submitted in %s:\n%s", time.Since(begin).Round(time.Millisecond), res.stderr)
	if !regexp.MustCompile(`your cluster is still changing \(a pod starting or just started: [a-z., ]*pods\.running[a-z., ]*\): checking again in 5s`).MatchString(res.stderr) {
		t.Errorf("submit did not say it waits for the starting pod:\n%s", res.stderr)
	}
	for _, ch := range sub.Report.Checks {
		if ch.Status != report.Pass && ch.ID != "image.runs" {
			t.Errorf("handed in %s %s: %s", ch.ID, ch.Status, ch.Message)
		}
	}
	if sub.Report.Settling() || strings.Contains(res.stderr, "submit again") {
		t.Errorf("the settled hand-in is marked settling or asks to submit again:\n%s", res.stderr)
	}

	// A pod that does not start within --settle: written as it is, and
	// the student is told to hand in again.
	if err := st.Starting(ctx); err != nil {
		t.Fatal(err)
	}
	res, sub = submit(filepath.Join(t.TempDir(), "unsettled.json"), "6s")
	if !sub.Report.Settling() || !strings.Contains(res.stderr, "when `kubectl get pods` shows your pod Running and Ready, submit again") {
		t.Errorf("settling %v; stderr:\n%s", sub.Report.Settling(), res.stderr)
	}
	if n := strings.Count(res.stderr, "checking again"); n != 2 {
		t.Errorf("checked again %d times in a 6 s settle, want 2 (after 5 s and 1 s):\n%s", n, res.stderr)
	}
}
