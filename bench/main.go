// Command bench measures kubelab grade on the simulated cluster: classes of
// 30, 300 and 1000 students in one shared cluster (a namespace per student,
// the simulator's scenarios mixed), graded by the real kubelab binary with
// the image checks served from a warm cache, against the kubectl script a
// lecturer would otherwise write (bench/baseline.sh). It writes
// bench/results.json and bench/results.md and, with -readme, the table in
// the README's Performance section.
//
//	make bench        # go run ./bench -kubelab bin/kubelab -readme README.md
//
// Every listener is on 127.0.0.1; pod IPs are never dialled (the grader runs
// with --no-service-proxy and KUBELAB_ALLOW_NETS=127.0.0.0/8).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/report"
)

// Results is bench/results.json.
type Results struct {
	Date        string `json:"date"`
	Machine     string `json:"machine"`
	CPUs        int    `json:"cpus"`
	LoadAverage string `json:"load_average_at_start"`
	GoVersion   string `json:"go_version"`
	Kubelab     string `json:"kubelab_version"`
	Jobs        int    `json:"jobs"`
	Repeat      int    `json:"repeat"`
	// PopulateSeconds is how long creating the students and letting the
	// cluster settle took, per size (not part of any measurement).
	PopulateSeconds map[string]float64 `json:"populate_seconds"`
	// Validated: every populated student was graded exactly like the
	// student of the same scenario played with the real kubectl.
	Validated string `json:"validated"`
	Sizes     []Size `json:"sizes"`
	Targets   string `json:"targets"`
	// GoBench are the lines of go test -bench for judging a synthetic
	// class of 10 000 (checks/bench_test.go).
	GoBench []string `json:"go_bench"`
}

// Size is one class size's figures.
type Size struct {
	Students int `json:"students"`
	// WallSeconds is the median wall time of kubelab grade (Runs holds
	// each run's).
	WallSeconds float64   `json:"wall_seconds"`
	Runs        []float64 `json:"runs_seconds"`
	APIRequests int64     `json:"api_requests"`
	ImageReads  int64     `json:"image_reads"`
	PeakRSSMB   float64   `json:"peak_rss_mb"`
	WithErrors  int       `json:"students_with_errors"`
	// Baseline: the kubectl script, measured on BaselineSample students
	// and, when that is fewer than Students, extrapolated linearly.
	BaselineSample         int     `json:"baseline_sample"`
	BaselineSampleSeconds  float64 `json:"baseline_sample_seconds"`
	BaselineSeconds        float64 `json:"baseline_seconds"`
	BaselineExtrapolated   bool    `json:"baseline_extrapolated"`
	BaselineKubectlCalls   int     `json:"baseline_kubectl_calls"`
	Speedup                float64 `json:"speedup"`
	BaselineOneCallSeconds float64 `json:"baseline_one_call_seconds"`
	SpeedupOneCall         float64 `json:"speedup_one_call"`
	// Shards is the class graded as --shard I/N runs, one after the other,
	// then merged (set for the largest size with -shards).
	Shards *Shards `json:"shards,omitempty"`
}

// Shards are the figures of grading a class in shards and merging them.
type Shards struct {
	Count int `json:"count"`
	// WallSeconds and PeakRSSMB are each shard's; APIRequests their sum.
	WallSeconds []float64 `json:"wall_seconds"`
	PeakRSSMB   []float64 `json:"peak_rss_mb"`
	APIRequests int64     `json:"api_requests"`
	// Merge is kubelab grade merge of the shards' directories.
	MergeSeconds   float64 `json:"merge_seconds"`
	MergePeakRSSMB float64 `json:"merge_peak_rss_mb"`
	// Identical: the merged directory holds the same files, byte for byte,
	// as the single run's (SOURCE_DATE_EPOCH fixes the times written).
	Identical bool   `json:"identical"`
	Files     int    `json:"files_compared"`
	Diff      string `json:"diff,omitempty"`
}

type options struct {
	kubelab, outDir, readme, work string
	sizes                         []int
	sample, jobs, repeat, images  int
	repeatLarge, largeFrom        int
	shards                        int
	goBench, renderOnly           bool
}

