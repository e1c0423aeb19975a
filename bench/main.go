// Command bench measures kubelab grade on the simulated cluster: classes of
// 30, 300 and 1000 students in one shared cluster (a namespace per student,
// the simulator's scenarios mixed), graded by the real kubelab binary with
// the image checks served from a warm cache, against the kubectl script a
// lecturer would otherwise write (bench/baseline.sh). It writes
// bench/results.json and bench/results.md and, with -readme, the table in
// docs/performance.md.
//
//	make bench        # go run ./bench -kubelab bin/kubelab -readme docs/performance.md
//
// Every listener is on 127.0.0.1; pod IPs are never dialled (the grader runs
// with --no-service-proxy and KUBELAB_ALLOW_NETS=127.0.0.0/8).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
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
	// KubelabCPUSeconds (user + system of kubelab grade) and
	// ClusterCPUSeconds (of the simulated cluster's processes, which share
	// the machine) are those of the run whose wall time is the median.
	KubelabCPUSeconds float64 `json:"kubelab_cpu_seconds"`
	ClusterCPUSeconds float64 `json:"cluster_cpu_seconds"`
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
	// HeapPeakMB is the largest Go heap of kubelab grade's runs (sampled
	// in the process from runtime/metrics), GCCycles the median run's
	// collections, MemoryLimit its GOMEMLIMIT ("" unset: kubelab's own
	// default applies).
	HeapPeakMB  float64 `json:"go_heap_peak_mb"`
	GCCycles    int64   `json:"gc_cycles"`
	MemoryLimit string  `json:"gomemlimit"`
	// Machine is the machine's state just before the timed runs, once the
	// cluster had settled (SettleSeconds after populating).
	Machine       Machine `json:"machine_before"`
	SettleSeconds float64 `json:"settle_seconds"`
	// WithLimits are the same measurements with each further -memlimits
	// value (the largest size only).
	WithLimits []LimitRun `json:"with_limits,omitempty"`
}

// Machine is the machine's state: it is shared, and a figure means little
// without the load it was measured under.
type Machine struct {
	LoadAverage    string  `json:"load_average"`
	MemAvailableMB float64 `json:"mem_available_mb"`
}

