package grade

import (
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/browser"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// expected is what each scenario implies for the cluster checks of the
// built-in lab, worked out from what the scenario does (see
// simcluster.Scenarios), not from the grader: the status of each check and
// the share of its points. Checks not listed are skipped (a check they need
// did not pass); the cluster and image checks pass for every scenario
// (image.runs is skipped: batch grading does not run images).
var expected = simclustertest.Expected

// makesObjects: the scenario creates a deployment or a service (so work
// after the deadline is late).
func makesObjects(sc string) bool { return sc != "nothing" }

// serveApp: scenarios whose app a browser reaches (the test stands in for
// kube-proxy + the app on the node port).
var serveApp = simclustertest.AppAnswers

// The dead student: a kubeconfig of their own pointing at 127.0.0.1:1.
const deadID = "zz-dead"

type classStudent struct {
	Student
	scenario string
	late     bool
}

// expectedStatus is the status the scenario implies for check id.
func expectedStatus(sc, id string) report.Status {
	if sc == "dead" {
		switch {
		case id == "cluster.reachable":
			return report.Error
		case strings.HasPrefix(id, "image.") && id != "image.runs":
			return report.Pass
		}
		return report.Skipped
	}
	switch {
	case strings.HasPrefix(id, "cluster."), strings.HasPrefix(id, "image.") && id != "image.runs":
		return report.Pass
	}
	if st, ok := expected[sc][id]; ok {
		return st
	}
	return report.Skipped
}

// notGradedIn: the checks the scenario leaves not graded (out of the
// maximum): image.runs (batch grading runs no image) and, on the dead
// cluster, all but the image checks.
func notGradedIn(sc, id string) bool {
	return id == "image.runs" || (sc == "dead" && !strings.HasPrefix(id, "image."))
}

// expectedPoints: full points for pass, half for the two partial cases
// above, none otherwise.
func expectedPoints(st report.Status, max float64) float64 {
	switch st {
	case report.Pass:
		return max
	case report.Partial:
		return max / 2
	}
	return 0
}

func startSim(t *testing.T) *simcluster.Cluster {
	return simclustertest.StartT(t, simcluster.Options{})
}

// classSize is 30 unless KUBELAB_GRADE_STUDENTS says otherwise (300 for the
// figures in docs/performance.md).
func classSize(t *testing.T) int {
	n := 30
	if v := os.Getenv("KUBELAB_GRADE_STUDENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("KUBELAB_GRADE_STUDENTS=%q: need a number >= 10", v)
		}
	}
	return n
}

