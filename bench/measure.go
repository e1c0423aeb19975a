package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/report"
)

// One measured run: kubelab grade on a class (whole or in shards), the kubectl baseline, and checking every student was graded as the scenario says.

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
		sh.HeapPeakMB = append(sh.HeapPeakMB, mb(m.stats.HeapPeakBytes))
		sh.APIRequests += m.stats.APIRequests
		dirs = append(dirs, out)
	}
	merged := base + "-merged"
	cmd := exec.CommandContext(ctx, o.kubelab, append(append([]string{"--lang", "en", "grade", "merge"}, dirs...), "--out", merged, "-o", "json")...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	peakKB, err := runPeakRSS(cmd)
	if err != nil {
		return nil, fmt.Errorf("kubelab grade merge: %v\n%s", err, tail(stderr.String(), 2000))
	}
	sh.MergeSeconds = round(time.Since(t0).Seconds(), 2)
	var sum struct{ Run runStats }
	if err := json.Unmarshal(stdout.Bytes(), &sum); err == nil {
		sh.MergeHeapPeakMB = mb(sum.Run.HeapPeakBytes)
	}
	sh.MergePeakRSSMB = round(float64(peakKB)/1024, 1)
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
	wall     time.Duration
	maxRSSKB int64
	// cpu is kubelab's user + system time; clusterCPU the simulated
	// cluster's during the run.
	cpu, clusterCPU time.Duration
	stats           runStats
	withErrors      int
}

type runStats struct {
	APIRequests   int64 `json:"api_requests"`
	ImageReads    int64 `json:"image_reads"`
	HeapPeakBytes int64 `json:"go_heap_peak_bytes"`
	GCCycles      int64 `json:"gc_cycles"`
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
	var cpu0 time.Duration
	if o.clusterCPU != nil {
		var err error
		if cpu0, err = o.clusterCPU(); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	peakKB, err := runPeakRSS(cmd)
	wall := time.Since(t0)
	var clusterCPU time.Duration
	if o.clusterCPU != nil && err == nil {
		cpu1, cerr := o.clusterCPU()
		if cerr != nil {
			return nil, cerr
		}
		clusterCPU = cpu1 - cpu0
	}
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
	return &measured{wall: wall, stats: *sum.Run, withErrors: sum.Summary.WithErrors, maxRSSKB: peakKB,
		cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), clusterCPU: clusterCPU}, nil
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

// hold writes WORK/hold.sh, the kubelab grade command the bench would time
// against the populated cluster, and waits for a signal: a profiler (or a
// changed binary) can then be run against a class of 10 000 without
// populating it again each time.
func hold(ctx context.Context, o options, env []string, kubeconfig, cache string, class []grade.Student) error {
	roster := filepath.Join(o.work, "hold.csv")
	var b strings.Builder
	b.WriteString("student_id,name,image,namespace\n")
	for _, s := range class {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", s.ID, s.Name, s.Image, s.Namespace)
	}
	if err := os.WriteFile(roster, []byte(b.String()), 0o644); err != nil {
		return err
	}
	var sh strings.Builder
	sh.WriteString("#!/bin/sh\n# kubelab grade against the bench's populated cluster; extra arguments are passed on.\n")
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == "KUBECONFIG" || k == "HOME" || k == "SOURCE_DATE_EPOCH" || k == "KUBELAB_ALLOW_NETS" {
			fmt.Fprintf(&sh, "export %q\n", kv)
		}
	}
	fmt.Fprintf(&sh, "exec ${KUBELAB:-%q} --lang en grade --roster %q --out \"${OUT:-%s}\" --kubeconfig %q --jobs %d --insecure-registry --cache-dir %q --no-service-proxy -o json \"$@\"\n",
		o.kubelab, roster, filepath.Join(o.work, "hold-out"), kubeconfig, o.jobs, cache)
	script := filepath.Join(o.work, "hold.sh")
	if err := os.WriteFile(script, []byte(sh.String()), 0o755); err != nil {
		return err
	}
	say("holding %d students: run %s (KUBELAB=... to try another binary); Ctrl-C stops the cluster", len(class), script)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case <-ctx.Done():
	}
	return nil
}

// medianRun is the run whose wall time is the median (the lower middle of
// an even count).
func medianRun(runs []*measured) *measured {
	s := append([]*measured(nil), runs...)
	sort.Slice(s, func(i, j int) bool { return s[i].wall < s[j].wall })
	return s[(len(s)-1)/2]
}

// settle waits until the simulated cluster's processes use less than a
// fifth of a CPU over five seconds (the controllers and kwok done with the
// students just created), at most five minutes, and says how long it took.
func settle(ctx context.Context, cpu func() (time.Duration, error)) (time.Duration, error) {
	t0 := time.Now()
	const every = 5 * time.Second
	prev, err := cpu()
	if err != nil {
		return 0, err
	}
	for time.Since(t0) < 5*time.Minute {
		select {
		case <-time.After(every):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		now, err := cpu()
		if err != nil {
			return 0, err
		}
		if now-prev < every/5 {
			break
		}
		prev = now
	}
	return time.Since(t0), nil
}

// withGOMEMLIMIT is env with GOMEMLIMIT set to limit, or removed when
// limit is "".
func withGOMEMLIMIT(env []string, limit string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	if limit != "" {
		out = append(out, "GOMEMLIMIT="+limit)
	}
	return out
}

// machineNow is the load average and the memory available now.
func machineNow() Machine {
	m := Machine{LoadAverage: loadAverage()}
	data, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m.MemAvailableMB = round(kb/1024, 0)
		}
	}
	return m
}

func mb(bytes int64) float64 { return round(float64(bytes)/(1<<20), 1) }
