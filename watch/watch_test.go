package watch_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/watch"
)

// syncBuf is the printer's output, read while the watcher writes.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestWatchExposeTurnsStepGreen plays the lesson up to the deployment on the
// simulated cluster, watches, runs the lesson's next command (kubectl
// expose) and requires the expose step to go from fail to pass within 2 s,
// and the printed table to show it.
func TestWatchExposeTurnsStepGreen(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := simclustertest.StartT(t, simcluster.Options{})
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:latest")
	lab, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := "watch-expose"
	st := &simcluster.Student{C: c, Namespace: ns, Image: image}
	if err := st.Play(ctx, "no-service"); err != nil {
		t.Fatal(err)
	}
	reports := make(chan *report.Report, 100)
	out := &syncBuf{}
	p := &watch.Printer{W: out}
	w := &watch.Watcher{Req: pipeline.Request{
		Job:       pipeline.Job{Lab: lab, Lang: "en", Image: image},
		Kube:      gather.LoadKube(c.Kubeconfig, "", ns),
		ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		NoRun:     true,
		App:       gather.AppOptions{ServiceProxy: false}, // never dial the fake pod IPs
	}}
	wctx, wcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- w.Run(wctx, func(r *report.Report) { _ = p.Print(r); reports <- r })
	}()
	step := func(r *report.Report) map[string]report.Status {
		m := map[string]report.Status{}
		for _, c := range r.Checks {
			if c.Step == "expose" && !strings.HasPrefix(c.ID, "app.") {
				m[c.ID] = c.Status
			}
		}
		return m
	}
	// The first table: the service does not exist yet.
	select {
	case r := <-reports:
		if s := step(r); s["service.exists"] != report.Fail {
			t.Fatalf("before expose: %v, want service.exists fail", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no first report within 30 s")
	}
	before := out.String()
	start := time.Now()
	if o, err := c.Kubectl(ctx, "-n", ns, "expose", "deployment", "hello-flask", "--type=LoadBalancer", "--port=5000"); err != nil {
		t.Fatalf("kubectl expose: %v\n%s", err, o)
	}
	var latency time.Duration
	for latency == 0 {
		select {
		case r := <-reports:
			s := step(r)
			allPass := len(s) > 0
			for _, v := range s {
				allPass = allPass && v == report.Pass
			}
			if allPass {
				latency = time.Since(start)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the expose step did not pass within 5 s of kubectl expose")
		}
	}
	t.Logf("kubectl expose -> expose step pass in the watch output: %s", latency.Round(time.Millisecond))
	if latency > 2*time.Second {
		t.Errorf("fail -> pass took %s, want <= 2 s", latency)
	}
	after := strings.TrimPrefix(out.String(), before)
	if !strings.Contains(after, "service.exists") || !strings.Contains(before, "service.exists") {
		t.Errorf("the printer did not print a new table after the change:\n%s", after)
	}
	wcancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Run did not return after its context ended")
	}
}