// TestGradeClass plays a class of students (mixed scenarios, half before
// and half after the deadline) in one simulated cluster, grades it, and
// checks every score and every number of the dashboard against what the
// scenarios imply; then interrupts and resumes, grades with the read-only
// ServiceAccount of deploy/rbac.yaml, and opens the dashboard in Chromium.
func TestGradeClass(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	reg := registrytest.New(t)
	lab := testLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	n := classSize(t)

	// Five distinct images, shared round robin.
	var images []string
	for i := 0; i < 5; i++ {
		repo := fmt.Sprintf("user%d/hello-flask:latest", i)
		registrytest.Push(t, reg, repo, registrytest.LessonImage(registrytest.AppSource(fmt.Sprintf("# %d\n%s", i, registrytest.AppPy))))
		images = append(images, reg.Ref(repo))
	}
	var class []*classStudent
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("2025%04d", i+1)
		class = append(class, &classStudent{
			Student:  Student{ID: id, Name: fmt.Sprintf("Mahasiswa %d", i+1), Image: images[i%len(images)]},
			scenario: simcluster.Scenarios[i%len(simcluster.Scenarios)].Name,
		})
	}

	// Play the first half, pass the deadline, play the second half.
	t0 := time.Now()
	play := func(group []*classStudent) {
		var wg sync.WaitGroup
		work := make(chan *classStudent)
		errs := make(chan error, len(group))
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range work {
					st := &simcluster.Student{C: c, Namespace: SanitizeNamespace(s.ID), Image: s.Image}
					if err := st.Play(ctx, s.scenario); err != nil {
						errs <- fmt.Errorf("%s (%s): %w", s.ID, s.scenario, err)
					}
				}
			}()
		}
		for _, s := range group {
			work <- s
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	play(class[:n/2])
	deadline := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(deadline.Add(1100 * time.Millisecond)))
	play(class[n/2:])
	for _, s := range class[n/2:] {
		s.late = makesObjects(s.scenario)
	}
	t.Logf("played %d students in %s", n, time.Since(t0).Round(time.Millisecond))
	for _, s := range class {
		if serveApp[s.scenario] {
			stop, err := c.ServeApp(ctx, SanitizeNamespace(s.ID), "hello-flask", simcluster.FlaskStandIn, false)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
		}
	}

	// The roster: semicolon separated with a BOM, as a spreadsheet saves
	// it; the dead student's kubeconfig is relative to the roster.
	dir := t.TempDir()
	dead := testenv.DeadKubeconfig(t)
	if err := os.Rename(dead, filepath.Join(dir, "dead.kubeconfig")); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("\ufeffstudent_id;name;image;kubeconfig\r\n")
	for _, s := range class {
		fmt.Fprintf(&b, "%s;%s;%s;\r\n", s.ID, s.Name, s.Image)
	}
	fmt.Fprintf(&b, "%s;\"Dead; Cluster\";%s;dead.kubeconfig\r\n", deadID, images[0])
	rosterPath := filepath.Join(dir, "class.csv")
	if err := os.WriteFile(rosterPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rosterPath)
	if err != nil {
		t.Fatal(err)
	}
	roster, err := ParseRoster(data, RosterOptions{File: rosterPath})
	if err != nil {
		t.Fatal(err)
	}
	if len(roster) != n+1 {
		t.Fatalf("roster has %d students, want %d", len(roster), n+1)
	}
	class = append(class, &classStudent{Student: Student{ID: deadID, Name: "Dead; Cluster", Image: images[0]}, scenario: "dead"})
	sort.Slice(class, func(i, j int) bool { return class[i].ID < class[j].ID })

	opts := func(out string, requests *atomic.Int64) Options {
		return Options{Lab: lab, Lang: "en", Students: roster, Out: out, Jobs: 4, Timeout: time.Minute,
			Kubeconfig: c.Kubeconfig, Deadline: deadline, LatePolicy: LatePolicy{Kind: "percent", Percent: 10},
			ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
			App:       gather.AppOptions{ServiceProxy: false}, Clock: fixedClock, Requests: requests,
			StudentHTML: func(w io.Writer, r *report.Report) error { return report.WriteHTML(w, r, report.HTMLOptions{}) }}
	}

	full := filepath.Join(t.TempDir(), "class")
	var requests atomic.Int64
	start := time.Now()
	res, err := Run(ctx, opts(full, &requests))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("graded %d students in %s with %d API requests and %d image reads", len(roster), took.Round(time.Millisecond), requests.Load(), res.ImageGathers)
	if res.Graded != n+1 || res.Class == nil {
		t.Fatalf("result: %+v", res)
	}
	if res.ImageGathers != int64(len(images)) {
		t.Errorf("%d image reads, want %d (one per distinct image)", res.ImageGathers, len(images))
	}

	// Every student's every check against the scenario.
	checkStudents(t, lab, class, full)
	// Every number of the summary and of the dashboard.
	checkSummary(t, lab, class, res.Class, full)

	// The API requests are a handful of Lists, whatever the class size:
	// grading 5 students makes as many as grading all of them.
	t.Run("requests do not grow with the class", func(t *testing.T) {
		var few atomic.Int64
		o := opts(t.TempDir(), &few)
		o.Students = roster[:5]
		if _, err := Run(ctx, o); err != nil {
			t.Fatal(err)
		}
		// The dead student's cluster adds the one request that failed.
		if few.Load() != requests.Load()-1 {
			t.Errorf("5 students took %d API requests, %d students %d", few.Load(), len(roster), requests.Load())
		}
		if requests.Load() > 12 {
			t.Errorf("%d API requests for the class, want a handful of Lists", requests.Load())
		}
	})

	t.Run("interrupt and resume", func(t *testing.T) {
		out := t.TempDir()
		ictx, stop := context.WithCancel(ctx)
		defer stop()
		o := opts(out, nil)
		o.Progress = &stopAfter{n: n / 3, stop: stop}
		o.Jobs = 2
		res, err := Run(ictx, o)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Interrupted || res.Graded < n/3 || res.Graded >= len(roster) {
			t.Fatalf("interrupted run: %+v", res)
		}
		files, _ := filepath.Glob(filepath.Join(out, StudentsDir, "*.json"))
		if len(files) != res.Graded {
			t.Errorf("%d results on disk, %d graded", len(files), res.Graded)
		}
		if _, err := os.Stat(filepath.Join(out, IndexFile)); err == nil {
			t.Error("an interrupted run wrote the dashboard")
		}
		o = opts(out, nil)
		o.Resume = true
		res2, err := Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if res2.Skipped != res.Graded || res2.Graded != len(roster)-res.Graded {
			t.Errorf("resume graded %d and skipped %d; the first run graded %d", res2.Graded, res2.Skipped, res.Graded)
		}
		sameFiles(t, full, out, IndexFile, GradesFile, ResultsFile)
	})

	t.Run("read-only ServiceAccount of deploy/rbac.yaml", func(t *testing.T) {
		kc := graderKubeconfig(t, c)
		var rq atomic.Int64
		o := opts(t.TempDir(), &rq)
		o.Students = roster[:n] // the dead student has a kubeconfig of their own
		o.Kubeconfig = kc
		res, err := Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Class.Summary.WithErrors != 0 {
			for _, e := range res.Class.Students {
				for _, ch := range e.Report.Checks {
					if ch.Status == report.Error {
						t.Errorf("%s: %s: %s %v", e.ID, ch.ID, ch.Message, ch.Evidence)
					}
				}
			}
		}
		// The same grades as with the admin's kubeconfig.
		for _, e := range res.Class.Students {
			want := readReport(t, full, e.ID)
			if e.RawScore != want.Score {
				t.Errorf("%s: %g with the grader's account, %g with the admin's", e.ID, e.RawScore, want.Score)
			}
		}
		// Cluster-wide Lists were allowed: no fallback to one per namespace.
		if rq.Load() > 12 {
			t.Errorf("%d API requests: the role does not allow cluster-wide lists", rq.Load())
		}
	})

	t.Run("dashboard in Chromium", func(t *testing.T) {
		checkDashboardInBrowser(t, full, res.Class)
	})

	if os.Getenv("KUBELAB_GRADE_STUDENTS") != "" {
		t.Logf("FIGURES: %d students: %s wall time, %d API requests, %d image reads", len(roster), took.Round(time.Millisecond), requests.Load(), res.ImageGathers)
	}
}

