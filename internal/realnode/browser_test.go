package realnode

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/internal/browser"
)

// browseLesson is the lesson's last steps in a real headless Chromium, run
// inside the node's network namespace (this test process is in it, and
// Chromium inherits it; the test asserts so): the page the app serves
// through the NodePort on the node address, then `kubelab serve`'s page
// (started inside too, on 127.0.0.1) where a real click on "Check this
// step" under "Open the app in a browser" turns app.responds to pass. It
// reuses the node TestLessonOnRealNode started.
func browseLesson(t *testing.T, netns, kubelab, kubeconfig, dockerHost, image, ns string, nodePort int32) {
	t.Helper()
	begin := time.Now()
	if !InNetns(netns) {
		t.Fatalf("the test process is not in network namespace %s", netns)
	}
	// kubelab serve, inside the namespace, on 127.0.0.1 (a free port).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, kubelab, "serve", "--kubeconfig", kubeconfig, "--image", image, "-n", ns,
		"--insecure-registry", "--lang", "en", "--cache-dir", t.TempDir(), "--addr", "127.0.0.1:0")
	serve.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost, "TESTCONTAINERS_RYUK_DISABLED=true",
		"KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 10 * time.Second
	var serveErr strings.Builder
	serve.Stderr = &serveErr
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatalf("kubelab serve: %v", err)
	}
	defer func() {
		cancel()
		_ = serve.Wait()
		if t.Failed() {
			t.Logf("kubelab serve's log:\n%s", serveErr.String())
		}
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "kubelab lesson at "); ok {
				lines <- strings.Fields(url)[0]
			}
		}
	}()
	var lesson string
	select {
	case lesson = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("kubelab serve printed no address in 30s:\n%s", serveErr.String())
	}
	base := strings.TrimSuffix(lesson, "/en/")
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("kubelab serve listens on %s, want 127.0.0.1", base)
	}

	b := browser.New(t)
	chromium := chromiumIn(netns)
	if chromium == 0 {
		t.Fatalf("no Chromium process found in network namespace %s", netns)
	}

	// The app, as `minikube service hello-flask` would open it.
	app := fmt.Sprintf("http://%s:%d/", NodeIP, nodePort)
	var text string
	b.Run(t, 20*time.Second, chromedp.Navigate(app), chromedp.Text("body", &text, chromedp.ByQuery))
	if !strings.Contains(text, "Hello from Flask on Kubernetes! Served by hello-flask-") {
		t.Errorf("Chromium (pid %d, in %s) at %s shows %q, want the Flask app's greeting", chromium, netns, app, text)
	}
	t.Logf("Chromium (pid %d, in netns %s) at %s: %q", chromium, netns, app, strings.TrimSpace(text))
	b.Screenshot(t, "realnode-app")

	// kubelab serve's step page and its real button.
	const step = "open-in-browser"
	status := func(sel string) string {
		var st string
		b.Run(t, 10*time.Second, chromedp.Evaluate(`(document.querySelector('`+sel+`')||{dataset:{}}).dataset.status||""`, &st))
		return st
	}
	var label string
	b.Run(t, 30*time.Second, chromedp.Navigate(base+"/en/step/"+step),
		chromedp.WaitReady("#check-"+step, chromedp.ByID), chromedp.Text("#check-"+step, &label, chromedp.ByID))
	if label != "Check this step" {
		t.Errorf("the button reads %q, want \"Check this step\"", label)
	}
	b.Run(t, 90*time.Second,
		chromedp.Click("#check-"+step, chromedp.ByID),
		chromedp.WaitNotPresent("button.check.busy", chromedp.ByQuery),
	)
	var results string
	b.Run(t, 10*time.Second, chromedp.Text("#results-"+step, &results, chromedp.ByID))
	if st := status(`[data-check="app.responds"]`); st != "pass" {
		t.Errorf("after clicking %q: app.responds = %q, want pass\n%s", label, st, results)
	}
	if mark := status(`[data-mark="` + step + `"]`); mark != "pass" {
		t.Errorf("the step's progress mark = %q, want pass", mark)
	}
	b.Screenshot(t, "realnode-serve-"+step)
	if f := b.Foreign(base); len(f) > 0 {
		// The app's page was opened on purpose; anything else is not ours.
		var other []string
		for _, u := range f {
			if !strings.HasPrefix(u, app) {
				other = append(other, u)
			}
		}
		if len(other) > 0 {
			t.Errorf("the pages requested other origins: %v", other)
		}
	}
	t.Logf("kubelab serve at %s: %q clicked on step %s, results:\n%s\n(browser part took %s)",
		base, label, step, strings.TrimSpace(results), time.Since(begin).Round(100*time.Millisecond))
}

// chromiumIn returns the id of a Chromium process in the namespace, 0 if none.
func chromiumIn(netns string) int {
	path, _ := browser.Path()
	for _, pid := range procsIn(NetnsPath(netns)) {
		exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
		if err != nil {
			continue
		}
		if exe == path || strings.Contains(filepath.Base(exe), "chrom") {
			return pid
		}
	}
	return 0
}