func main() {
	var o options
	var sizes string
	flag.StringVar(&o.kubelab, "kubelab", "bin/kubelab", "the kubelab binary to measure (built with go build)")
	flag.StringVar(&sizes, "sizes", "30,300,1000,10000", "class sizes, ascending; one cluster grows through them")
	flag.IntVar(&o.sample, "baseline-sample", 30, "students the kubectl baseline is measured on (extrapolated linearly to larger classes)")
	flag.IntVar(&o.jobs, "jobs", 4, "kubelab grade --jobs")
	flag.IntVar(&o.repeat, "repeat", 3, "timed runs per size (the median is reported)")
	flag.IntVar(&o.repeatLarge, "repeat-large", 1, "timed runs of a size of at least -large students")
	flag.IntVar(&o.largeFrom, "large", 5000, "a class this size or larger is run -repeat-large times")
	flag.IntVar(&o.shards, "shards", 4, "also grade the largest class as this many --shard runs and merge them (0: no)")
	flag.IntVar(&o.images, "images", 5, "distinct images shared by the class")
	flag.StringVar(&o.outDir, "out", "bench", "where results.json and results.md go")
	flag.StringVar(&o.readme, "readme", "", "also put the table into this README between the bench markers")
	flag.StringVar(&o.work, "work", "", "working directory (default: a temp dir, removed after)")
	flag.BoolVar(&o.goBench, "gobench", true, "also run the Go benchmarks of judging 10 000 students (go test -bench)")
	flag.BoolVar(&o.renderOnly, "render-only", false, "measure nothing: write results.md (and the README table) again from results.json")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || (len(o.sizes) > 0 && n <= o.sizes[len(o.sizes)-1]) {
			log.Fatalf("-sizes %q: want ascending positive numbers", sizes)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.renderOnly {
		data, err := os.ReadFile(filepath.Join(o.outDir, "results.json"))
		if err != nil {
			log.Fatal(err)
		}
		var res Results
		if err := json.Unmarshal(data, &res); err != nil {
			log.Fatal(err)
		}
		if err := write(o, &res); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func say(format string, a ...any) { fmt.Printf("==> "+format+"\n", a...) }

func run(o options) error {
	var err error
	if o.kubelab, err = filepath.Abs(o.kubelab); err != nil {
		return err
	}
	if _, err := os.Stat(o.kubelab); err != nil {
		return fmt.Errorf("the kubelab binary: %w (run make build)", err)
	}
	if o.work == "" {
		if o.work, err = os.MkdirTemp("", "kubelab-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.work)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	res := &Results{Date: time.Now().UTC().Format(time.RFC3339), Machine: cpuModel(), CPUs: runtime.NumCPU(),
		LoadAverage: loadAverage(), GoVersion: runtime.Version(), Kubelab: kubelabVersion(o.kubelab),
		Jobs: o.jobs, Repeat: o.repeat, PopulateSeconds: map[string]float64{},
		Targets: "1000 students: under 10 s wall time with image checks from the cache, at least 20x faster than the kubectl baseline; 10 000 students: under 20 s; API requests independent of the class size; under 300 MB peak memory, not growing linearly with the class; the merged shards byte-identical to one run"}

	say("starting the simulated cluster")
	largest := o.sizes[len(o.sizes)-1]
	c, err := simcluster.Start(ctx, simcluster.Options{Dir: filepath.Join(o.work, "cluster"),
		NodePortWindows: nodePortWindows(largest)})
	if err != nil {
		return err
	}
	defer c.Stop()
	// The simulated node holds 1000 pods, as kwok makes it; a class of
	// 10 000 needs room for one pod per student.
	if largest > 900 {
		pods := strconv.Itoa(largest + 1000)
		if out, err := c.Kubectl(ctx, "patch", "node", c.NodeName, "--subresource=status", "--type=merge",
			"-p", `{"status":{"capacity":{"pods":"`+pods+`"},"allocatable":{"pods":"`+pods+`"}}}`); err != nil {
			return fmt.Errorf("making room for %s pods on the node: %v\n%s", pods, err, out)
		}
	}

	say("starting a registry on 127.0.0.1 with %d images", o.images)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	var images []string
	for i := 0; i < o.images; i++ {
		ref := fmt.Sprintf("%s/user%d/hello-flask:latest", l.Addr(), i)
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			return err
		}
		img := registrytest.LessonImage(registrytest.AppSource(fmt.Sprintf("# %d\n%s", i, registrytest.AppPy)))
		if err := remote.Write(r, img); err != nil {
			return err
		}
		images = append(images, ref)
	}

	// One student per scenario played with the real kubectl: the reference
	// the populated students are checked against.
	say("playing one reference student per scenario with kubectl")
	var refs []grade.Student
	refScenario := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, len(simcluster.Scenarios))
	for _, sc := range simcluster.Scenarios {
		ns := "ref-" + sc.Name
		refs = append(refs, grade.Student{ID: ns, Name: "Reference " + sc.Name, Image: images[0], Namespace: ns})
		refScenario[ns] = sc.Name
		wg.Add(1)
		go func(sc string) {
			defer wg.Done()
			st := &simcluster.Student{C: c, Namespace: ns, Image: images[0]}
			if err := st.Play(ctx, sc); err != nil {
				errs <- err
			}
		}(sc.Name)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	served := simcluster.AppAnswers
	var toServe []string
	for ns, sc := range refScenario {
		if served[sc] {
			toServe = append(toServe, ns+"/hello-flask")
		}
	}
	stop, err := c.ServeNodePorts(ctx, toServe, simcluster.FlaskStandIn)
	if err != nil {
		return err
	}
	defer stop()

	var class []grade.Student
	scenarioOf := map[string]string{}
	cache := filepath.Join(o.work, "image-cache")
	// SOURCE_DATE_EPOCH fixes the times written, so the merged shards can
	// be compared byte for byte with one run.
	env := append(os.Environ(), "KUBELAB_ALLOW_NETS=127.0.0.0/8", "KUBECONFIG="+c.Kubeconfig, "HOME="+filepath.Join(o.work, "home"),
		"SOURCE_DATE_EPOCH=1764547200")
	for si, n := range o.sizes {
		say("populating the cluster to %d students", n)
		t0 := time.Now()
		var add []simcluster.BulkStudent
		toServe = nil
		for i := len(class); i < n; i++ {
			id := fmt.Sprintf("2025%04d", i+1)
			sc := simcluster.Scenarios[i%len(simcluster.Scenarios)].Name
			ns := grade.SanitizeNamespace(id)
			st := grade.Student{ID: id, Name: fmt.Sprintf("Mahasiswa %d", i+1), Image: images[i%len(images)], Namespace: ns}
			class = append(class, st)
			scenarioOf[id] = sc
			add = append(add, simcluster.BulkStudent{Namespace: ns, Image: st.Image, Scenario: sc})
			if served[sc] {
				toServe = append(toServe, ns+"/hello-flask")
			}
		}
		if err := c.Populate(ctx, add); err != nil {
			return err
		}
		stop, err := c.ServeNodePorts(ctx, toServe, simcluster.FlaskStandIn)
		if err != nil {
			return err
		}
		defer stop()
		res.PopulateSeconds[strconv.Itoa(n)] = round(time.Since(t0).Seconds(), 1)
		say("%d students ready in %s", n, time.Since(t0).Round(time.Second))

		if si == 0 {
			// Warm the image cache, and check that every populated student
			// is graded like the reference of their scenario.
			say("warm-up run (fills the image cache) with the reference students")
			out := filepath.Join(o.work, "warm")
			roster := append(append([]grade.Student(nil), class...), refs...)
			if _, err := gradeRun(ctx, o, env, c.Kubeconfig, cache, roster, out); err != nil {
				return err
			}
			// A populated student graded unlike the kubectl-played
			// reference is reported (results.md says so), not hidden, and
			// the measurements go on.
			msg, err := validate(out, scenarioOf, refScenario)
			if err != nil {
				msg = "NOT validated: " + strings.ReplaceAll(err.Error(), "\n", " ")
				if len(msg) > 1500 {
					msg = msg[:1500] + " …"
				}
			}
			res.Validated = msg
			say("%s", msg)
		}

		sz := Size{Students: n}
		repeat := o.repeat
		if n >= o.largeFrom {
			repeat = o.repeatLarge
		}
		for r := 0; r < repeat; r++ {
			out := filepath.Join(o.work, fmt.Sprintf("class-%d-%d", n, r))
			m, err := gradeRun(ctx, o, env, c.Kubeconfig, cache, class, out)
			if err != nil {
				return err
			}
			if r > 0 {
				os.RemoveAll(out) // run 0 stays, for the shards to be compared with
			}
			sz.Runs = append(sz.Runs, round(m.wall.Seconds(), 2))
			sz.PeakRSSMB = max(sz.PeakRSSMB, round(float64(m.maxRSSKB)/1024, 1))
			sz.APIRequests, sz.ImageReads, sz.WithErrors = m.stats.APIRequests, m.stats.ImageReads, m.withErrors
			say("kubelab grade, %d students: %s, %d API requests, %d image reads, peak RSS %.1f MB",
				n, m.wall.Round(time.Millisecond), m.stats.APIRequests, m.stats.ImageReads, float64(m.maxRSSKB)/1024)
		}
		sz.WallSeconds = median(sz.Runs)
		if o.shards > 1 && si == len(o.sizes)-1 {
			say("grading the %d students as %d shards, then merging", n, o.shards)
			if sz.Shards, err = shardRun(ctx, o, env, c.Kubeconfig, cache, class, filepath.Join(o.work, fmt.Sprintf("class-%d-0", n))); err != nil {
				return err
			}
			sh := sz.Shards
			say("shards: %v s, %d API requests in all, peak RSS %v MB; merge %.2f s, %.1f MB; byte-identical to one run: %v (%d files)",
				sh.WallSeconds, sh.APIRequests, sh.PeakRSSMB, sh.MergeSeconds, sh.MergePeakRSSMB, sh.Identical, sh.Files)
		}
		os.RemoveAll(filepath.Join(o.work, fmt.Sprintf("class-%d-0", n)))

		sample := min(n, o.sample)
		nss := make([]string, sample)
		for i := range nss {
			// An even spread over the class: every scenario is in the sample.
			nss[i] = class[i*n/sample].Namespace
		}
		say("kubectl baseline on %d of %d students", sample, n)
		took, calls, err := baseline(ctx, env, c.KubectlPath(), "per-kind", nss)
		if err != nil {
			return err
		}
		sz.BaselineSample, sz.BaselineSampleSeconds, sz.BaselineKubectlCalls = sample, round(took.Seconds(), 2), calls
		sz.BaselineSeconds = round(took.Seconds()*float64(n)/float64(sample), 1)
		sz.BaselineExtrapolated = sample < n
		sz.Speedup = round(sz.BaselineSeconds/sz.WallSeconds, 1)
		one, _, err := baseline(ctx, env, c.KubectlPath(), "one-call", nss)
		if err != nil {
			return err
		}
		sz.BaselineOneCallSeconds = round(one.Seconds()*float64(n)/float64(sample), 1)
		sz.SpeedupOneCall = round(sz.BaselineOneCallSeconds/sz.WallSeconds, 1)
		say("baseline: %.1f s for %d students (%s), %.1fx slower than kubelab; one kubectl call per student: %.1f s (%.1fx)",
			sz.BaselineSeconds, n, map[bool]string{true: "extrapolated", false: "measured"}[sz.BaselineExtrapolated], sz.Speedup,
			sz.BaselineOneCallSeconds, sz.SpeedupOneCall)
		res.Sizes = append(res.Sizes, sz)
	}
	c.Stop()
	if o.goBench {
		say("go test -bench: judging a synthetic class of 10 000")
		if res.GoBench, err = goBench(ctx); err != nil {
			return err
		}
	}
	return write(o, res)
}

// nodePortWindows is how many windows of 500 NodePorts a class needs: a
// LoadBalancer or NodePort service takes one port, and at most eight of the
// ten scenarios have one.
func nodePortWindows(students int) int {
	return (students*8/10+len(simcluster.Scenarios))/500 + 1
}

// shardRun grades the class as o.shards --shard runs, merges them, and
// compares the merged directory with the single run's in one.
func shardRun(ctx context.Context, o options, env []string, kubeconfig, cache string, class []grade.Student, one string) (*Shards, error) {
	sh := &Shards{Count: o.shards}
	base := filepath.Join(o.work, fmt.Sprintf("shards-%d", len(class)))
	var dirs []string
	for i := 0; i < o.shards; i++ {
		out := fmt.Sprintf("%s-%d", base, i)
		m, err := gradeRun(ctx, o, env, kubeconfig, cache, class, out, "--shard", fmt.Sprintf("%d/%d", i, o.shards))
		if err != nil {
			return nil, err
		}
		sh.WallSeconds = append(sh.WallSeconds, round(m.wall.Seconds(), 2))
		sh.PeakRSSMB = append(sh.PeakRSSMB, round(float64(m.maxRSSKB)/1024, 1))
		sh.APIRequests += m.stats.APIRequests
		dirs = append(dirs, out)
	}
	merged := base + "-merged"
	cmd := exec.CommandContext(ctx, o.kubelab, append(append([]string{"--lang", "en", "grade", "merge"}, dirs...), "--out", merged)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubelab grade merge: %v\n%s", err, tail(stderr.String(), 2000))
	}
	sh.MergeSeconds = round(time.Since(t0).Seconds(), 2)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		sh.MergePeakRSSMB = round(float64(ru.Maxrss)/1024, 1)
	}
	n, diff, err := compareDirs(one, merged)
	if err != nil {
		return nil, err
	}
	sh.Files, sh.Diff, sh.Identical = n, diff, diff == ""
	for _, d := range append(dirs, merged) {
		os.RemoveAll(d)
	}
	return sh, nil
}

// compareDirs compares every file under a and b byte for byte; diff says
// what differs first ("" when nothing does).
func compareDirs(a, b string) (int, string, error) {
	files := map[string]bool{}
	for _, root := range []string{a, b} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files[rel] = true
			return nil
		})
		if err != nil {
			return 0, "", err
		}
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		x, errA := os.ReadFile(filepath.Join(a, f))
		y, errB := os.ReadFile(filepath.Join(b, f))
		switch {
		case errA != nil:
			return len(names), f + ": only in the merged shards", nil
		case errB != nil:
			return len(names), f + ": only in the single run", nil
		case !bytes.Equal(x, y):
			return len(names), f + ": differs", nil
		}
	}
	return len(names), "", nil
}

