package grade

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/snapshot"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

func testLab(t testing.TB) *labs.Lab {
	t.Helper()
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var fixedTime = time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedTime }

func statusOf(r *report.Report, id string) report.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

func readReport(t *testing.T, out, id string) *report.Report {
	t.Helper()
	r, err := report.ReadFile(studentPath(out, id, ".json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// offlineClass is a class on a dead cluster with images on a test
// registry: alice's image under two tags (one digest), bob's with the wrong
// WORKDIR, carol's never pushed.
func offlineClass(t *testing.T, reg *registrytest.Registry) []Student {
	registrytest.Push(t, reg, "alice/app:latest", registrytest.LessonImage())
	registrytest.Push(t, reg, "alice/app:v1", registrytest.LessonImage())
	registrytest.Push(t, reg, "bob/app:latest", registrytest.LessonImage(registrytest.WrongWorkdir()))
	var st []Student
	add := func(id, img string) {
		st = append(st, Student{ID: id, Name: "Student " + id, Image: reg.Ref(img), Namespace: SanitizeNamespace(id)})
	}
	add("s1", "alice/app:latest")
	add("s2", "alice/app:latest")
	add("s3", "alice/app:v1")
	add("s4", "bob/app:latest")
	add("s5", "bob/app")
	add("s6", "carol/app:latest")
	add("s7", "alice/app:latest")
	add("s8", "alice/app:latest")
	add("s9", "alice/app:latest")
	return st
}

// TestBatchErrorRowsAndSharedImages: a panic, a hang and a dead cluster are
// each that student's error row while the others are graded; each distinct
// image digest is read once.
func TestBatchErrorRowsAndSharedImages(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	students := offlineClass(t, reg)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	out := t.TempDir()
	res, err := Run(context.Background(), Options{
		Lab: testLab(t), Lang: "en", Students: students, Out: out, Jobs: 3, Timeout: 3 * time.Second,
		Kubeconfig: testenv.DeadKubeconfig(t), ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		Clock: fixedClock, grace: 200 * time.Millisecond,
		beforeStudent: func(ctx context.Context, s Student) {
			switch s.ID {
			case "s7":
				panic("a bug in a judge")
			case "s8":
				<-release // hangs, ignoring its context
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Graded != 9 || res.Interrupted || res.Class == nil {
		t.Fatalf("result %+v", res)
	}
	for _, s := range students {
		r := readReport(t, out, s.ID)
		switch s.ID {
		case "s7", "s8":
			if !IsErrorRow(r) || r.Score != 0 {
				t.Errorf("%s: want an error row, got %v score %g", s.ID, r.Counts, r.Score)
			}
			want := map[string]string{"s7": "internal error: a bug in a judge", "s8": "did not finish within 3s"}[s.ID]
			if !strings.Contains(r.Checks[0].Message, want) {
				t.Errorf("%s: message %q lacks %q", s.ID, r.Checks[0].Message, want)
			}
		default:
			if IsErrorRow(r) {
				t.Errorf("%s is an error row", s.ID)
			}
			if st := statusOf(r, "cluster.reachable"); st != report.Error {
				t.Errorf("%s: cluster.reachable = %s on a dead cluster, want error", s.ID, st)
			}
			want := map[string]report.Status{"s4": report.Fail, "s5": report.Fail, "s6": report.Skipped}[s.ID]
			if want == "" {
				want = report.Pass
			}
			if st := statusOf(r, "image.workdir"); st != want {
				t.Errorf("%s: image.workdir = %s, want %s", s.ID, st, want)
			}
			if s.ID == "s6" && statusOf(r, "image.pushed") != report.Fail {
				t.Errorf("s6: image.pushed = %s, want fail (never pushed)", statusOf(r, "image.pushed"))
			}
		}
	}
	// Three distinct images were read (alice's digest, bob's, carol's
	// missing one); the manifest of each existing digest once.
	if res.ImageGathers != 3 {
		t.Errorf("%d image gathers, want 3", res.ImageGathers)
	}
	if n := reg.Count(registrytest.GetManifest); n != 2 {
		t.Errorf("%d manifest GETs, want 2 (one per digest): %v", n, reg.Counts())
	}
	if c := res.Class.Summary; c.Students != 9 || c.GradingFailed != 2 || c.WithErrors != 9 {
		t.Errorf("summary %+v", c)
	}
	for _, f := range []string{IndexFile, GradesFile, ResultsFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRateLimitPausesEveryRequest: a 429 with Retry-After pauses every
// worker's registry requests, then the gather is tried once more.
func TestRateLimitPausesEveryRequest(t *testing.T) {
	reg := registrytest.New(t)
	var students []Student
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		registrytest.Push(t, reg, "u"+id+"/app:latest", registrytest.LessonImage(registrytest.AppSource("# "+id+"\n"+registrytest.AppPy)))
		students = append(students, Student{ID: id, Name: id, Image: reg.Ref("u" + id + "/app:latest"), Namespace: id})
	}
	var mu sync.Mutex
	var limitedAt time.Time
	var times []time.Time
	reg.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		times = append(times, now)
		if registrytest.KindOf(r) == registrytest.GetManifest && limitedAt.IsZero() {
			limitedAt = now
		}
		if !limitedAt.IsZero() && now.Sub(limitedAt) < time.Second {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`))
			return true
		}
		return false
	})
	lab := testLab(t)
	var only []*labs.Step
	for _, st := range lab.Steps {
		if st.ID == "docker-push" {
			only = append(only, st)
		}
	}
	l := *lab
	l.Steps = only
	res, err := Run(context.Background(), Options{Lab: &l, Students: students, Out: t.TempDir(), Jobs: 4,
		ImageOpts: gather.ImageOptions{Insecure: true}, Kubeconfig: testenv.DeadKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Class.Students {
		if st := statusOf(e.Report, "image.pushed"); st != report.Pass {
			t.Errorf("%s: image.pushed = %s: %s", e.ID, st, e.Report.Checks[0].Message)
		}
	}
	if res.RateLimitRetries < 1 {
		t.Errorf("no retry after the 429")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, tm := range times {
		if d := tm.Sub(limitedAt); d > 200*time.Millisecond && d < 900*time.Millisecond {
			t.Errorf("a request %s after the 429, during the pause", d)
		}
	}
}

// runOffline grades the offline class into out with a fixed clock.
func runOffline(t *testing.T, ctx context.Context, students []Student, out string, mod func(*Options)) *Result {
	t.Helper()
	opt := Options{Lab: testLab(t), Lang: "en", Students: students, Out: out, Jobs: 1, Timeout: 10 * time.Second,
		Kubeconfig: testenv.DeadKubeconfig(t), ImageOpts: gather.ImageOptions{Insecure: true},
		Clock: fixedClock, Deadline: fixedTime.Add(-time.Hour), LatePolicy: LatePolicy{Kind: "percent", Percent: 10}}
	if mod != nil {
		mod(&opt)
	}
	res, err := Run(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sameFiles(t *testing.T, a, b string, names ...string) {
	t.Helper()
	for _, n := range names {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", n, a, b)
		}
	}
}

// TestInterruptResumeShardsMerge: an interrupted run keeps what it
// finished; --resume grades the rest and writes the same bytes as an
// uninterrupted run; so does merging shards.
func TestInterruptResumeShardsMerge(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	students := offlineClass(t, reg)
	full := t.TempDir()
	runOffline(t, context.Background(), students, full, nil)

	part := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := runOffline(t, ctx, students, part, func(o *Options) {
		o.beforeStudent = func(sctx context.Context, s Student) {
			if s.ID == "s5" {
				cancel() // Ctrl-C while s5 is being graded
				<-sctx.Done()
			}
		}
	})
	if !res.Interrupted || res.Graded != 4 {
		t.Fatalf("interrupted run: %+v", res)
	}
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		if _, err := os.Stat(studentPath(part, id, ".json")); err != nil {
			t.Errorf("finished result of %s not kept: %v", id, err)
		}
	}
	for _, id := range []string{"s5", "s6"} {
		if _, err := os.Stat(studentPath(part, id, ".json")); err == nil {
			t.Errorf("%s has a result though it was not finished", id)
		}
	}
	if _, err := os.Stat(filepath.Join(part, ResultsFile)); err == nil {
		t.Error("results.json written by an interrupted run")
	}
	if _, err := Run(context.Background(), Options{Lab: testLab(t), Students: students, Out: part}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("a second run without --resume: %v", err)
	}
	res = runOffline(t, context.Background(), students, part, func(o *Options) { o.Resume = true })
	if res.Skipped != 4 || res.Graded != 5 {
		t.Errorf("resumed run: %+v", res)
	}
	sameFiles(t, full, part, IndexFile, GradesFile, ResultsFile)

	var shards []string
	for i := 0; i < 3; i++ {
		d := t.TempDir()
		runOffline(t, context.Background(), students, d, func(o *Options) { o.Shard = Shard{Index: i, Count: 3} })
		shards = append(shards, d)
	}
	merged := t.TempDir()
	if _, err := Merge(shards, merged, nil); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, full, merged, IndexFile, GradesFile, ResultsFile)
	if _, err := Merge([]string{shards[0], shards[0]}, t.TempDir(), nil); err == nil {
		t.Error("merging a shard twice is not an error")
	}
	if _, err := Merge([]string{part, t.TempDir()}, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("merging an unfinished run: %v", err)
	}
}

func TestShardsPartition(t *testing.T) {
	for n := 1; n <= 5; n++ {
		for i := 0; i < 200; i++ {
			id := "student-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			hits := 0
			for k := 0; k < n; k++ {
				if (Shard{Index: k, Count: n}).Has(id) {
					hits++
				}
			}
			if hits != 1 {
				t.Fatalf("%s is in %d of %d shards", id, hits, n)
			}
		}
	}
	for _, bad := range []string{"", "1", "3/3", "-1/2", "a/b", "1/0", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if s, err := ParseShard("2/4"); err != nil || s != (Shard{2, 4}) {
		t.Errorf("ParseShard(2/4) = %v, %v", s, err)
	}
}

func TestLatePolicy(t *testing.T) {
	deadline := time.Date(2025, 3, 10, 23, 59, 0, 0, time.UTC)
	snap := func(created time.Time) *snapshot.Snapshot {
		return &snapshot.Snapshot{Image: &snapshot.ImageInfo{Config: &snapshot.ImageConfig{Created: created}}}
	}
	base := func() *report.Report {
		r := &report.Report{Student: report.Student{ID: "s1"}, Steps: []report.Step{{ID: "s"}}, Checks: []report.Result{{ID: "x", Step: "s", Status: report.Pass, Points: 80, MaxPoints: 100}}}
		report.Summarize(r)
		return r
	}
	cases := []struct {
		policy  string
		created time.Time
		late    bool
		days    int
		score   float64
	}{
		{"none", deadline.Add(-time.Hour), false, 0, 80},
		{"none", deadline.Add(time.Minute), true, 1, 80},
		{"percent:10", deadline.Add(time.Minute), true, 1, 72},
		{"percent:10", deadline.Add(25 * time.Hour), true, 2, 64},
		{"percent:50", deadline.Add(80 * time.Hour), true, 4, 0},
		{"zero", deadline.Add(time.Second), true, 1, 0},
		{"zero", deadline, false, 0, 80},
	}
	for _, tc := range cases {
		pol, err := ParseLatePolicy(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		r := base()
		applyLate(r, snap(tc.created), deadline, pol, "en")
		l, ok := LatenessOf(r)
		if grade := r.Score - l.Penalty; !ok || l.Late != tc.late || l.Days != tc.days || grade != tc.score || r.Score != 80 {
			t.Errorf("%s, created %s: late=%v days=%d grade=%g (report %g), want %v %d %g", tc.policy, tc.created, l.Late, l.Days, grade, r.Score, tc.late, tc.days, tc.score)
		}
		c, err := NewClass([]*report.Report{r})
		if err != nil || c.Students[0].Score != tc.score || c.Students[0].Percent != tc.score {
			t.Errorf("%s: class entry %+v, %v", tc.policy, c.Students[0], err)
		}
	}
	for _, bad := range []string{"half", "percent:", "percent:0", "percent:101", "percent:x"} {
		if _, err := ParseLatePolicy(bad); err == nil {
			t.Errorf("ParseLatePolicy(%q) accepted", bad)
		}
	}
	jakarta := time.FixedZone("WIB", 7*3600)
	d, err := ParseDeadline("2025-03-10 23:59", jakarta)
	if err != nil || !d.Equal(time.Date(2025, 3, 10, 16, 59, 0, 0, time.UTC)) {
		t.Errorf("local deadline: %v %v", d, err)
	}
	d, err = ParseDeadline("2025-03-10T23:59:00+07:00", time.UTC)
	if err != nil || !d.Equal(time.Date(2025, 3, 10, 16, 59, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339 deadline: %v %v", d, err)
	}
	if _, err := ParseDeadline("10/03/2025", nil); err == nil {
		t.Error("ambiguous deadline accepted")
	}
}

// TestGradesCSVFormulaSafe: names a spreadsheet would run are quoted out.
func TestGradesCSVFormulaSafe(t *testing.T) {
	lab := testLab(t)
	var reports []*report.Report
	for i, name := range []string{"=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "Budi, S.", " =x"} {
		reports = append(reports, ErrorReport(lab, "en", Student{ID: string(rune('a' + i)), Name: name}, "ns", "test", fixedTime))
	}
	c, err := NewClass(reports)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0][:6], ",") != "student_id,name,score,max_score,percent,late" {
		t.Errorf("header %v", rows[0])
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q could run as a formula", cell)
			}
		}
	}
	if rows[5][1] != "Budi, S." {
		t.Errorf("plain name changed: %q", rows[5][1])
	}
}

// TestRunImagesOncePerDigest: with RunImages, each distinct digest runs
// once, whatever the number of students and tags; without it image.runs is
// skipped and nothing runs.
func TestRunImagesOncePerDigest(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	students := offlineClass(t, reg)
	var mu sync.Mutex
	runs := map[string]int{}
	probe := func(ctx context.Context, ref string, opt gather.RunOptions) *snapshot.RunProbe {
		mu.Lock()
		runs[ref]++
		mu.Unlock()
		return &snapshot.RunProbe{HTTPStatus: 200, Body: "Hello"}
	}
	res := runOffline(t, context.Background(), students, t.TempDir(), func(o *Options) {
		o.RunImages, o.probeRun, o.Jobs = true, probe, 4
	})
	if len(runs) != 2 {
		t.Errorf("ran %v, want alice's and bob's digests once each", runs)
	}
	for ref, n := range runs {
		if n != 1 || !strings.Contains(ref, "@sha256:") {
			t.Errorf("%s ran %d times (want once, pinned to its digest)", ref, n)
		}
	}
	for _, e := range res.Class.Students {
		want := report.Pass
		if e.ID == "s6" { // never pushed
			want = report.Skipped
		}
		if st := statusOf(e.Report, "image.runs"); st != want {
			t.Errorf("%s: image.runs = %s, want %s", e.ID, st, want)
		}
	}

	runs = map[string]int{}
	res = runOffline(t, context.Background(), students, t.TempDir(), func(o *Options) { o.probeRun = probe })
	if len(runs) != 0 {
		t.Errorf("images ran without RunImages: %v", runs)
	}
	if r := res.Class.Students[0].Report; statusOf(r, "image.runs") != report.Skipped {
		t.Errorf("image.runs = %s without RunImages, want skipped", statusOf(r, "image.runs"))
	}
}

func TestProgress(t *testing.T) {
	r := &report.Report{Student: report.Student{ID: "1", Name: "Budi\x1b[31m"}, Score: 80, MaxScore: 100, Passed: true,
		Counts: map[report.Status]int{report.Error: 1}}
	var plain bytes.Buffer
	p := NewProgress(&plain, false)
	p.Start(3, 1)
	p.Done(r)
	p.Finish()
	if got := plain.String(); got != "resuming: 1 of 3 students already graded\n[2/3] 1 Budi[31m: 80/100 (passed, 1 error(s))\n" {
		t.Errorf("plain progress:\n%q", got)
	}
	var tty bytes.Buffer
	clock := fixedTime
	pp := &progress{w: &tty, tty: true, now: func() time.Time { return clock }}
	pp.Start(4, 0)
	clock = clock.Add(10 * time.Second)
	pp.Done(r)
	if got := tty.String(); !strings.Contains(got, "\r\x1b[K[#######.......................] 1/4  25% ETA 0:30") {
		t.Errorf("terminal progress:\n%q", got)
	}
	if strings.Contains(tty.String(), "\x1b[31m") {
		t.Error("a name's escape sequence reached the terminal")
	}
}