// LimitRun is kubelab grade, and its shards and merge, run again with
// GOMEMLIMIT set.
type LimitRun struct {
	GOMEMLIMIT  string  `json:"gomemlimit"`
	WallSeconds float64 `json:"wall_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	HeapPeakMB  float64 `json:"go_heap_peak_mb"`
	GCCycles    int64   `json:"gc_cycles"`
	Machine     Machine `json:"machine_before"`
	Shards      *Shards `json:"shards,omitempty"`
}

// Shards are the figures of grading a class in shards and merging them.
type Shards struct {
	Count int `json:"count"`
	// WallSeconds and PeakRSSMB are each shard's; APIRequests their sum.
	WallSeconds []float64 `json:"wall_seconds"`
	PeakRSSMB   []float64 `json:"peak_rss_mb"`
	HeapPeakMB  []float64 `json:"go_heap_peak_mb"`
	APIRequests int64     `json:"api_requests"`
	// Merge is kubelab grade merge of the shards' directories.
	MergeSeconds    float64 `json:"merge_seconds"`
	MergePeakRSSMB  float64 `json:"merge_peak_rss_mb"`
	MergeHeapPeakMB float64 `json:"merge_go_heap_peak_mb"`
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
	// memLimits are the GOMEMLIMIT values the largest size is measured
	// with ("": unset), the first as the size's own figures.
	memLimits                 []string
	goBench, renderOnly, hold bool
	// clusterCPU is the simulated cluster's CPU time so far (gradeRun
	// reads it before and after a run).
	clusterCPU func() (time.Duration, error)
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
	flag.StringVar(&o.readme, "readme", "", "also put the table into this Markdown file (docs/performance.md) between the bench markers")
	flag.StringVar(&o.work, "work", "", "working directory (default: a temp dir, removed after)")
	flag.BoolVar(&o.goBench, "gobench", true, "also run the Go benchmarks of judging 10 000 students (go test -bench)")
	flag.BoolVar(&o.hold, "hold", false, "populate the largest class, write WORK/hold.sh (the grade command against it) and wait for Ctrl-C instead of measuring: for profiling")
	flag.BoolVar(&o.renderOnly, "render-only", false, "measure nothing: write results.md (and the docs/performance.md table) again from results.json")
	var memLimits string
	flag.StringVar(&memLimits, "memlimits", "", `GOMEMLIMIT values to measure the largest class with, comma-separated ("" unset): ",200MiB" runs it unset, then at 200MiB`)
	flag.Parse()
	o.memLimits = strings.Split(memLimits, ",")
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
	limit := 90 * time.Minute
	if o.hold {
		limit = 8 * time.Hour
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res := &Results{Date: time.Now().UTC().Format(time.RFC3339), Machine: cpuModel(), CPUs: runtime.NumCPU(),
		LoadAverage: loadAverage(), GoVersion: runtime.Version(), Kubelab: kubelabVersion(o.kubelab),
		Jobs: o.jobs, Repeat: o.repeat, PopulateSeconds: map[string]float64{},
		Targets: "1000 students: under 10 s wall time with image checks from the cache, at least 20x faster than the kubectl baseline; 10 000 students: under 20 s; API requests independent of the class size, or, where the Lists are paged, one more request per 500 objects of a kind; under 300 MB peak memory, not growing linearly with the class; the merged shards byte-identical to one run"}

	say("starting the simulated cluster")
	largest := o.sizes[len(o.sizes)-1]
	c, err := simcluster.Start(ctx, simcluster.Options{Dir: filepath.Join(o.work, "cluster"),
		NodePortWindows: nodePortWindows(largest)})
	if err != nil {
		return err
	}
	defer c.Stop()
	o.clusterCPU = c.CPUTime
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
	served := simclustertest.AppAnswers
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

		if o.hold && si == len(o.sizes)-1 {
			return hold(ctx, o, env, c.Kubeconfig, cache, class)
		}
		sz := Size{Students: n}
		// Grading is measured alone: the controllers and kwok have done
		// with the students just created before the clock starts.
		settled, err := settle(ctx, c.CPUTime)
		if err != nil {
			return err
		}
		sz.SettleSeconds = round(settled.Seconds(), 1)
		limits := o.memLimits[:1]
		if si == len(o.sizes)-1 {
			limits = o.memLimits
		}
		for li, limit := range limits {
			lenv := withGOMEMLIMIT(env, limit)
			repeat := o.repeat
			if n >= o.largeFrom {
				repeat = o.repeatLarge
			}
			lr := LimitRun{GOMEMLIMIT: limit, Machine: machineNow()}
			say("machine before measuring %d students (GOMEMLIMIT %q): load average %s, %.0f MB available", n, limit, lr.Machine.LoadAverage, lr.Machine.MemAvailableMB)
			var runs []*measured
			var walls []float64
			for r := 0; r < repeat; r++ {
				out := filepath.Join(o.work, fmt.Sprintf("class-%d-%d", n, r))
				m, err := gradeRun(ctx, o, lenv, c.Kubeconfig, cache, class, out)
				if err != nil {
					return err
				}
				if r > 0 {
					os.RemoveAll(out) // run 0 stays, for the shards to be compared with
				}
				runs = append(runs, m)
				walls = append(walls, round(m.wall.Seconds(), 2))
				lr.PeakRSSMB = max(lr.PeakRSSMB, mb(m.maxRSSKB<<10))
				lr.HeapPeakMB = max(lr.HeapPeakMB, mb(m.stats.HeapPeakBytes))
				sz.APIRequests, sz.ImageReads, sz.WithErrors = m.stats.APIRequests, m.stats.ImageReads, m.withErrors
				say("kubelab grade, %d students: %s, %d API requests, %d image reads, peak RSS %.1f MB, Go heap peak %.1f MB, %d GCs, CPU: kubelab %.1f s, cluster %.1f s; load average after: %s",
					n, m.wall.Round(time.Millisecond), m.stats.APIRequests, m.stats.ImageReads, float64(m.maxRSSKB)/1024, mb(m.stats.HeapPeakBytes),
					m.stats.GCCycles, m.cpu.Seconds(), m.clusterCPU.Seconds(), loadAverage())
			}
			lr.WallSeconds = median(walls)
			mid := medianRun(runs)
			lr.GCCycles = mid.stats.GCCycles
			if o.shards > 1 && si == len(o.sizes)-1 {
				say("grading the %d students as %d shards, then merging", n, o.shards)
				if lr.Shards, err = shardRun(ctx, o, lenv, c.Kubeconfig, cache, class, filepath.Join(o.work, fmt.Sprintf("class-%d-0", n))); err != nil {
					return err
				}
				sh := lr.Shards
				say("shards: %v s, %d API requests in all, peak RSS %v MB, Go heap peak %v MB; merge %.2f s, %.1f MB (Go heap %.1f MB); byte-identical to one run: %v (%d files)",
					sh.WallSeconds, sh.APIRequests, sh.PeakRSSMB, sh.HeapPeakMB, sh.MergeSeconds, sh.MergePeakRSSMB, sh.MergeHeapPeakMB, sh.Identical, sh.Files)
			}
			os.RemoveAll(filepath.Join(o.work, fmt.Sprintf("class-%d-0", n)))
			if li > 0 {
				sz.WithLimits = append(sz.WithLimits, lr)
				continue
			}
			sz.Runs, sz.WallSeconds, sz.PeakRSSMB, sz.HeapPeakMB, sz.GCCycles = walls, lr.WallSeconds, lr.PeakRSSMB, lr.HeapPeakMB, lr.GCCycles
			sz.MemoryLimit, sz.Machine, sz.Shards = limit, lr.Machine, lr.Shards
			sz.KubelabCPUSeconds, sz.ClusterCPUSeconds = round(mid.cpu.Seconds(), 1), round(mid.clusterCPU.Seconds(), 1)
		}

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