// goBench runs the Go benchmarks of checks/bench_test.go.
func goBench(ctx context.Context) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "JudgeClass10k|Discover10k", "-benchmem", "-benchtime", "3x", "./checks")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
			fmt.Println(l)
		}
	}
	return lines, nil
}

type measured struct {
	wall       time.Duration
	maxRSSKB   int64
	stats      runStats
	withErrors int
}

type runStats struct {
	APIRequests int64 `json:"api_requests"`
	ImageReads  int64 `json:"image_reads"`
}

// gradeRun runs kubelab grade as a child process and measures it.
func gradeRun(ctx context.Context, o options, env []string, kubeconfig, cache string, class []grade.Student, out string, extra ...string) (*measured, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	roster := out + ".csv"
	var b strings.Builder
	b.WriteString("student_id,name,image,namespace\n")
	for _, s := range class {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", s.ID, s.Name, s.Image, s.Namespace)
	}
	if err := os.WriteFile(roster, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, o.kubelab, "--lang", "en", "grade", "--roster", roster, "--out", out,
		"--kubeconfig", kubeconfig, "--jobs", strconv.Itoa(o.jobs), "--insecure-registry", "--cache-dir", cache,
		"--no-service-proxy", "-o", "json")
	cmd.Args = append(cmd.Args, extra...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("kubelab grade: %v\n%s", err, tail(stderr.String(), 2000))
	}
	var sum struct {
		Summary grade.Summary `json:"summary"`
		Run     *runStats     `json:"run"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil || sum.Run == nil {
		return nil, fmt.Errorf("kubelab grade -o json: %v (no run statistics in %q)", err, tail(stdout.String(), 500))
	}
	if want := shardSize(class, extra); sum.Summary.Students != want {
		return nil, fmt.Errorf("kubelab grade graded %d students, want %d", sum.Summary.Students, want)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	m := &measured{wall: wall, stats: *sum.Run, withErrors: sum.Summary.WithErrors}
	if ru != nil {
		m.maxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	return m, nil
}

// shardSize is how many of the class a run with these extra flags grades.
func shardSize(class []grade.Student, extra []string) int {
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--shard" {
			sh, err := grade.ParseShard(extra[i+1])
			if err != nil {
				return -1
			}
			n := 0
			for _, s := range class {
				if sh.Has(s.ID) {
					n++
				}
			}
			return n
		}
	}
	return len(class)
}

// validate checks that every populated student's checks have the status and
// points of the reference student of the same scenario.
func validate(out string, scenarioOf, refScenario map[string]string) (string, error) {
	data, err := os.ReadFile(filepath.Join(out, grade.ResultsFile))
	if err != nil {
		return "", err
	}
	c, err := grade.ReadClass(data)
	if err != nil {
		return "", err
	}
	ref := map[string]*report.Report{}
	for _, e := range c.Students {
		if sc, ok := refScenario[e.ID]; ok {
			ref[sc] = e.Report
		}
	}
	var problems []string
	n := 0
	for _, e := range c.Students {
		sc, ok := scenarioOf[e.ID]
		if !ok {
			continue
		}
		n++
		want := ref[sc]
		if want == nil || len(want.Checks) != len(e.Report.Checks) {
			problems = append(problems, fmt.Sprintf("%s (%s): no comparable reference", e.ID, sc))
			continue
		}
		for i, ch := range e.Report.Checks {
			w := want.Checks[i]
			if ch.ID != w.ID || ch.Status != w.Status || ch.Points != w.Points {
				problems = append(problems, fmt.Sprintf("%s (%s): %s %s %g, reference %s %g: %s", e.ID, sc, ch.ID, ch.Status, ch.Points, w.Status, w.Points, ch.Message))
			}
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		return "", fmt.Errorf("populated students are not graded like the kubectl-played references:\n  %s", strings.Join(problems, "\n  "))
	}
	return fmt.Sprintf("all %d populated students were graded exactly like the kubectl-played reference of their scenario (every check's status and points)", n), nil
}

// baseline runs bench/baseline.sh over the namespaces.
func baseline(ctx context.Context, env []string, kubectl, mode string, namespaces []string) (time.Duration, int, error) {
	script, err := filepath.Abs(filepath.Join("bench", "baseline.sh"))
	if err != nil {
		return 0, 0, err
	}
	// kubectl's discovery cache is warm, as on a lecturer's machine.
	warm := exec.CommandContext(ctx, kubectl, "api-resources")
	warm.Env = env
	if out, err := warm.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("kubectl api-resources: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(env, "KUBECTL="+kubectl, "BASELINE_MODE="+mode)
	cmd.Stdin = strings.NewReader(strings.Join(namespaces, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("bench/baseline.sh: %v\n%s", err, tail(stderr.String(), 2000))
	}
	calls := 5 * len(namespaces)
	if mode == "one-call" {
		calls = len(namespaces)
	}
	return time.Since(t0), calls, nil
}

// write stores results.json and results.md and updates the README.
func write(o options, res *Results) error {
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.outDir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	table := Table(res)
	md := "# kubelab grade: benchmark results\n\nWritten by `make bench` (bench/main.go); the figures of one run.\n\n" + table +
		"\n" + Notes(res)
	if err := os.WriteFile(filepath.Join(o.outDir, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print("\n" + table)
	if o.readme == "" {
		return nil
	}
	readme, err := os.ReadFile(o.readme)
	if err != nil {
		return err
	}
	const start, end = "<!-- bench:start -->", "<!-- bench:end -->"
	i, j := bytes.Index(readme, []byte(start)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		return errors.New(o.readme + ": no " + start + " … " + end + " markers for the table")
	}
	var nb bytes.Buffer
	nb.Write(readme[:i+len(start)])
	nb.WriteString("\n" + table)
	nb.Write(readme[j:])
	return os.WriteFile(o.readme, nb.Bytes(), 0o644)
}

// Table is the Markdown table of the figures.
func Table(res *Results) string {
	var b strings.Builder
	b.WriteString("| students | kubelab grade (wall) | API requests | peak memory | kubectl baseline | kubelab faster by |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range res.Sizes {
		base := fmt.Sprintf("%.1f s (measured)", s.BaselineSeconds)
		if s.BaselineExtrapolated {
			base = fmt.Sprintf("%.0f s (extrapolated from %d)", s.BaselineSeconds, s.BaselineSample)
		}
		fmt.Fprintf(&b, "| %d | %.2f s | %d | %.0f MB | %s | %.0fx |\n", s.Students, s.WallSeconds, s.APIRequests, s.PeakRSSMB, base, s.Speedup)
	}
	runs := fmt.Sprintf("median of %d runs", res.Repeat)
	for _, s := range res.Sizes {
		if len(s.Runs) != res.Repeat {
			runs += fmt.Sprintf(" (%d at %d students)", len(s.Runs), s.Students)
		}
	}
	fmt.Fprintf(&b, "\n%s, %d CPUs (load average %s at the start, shared machine); %s; `kubelab grade --jobs %d`; wall time: %s, peak memory: the largest of them; image checks from a warm cache.\n",
		res.Machine, res.CPUs, res.LoadAverage, res.GoVersion, res.Jobs, runs)
	for _, s := range res.Sizes {
		sh := s.Shards
		if sh == nil {
			continue
		}
		walls := make([]string, len(sh.WallSeconds))
		for i, w := range sh.WallSeconds {
			walls[i] = fmt.Sprintf("%.2f s", w)
		}
		same := "byte-identical to the single run"
		if !sh.Identical {
			same = "NOT identical to the single run (" + sh.Diff + ")"
		}
		fmt.Fprintf(&b, "\n%d students as %d shards (`--shard I/%d`, one after the other): %s, %d API requests in all, peak memory at most %.0f MB each; `kubelab grade merge`: %.2f s, %.0f MB; the merged directory is %s (%d files compared).\n",
			s.Students, sh.Count, sh.Count, strings.Join(walls, ", "), sh.APIRequests, slices.Max(sh.PeakRSSMB), sh.MergeSeconds, sh.MergePeakRSSMB, same, sh.Files)
	}
	return b.String()
}

// Notes says how the figures were made.
func Notes(res *Results) string {
	var b strings.Builder
	b.WriteString(`## How

* One simulated cluster (etcd, kube-apiserver, kube-controller-manager,
  kube-scheduler, kwok) grows through the class sizes; each student has a
  namespace and plays one of the simulator's scenarios in turn (correct,
  nothing, no-service, image-pull-backoff, crash-loop, zero-replicas,
  clusterip, nodeport, port-8080, selector-mismatch).
* The students' objects are created through the API (simcluster.Populate:
  the deployments and services kubectl create deployment / kubectl expose
  would create), then the controllers and kwok run them and the failing
  pods get the status a kubelet would write. `)
	b.WriteString(res.Validated + ".\n")
	b.WriteString(`* kubelab grade is the real binary (go build), run as a child process with
  --no-service-proxy; wall time is measured around the process, peak memory
  is its maximum resident set size (getrusage of the child), API requests
  are the read-only client's count (printed by -o json under run). The image
  cache is warmed by one run first, so each distinct image costs two HEAD
  requests to the registry and no manifest or layer read.