// stopAfter cancels the run once n students are done (Ctrl-C mid-batch).
type stopAfter struct {
	mu   sync.Mutex
	n    int
	done int
	stop func()
}

func (s *stopAfter) Start(int, int) {}
func (s *stopAfter) Finish()        {}
func (s *stopAfter) Done(*report.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done++; s.done == s.n {
		s.stop()
	}
}

func checkStudents(t *testing.T, lab *labs.Lab, class []*classStudent, out string) {
	t.Helper()
	for _, s := range class {
		r := readReport(t, out, s.ID)
		if r.Student.ID != s.ID || r.Student.Name != s.Name {
			t.Errorf("%s: report names %+v", s.ID, r.Student)
		}
		var raw float64
		for _, ch := range r.Checks {
			if ch.ID == LateCheckID {
				continue
			}
			want := expectedStatus(s.scenario, ch.ID)
			if ch.Status != want {
				t.Errorf("%s (%s): %s = %s, want %s: %s", s.ID, s.scenario, ch.ID, ch.Status, want, ch.Message)
			}
			ref := labCheck(lab, ch.ID)
			max := ref.Points
			if ref.Informational {
				max = 0
			}
			raw += expectedPoints(want, max)
		}
		l, ok := LatenessOf(r)
		if !ok || l.Late != s.late {
			t.Errorf("%s (%s): late = %v, want %v", s.ID, s.scenario, l.Late, s.late)
		}
		if r.Score != raw {
			t.Errorf("%s (%s): score %g, want %g", s.ID, s.scenario, r.Score, raw)
		}
		penalty := 0.0
		if s.late {
			penalty = round2(raw * 0.1) // percent:10, one started day
		}
		if l.Penalty != penalty {
			t.Errorf("%s (%s): late penalty %g, want %g", s.ID, s.scenario, l.Penalty, penalty)
		}
		if _, err := os.Stat(studentPath(out, s.ID, ".html")); err != nil {
			t.Errorf("%s: no HTML report: %v", s.ID, err)
		}
	}
}

