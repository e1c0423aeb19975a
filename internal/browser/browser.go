// Package browser runs a real headless Chromium for kubelab's page tests,
// driven with chromedp, and records every request a page makes so a test can
// prove that nothing left the page.
package browser

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/internal/testenv"
)

// Path finds Chromium: $KUBELAB_CHROMIUM, else chromium or chromium-browser
// on PATH.
func Path() (string, bool) {
	if p := os.Getenv("KUBELAB_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is one headless Chromium with a fresh profile.
type Browser struct {
	Ctx context.Context

	mu       sync.Mutex
	requests []string
}

// New starts Chromium for the test (skipped locally when absent, a failure
// in CI) and stops it when the test ends. The flags keep Chromium from
// talking to anything on its own (no sync, updates, background networking).
func New(t testing.TB) *Browser {
	t.Helper()
	testenv.Real(t, "Chromium")
	path, ok := Path()
	if !ok {
		testenv.Missing(t, "Chromium not found (apt-get install chromium)")
	}
	// The profile is removed by us, with retries: Chromium may still be
	// writing to it for a moment after it is told to close.
	profile, err := os.MkdirTemp("", "kubelab-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	b := &Browser{Ctx: ctx}
	t.Cleanup(func() {
		cancelB()
		cancelA()
		for i := 0; i < 20; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	})
	// The first Run starts the browser and binds it to the context it gets:
	// it must be ctx itself, not a child with a timeout, or the browser would
	// close when that child is cancelled.
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return b
}

// Run runs chromedp actions with a timeout.
func (b *Browser) Run(t testing.TB, timeout time.Duration, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Requests returns every URL the browser requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// Foreign returns the requests that went anywhere but origin (scheme://host:port)
// or stayed inside the page (data:, about:).
func (b *Browser) Foreign(origin string) []string {
	o, _ := url.Parse(origin)
	var out []string
	for _, r := range b.Requests() {
		u, err := url.Parse(r)
		if err != nil {
			out = append(out, r)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "about" || (o != nil && u.Scheme == o.Scheme && u.Host == o.Host) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Screenshot saves a PNG of the viewport into dir (the test artefacts folder,
// $KUBELAB_ARTIFACTS or out/artifacts) and returns its path.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("KUBELAB_ARTIFACTS")
	if dir == "" {
		dir = ArtifactsDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	b.Run(t, 30*time.Second, chromedp.CaptureScreenshot(&buf))
	p := dir + "/" + name + ".png"
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
