package grade

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/report"
)

// TestSettleGradesAgain grades, on the simulated cluster, a class in which
// two students' pods are caught starting (ContainerCreating, as a kubelet
// reports a replacement it is still creating): the lesson done right
// everywhere. One pod starts while kubelab waits (--settle), the other
// never does. The first must end with full marks and nothing settling, the
// second with its "still starting" fail marked settling, counted in the
// summary and kept out of the LMS files; the steady student is graded once.
func TestSettleGradesAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated cluster")
	}
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:v1", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:v1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ids := []string{"a-steady", "b-starts", "c-stuck"}
	var roster []Student
	sims := map[string]*simcluster.Student{}
	for _, id := range ids {
		st := &simcluster.Student{C: c, Namespace: SanitizeNamespace(id), Image: image}
		sims[id] = st
		if err := st.Play(ctx, "correct"); err != nil {
			t.Fatal(err)
		}
		stop, err := c.ServeApp(ctx, st.Namespace, "hello-flask", simcluster.FlaskStandIn, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		roster = append(roster, Student{ID: id, Name: id, Image: image})
	}
	for _, id := range ids[1:] {
		if err := sims[id].Starting(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	gradings := map[string]int{}
	out := t.TempDir()
	opt := Options{Lab: testLab(t), Lang: "en", Students: roster, Out: out, Jobs: 2, Timeout: time.Minute,
		Kubeconfig: c.Kubeconfig, ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		App: gather.AppOptions{ServiceProxy: false}, Settle: 12 * time.Second}
	opt.beforeStudent = func(ctx context.Context, s Student) {
		mu.Lock()
		gradings[s.ID]++
		n := gradings[s.ID]
		mu.Unlock()
		if s.ID == "b-starts" && n == 2 {
			// Between the first grading and the second, the kubelet
			// has started the container.
			if err := sims[s.ID].Started(ctx); err != nil {
				t.Error(err)
			}
			waitReadyEndpoint(ctx, t, c, SanitizeNamespace(s.ID))
		}
	}
	start := time.Now()
	res, err := Run(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graded in %s; gradings %v; settled %d, unsettled %d", time.Since(start).Round(time.Millisecond), gradings, res.Settled, res.Unsettled)

	if gradings["a-steady"] != 1 {
		t.Errorf("the steady student was graded %d times, want once", gradings["a-steady"])
	}
	if gradings["b-starts"] != 2 {
		t.Errorf("the student whose pod started was graded %d times, want 2 (caught starting, then settled)", gradings["b-starts"])
	}
	if gradings["c-stuck"] < 3 {
		t.Errorf("the student whose pod never started was graded %d times, want one each 5 s of the 12 s settle (3) and the first", gradings["c-stuck"])
	}
	if res.Settled != 2 || res.Unsettled != 1 {
		t.Errorf("settled %d, unsettled %d; want 2 and 1", res.Settled, res.Unsettled)
	}
	for _, id := range ids[:2] {
		r := readReport(t, out, id)
		for _, ch := range r.Checks {
			if ch.Status != report.Pass && ch.ID != "image.runs" {
				t.Errorf("%s: %s %s: %s", id, ch.ID, ch.Status, ch.Message)
			}
		}
		if r.Settling() {
			t.Errorf("%s: the final report is still settling", id)
		}
	}
	r := readReport(t, out, "c-stuck")
	var running report.Result
	for _, ch := range r.Checks {
		if ch.ID == "pods.running" {
			running = ch
		}
	}
	if running.Status != report.Fail || !running.Settling || !strings.Contains(running.Message, "is still starting (ContainerCreating)") {
		t.Errorf("c-stuck: pods.running %s settling=%v: %s", running.Status, running.Settling, running.Message)
	}
	if !r.NeedsRegrade() {
		t.Error("c-stuck: --resume --retry-errors would not grade the settling student again")
	}

	s := res.Class.Summary
	if s.Settling != 1 {
		t.Errorf("summary settling %d, want 1", s.Settling)
	}
	var text bytes.Buffer
	if err := WriteSummary(&text, "text", res.Class, out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "1 caught mid-change") {
		t.Errorf("the summary does not say a student was caught mid-change:\n%s", text.String())
	}
	for _, e := range res.Class.Students {
		why := e.LMSWithheld(false)
		if (e.ID == "c-stuck") != (why != "") {
			t.Errorf("%s: LMS withheld %q", e.ID, why)
		}
		if e.LMSWithheld(true) != "" {
			t.Errorf("%s: withheld from a provisional export: %q", e.ID, e.LMSWithheld(true))
		}
	}
}

// waitReadyEndpoint waits until the EndpointSlice controller has marked
// the namespace's endpoint ready again.
func waitReadyEndpoint(ctx context.Context, t *testing.T, c *simcluster.Cluster, ns string) {
	t.Helper()
	for i := 0; i < 60; i++ {
		out, err := c.Kubectl(ctx, "-n", ns, "get", "endpointslices", "-o", "jsonpath={.items[*].endpoints[*].conditions.ready}")
		if err == nil && strings.Contains(out, "true") {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: no ready endpoint 15 s after the pod was Ready", ns)
}