* The baseline is bench/baseline.sh, what a lecturer would otherwise write:
  for each student, kubectl get deployment, pods, services, endpointslices
  and events -n NS -o json (5 kubectl processes per student; kubectl's
  discovery cache warm). It only fetches: it judges nothing and reads no
  image, so it is a lower bound of such a script's time. It is measured on
  an even sample of the class and extrapolated linearly where the table
  says so. With one kubectl call per student for all five kinds
  (BASELINE_MODE=one-call) it takes:
`)
	for _, s := range res.Sizes {
		fmt.Fprintf(&b, "  - %d students: %.1f s%s, %.0fx kubelab's time\n", s.Students, s.BaselineOneCallSeconds,
			map[bool]string{true: " (extrapolated)", false: ""}[s.BaselineExtrapolated], s.SpeedupOneCall)
	}
	b.WriteString("* Creating the students and letting the cluster settle (not part of any figure above) took:")
	keys := make([]int, 0, len(res.PopulateSeconds))
	for k := range res.PopulateSeconds {
		n, _ := strconv.Atoi(k)
		keys = append(keys, n)
	}
	sort.Ints(keys)
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = "."
		}
		fmt.Fprintf(&b, " to %d students %.1f s%s", k, res.PopulateSeconds[strconv.Itoa(k)], sep)
	}
	b.WriteString("\n\nTargets: " + res.Targets + ".\n")
	if len(res.GoBench) > 0 {
		b.WriteString("\n## Judging 10 000 students (go test -bench)\n\n" +
			"checks.Discover and checks.Evaluate of every check of the built-in lab over synthetic snapshots of a class of\n" +
			"10 000 (checks/bench_test.go; one op is the whole class):\n\n```text\n")
		for _, l := range res.GoBench {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n")
	}
	return b.String()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return round((s[len(s)/2-1]+s[len(s)/2])/2, 2)
}

func round(f float64, digits int) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', digits, 64), 64)
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func kubelabVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}