func checkSummary(t *testing.T, lab *labs.Lab, class []*classStudent, got *Class, out string) {
	t.Helper()
	var wantPassed, wantLate int
	hist := make([]int, 10)
	for _, s := range class {
		// The maximum leaves out the checks not graded.
		var score, max float64
		passed := true
		for _, ref := range lab.Checks() {
			st := expectedStatus(s.scenario, ref.ID)
			if !ref.Informational {
				score += expectedPoints(st, ref.Points)
				if !notGradedIn(s.scenario, ref.ID) {
					max += ref.Points
				}
			}
			if ref.Required && st != report.Pass {
				passed = false
			}
		}
		if round2(100*score/max) < lab.PassPercent {
			passed = false
		}
		if s.late {
			score = round2(score - round2(score*0.1))
			wantLate++
		}
		pct := round2(100 * score / max)
		if passed {
			wantPassed++
		}
		hist[int(math.Min(9, math.Floor(pct/10)))]++
	}
	sum := got.Summary
	if sum.Students != len(class) || sum.Passed != wantPassed || sum.Late != wantLate || sum.WithErrors != 1 || sum.GradingFailed != 0 {
		t.Errorf("summary: %d students, %d passed, %d late, %d with errors, %d failed; want %d, %d, %d, 1, 0",
			sum.Students, sum.Passed, sum.Late, sum.WithErrors, sum.GradingFailed, len(class), wantPassed, wantLate)
	}
	for i, b := range sum.Histogram {
		if b.Count != hist[i] {
			t.Errorf("histogram bucket %d (%g–%g): %d, want %d", i, b.From, b.To, b.Count, hist[i])
		}
	}
	wantPass := map[string]int{}
	for _, s := range class {
		for _, ref := range lab.Checks() {
			if expectedStatus(s.scenario, ref.ID) == report.Pass {
				wantPass[ref.ID]++
			}
		}
	}
	for _, cs := range sum.Checks {
		if cs.Counts[report.Pass] != wantPass[cs.ID] {
			t.Errorf("%s: %d passed, want %d", cs.ID, cs.Counts[report.Pass], wantPass[cs.ID])
		}
		if want := math.Round(float64(wantPass[cs.ID])/float64(len(class))*10000) / 10000; cs.PassRate != want {
			t.Errorf("%s: pass rate %g, want %g", cs.ID, cs.PassRate, want)
		}
	}

	// The same numbers in the files: results.json, and the dashboard's
	// bars, histogram and cards.
	data, err := os.ReadFile(filepath.Join(out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var rj struct {
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal(data, &rj); err != nil {
		t.Fatal(err)
	}
	if rj.Summary.Passed != wantPassed || rj.Summary.Late != wantLate || len(rj.Summary.Checks) != len(lab.Checks()) {
		t.Errorf("results.json summary: %+v", rj.Summary)
	}
	page, err := os.ReadFile(filepath.Join(out, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	bars := regexp.MustCompile(`data-check="([^"]+)" data-pass="(\d+)" data-partial="(\d+)" data-total="(\d+)"`).FindAllStringSubmatch(html, -1)
	if len(bars) != len(lab.Checks()) {
		t.Errorf("%d check bars in the dashboard, want %d", len(bars), len(lab.Checks()))
	}
	for _, m := range bars {
		if p, _ := strconv.Atoi(m[2]); p != wantPass[m[1]] || m[4] != strconv.Itoa(len(class)) {
			t.Errorf("dashboard bar %s: %s/%s passed, want %d/%d", m[1], m[2], m[4], wantPass[m[1]], len(class))
		}
	}
	buckets := regexp.MustCompile(`data-bucket="(\d+)" data-from="[^"]*" data-to="[^"]*" data-count="(\d+)"`).FindAllStringSubmatch(html, -1)
	if len(buckets) != 10 {
		t.Errorf("%d histogram buckets in the dashboard, want 10", len(buckets))
	}
	for _, m := range buckets {
		i, _ := strconv.Atoi(m[1])
		if m[2] != strconv.Itoa(hist[i]) {
			t.Errorf("dashboard bucket %d: %s, want %d", i, m[2], hist[i])
		}
	}
	for name, want := range map[string]int{"students": len(class), "passed": wantPassed, "late": wantLate, "with-errors": 1} {
		if !strings.Contains(html, fmt.Sprintf(`data-count="%s">%d<`, name, want)) {
			t.Errorf("dashboard card %s is not %d", name, want)
		}
	}
	if !strings.Contains(stdhtml.UnescapeString(html), `http-equiv="Content-Security-Policy" content="`+DashboardCSP+`"`) {
		t.Error("dashboard has no CSP meta")
	}
}

// graderKubeconfig applies deploy/rbac.yaml and returns a kubeconfig with a
// token of its ServiceAccount.
func graderKubeconfig(t *testing.T, c *simcluster.Cluster) string {
	t.Helper()
	ctx := context.Background()
	if out, err := c.Kubectl(ctx, "apply", "-f", filepath.Join("..", "deploy", "rbac.yaml")); err != nil {
		t.Fatalf("kubectl apply -f deploy/rbac.yaml: %v\n%s", err, out)
	}
	// The Job manifests are valid for this API server.
	if out, err := c.Kubectl(ctx, "apply", "--dry-run=server", "-f", filepath.Join("..", "deploy", "job.yaml"), "-f", filepath.Join("..", "deploy", "merge-job.yaml")); err != nil {
		t.Errorf("deploy/job.yaml: %v\n%s", err, out)
	}
	token, err := c.Kubectl(ctx, "-n", "kubelab", "create", "token", "kubelab-grader", "--duration=1h")
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, c.CACert(), 0o644); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "grader.kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster: {server: %q, certificate-authority: %q}
users:
- name: kubelab-grader
  user: {token: %q}
contexts:
- name: grader
  context: {cluster: sim, user: kubelab-grader}
current-context: grader
`, c.Server, ca, strings.TrimSpace(token))
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The account may read but not write.
	if out, err := c.KubectlAs(ctx, kc, "auth", "can-i", "create", "deployments", "-A"); err == nil || !strings.Contains(out, "no") {
		t.Errorf("the grader may create deployments: %v %s", err, out)
	}
	return kc
}

func checkDashboardInBrowser(t *testing.T, out string, class *Class) {
	srv := httptest.NewUnstartedServer(http.FileServer(http.Dir(out)))
	srv.Start()
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s", srv.URL)
	}
	b := browser.New(t)
	var ids []string
	var bars, buckets int
	var csp string
	readOrder := chromedp.Evaluate(`Array.from(document.querySelectorAll("#grades tbody tr")).map(r => r.dataset.id)`, &ids)
	b.Run(t, 30*time.Second,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#grades", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("svg rect.bar-pass").length`, &bars),
		chromedp.Evaluate(`document.querySelectorAll("svg g[data-bucket] rect.hist-bar").length`, &buckets),
		chromedp.Evaluate(`document.querySelector('meta[http-equiv="Content-Security-Policy"]').content`, &csp),
		readOrder,
	)
	// The dashboard allows its one script by hash, never 'unsafe-inline'.
	if csp != DashboardCSP || strings.Contains(csp, "script-src 'unsafe-inline'") {
		t.Errorf("the page's CSP is %q, want %q", csp, DashboardCSP)
	}
	if bars != len(class.Summary.Checks) || buckets != 10 {
		t.Errorf("%d pass-rate bars and %d histogram bars, want %d and 10", bars, buckets, len(class.Summary.Checks))
	}
	byID := func() []string {
		var out []string
		for _, e := range class.Students {
			out = append(out, e.ID)
		}
		return out
	}()
	if strings.Join(ids, ",") != strings.Join(byID, ",") {
		t.Errorf("first order %v, want by id %v", ids, byID)
	}
	// Click "Score": ascending by score, ties by id; again: descending.
	want := append([]StudentEntry(nil), class.Students...)
	sort.SliceStable(want, func(i, j int) bool {
		if want[i].Score != want[j].Score {
			return want[i].Score < want[j].Score
		}
		return want[i].ID < want[j].ID
	})
	var asc []string
	for _, e := range want {
		asc = append(asc, e.ID)
	}
	b.Run(t, 10*time.Second, chromedp.Click(`#grades thead th:nth-child(3)`, chromedp.ByQuery), readOrder)
	if strings.Join(ids, ",") != strings.Join(asc, ",") {
		t.Errorf("after sorting by score: %v, want %v", ids, asc)
	}
	sort.SliceStable(want, func(i, j int) bool {
		if want[i].Score != want[j].Score {
			return want[i].Score > want[j].Score
		}
		return want[i].ID < want[j].ID
	})
	var desc []string
	for _, e := range want {
		desc = append(desc, e.ID)
	}
	b.Run(t, 10*time.Second, chromedp.Click(`#grades thead th:nth-child(3)`, chromedp.ByQuery), readOrder)
	if strings.Join(ids, ",") != strings.Join(desc, ",") {
		t.Errorf("after sorting by score again: %v, want %v", ids, desc)
	}
	// The picture: sorted by id again, the whole page (up to 3000px).
	var height int64
	b.Run(t, 10*time.Second, chromedp.Click(`#grades thead th:nth-child(1)`, chromedp.ByQuery), readOrder,
		chromedp.Evaluate(`Math.min(3000, document.documentElement.scrollHeight)`, &height))
	if strings.Join(ids, ",") != strings.Join(byID, ",") {
		t.Errorf("after sorting by id: %v, want %v", ids, byID)
	}
	b.Run(t, 10*time.Second, chromedp.EmulateViewport(1280, height))
	p := b.Screenshot(t, "dashboard")
	t.Logf("screenshot: %s", p)
	if f := b.Foreign(srv.URL); len(f) > 0 {
		t.Errorf("the dashboard made requests beyond the page's origin: %v", f)
	}
	for _, r := range b.Requests() {
		if r != srv.URL+"/" && r != srv.URL+"/favicon.ico" {
			t.Errorf("the dashboard fetched %s", r)
		}
	}
}

// labCheck is the lab's check id.
func labCheck(lab *labs.Lab, id string) *labs.CheckRef {
	for _, c := range lab.Checks() {
		if c.ID == id {
			return c
		}
	}
	return nil
}
