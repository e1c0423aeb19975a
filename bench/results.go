package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Writing the figures: results.json, results.md and the table and notes in docs/performance.md.

// write stores results.json and results.md and updates docs/performance.md.
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
	b.WriteString("| students | kubelab grade (wall) | API requests | peak memory (RSS) | Go heap peak | load average before | kubectl baseline | kubelab faster by |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range res.Sizes {
		base := fmt.Sprintf("%.1f s (measured)", s.BaselineSeconds)
		if s.BaselineExtrapolated {
			base = fmt.Sprintf("%.0f s (extrapolated from %d)", s.BaselineSeconds, s.BaselineSample)
		}
		fmt.Fprintf(&b, "| %d | %.2f s | %d | %.0f MB | %.0f MB | %s | %s | %.0fx |\n", s.Students, s.WallSeconds, s.APIRequests, s.PeakRSSMB, s.HeapPeakMB,
			s.Machine.LoadAverage, base, s.Speedup)
	}
	runs := fmt.Sprintf("median of %d runs", res.Repeat)
	for _, s := range res.Sizes {
		if len(s.Runs) != res.Repeat {
			runs += fmt.Sprintf(" (%d at %d students)", len(s.Runs), s.Students)
		}
	}
	fmt.Fprintf(&b, "\n%s, %d CPUs (load average %s at the start, shared machine); %s; `kubelab grade --jobs %d`; wall time: %s, peak memory: the largest of them; image checks from a warm cache.\n",
		res.Machine, res.CPUs, res.LoadAverage, res.GoVersion, res.Jobs, runs)
	var cpu []string
	for _, s := range res.Sizes {
		if s.KubelabCPUSeconds > 0 {
			cpu = append(cpu, fmt.Sprintf("%d students: kubelab %.1f s, cluster %.1f s (of %.1f s)",
				s.Students, s.KubelabCPUSeconds, s.ClusterCPUSeconds, float64(res.CPUs)*s.WallSeconds))
		}
	}
	if len(cpu) > 0 {
		fmt.Fprintf(&b, "\nCPU time during the median run, kubelab grade's (user + system) and the simulated cluster's (API server, etcd, controllers, scheduler, kwok: on the same %d CPUs), of the %d × wall seconds the machine had: %s.\n",
			res.CPUs, res.CPUs, strings.Join(cpu, "; "))
	}
	for _, s := range res.Sizes {
		if s.Machine.MemAvailableMB > 0 {
			fmt.Fprintf(&b, "\n%d students: measured after the cluster settled (%.0f s), load average %s and %.0f MB available before; GOMEMLIMIT %s, %d collections.\n",
				s.Students, s.SettleSeconds, s.Machine.LoadAverage, s.Machine.MemAvailableMB, limitName(s.MemoryLimit), s.GCCycles)
		}
		writeShards(&b, s.Students, s.Shards)
		for _, l := range s.WithLimits {
			fmt.Fprintf(&b, "\n%d students with GOMEMLIMIT=%s (load average %s, %.0f MB available before): %.2f s, peak memory %.0f MB, Go heap peak %.0f MB, %d collections.\n",
				s.Students, l.GOMEMLIMIT, l.Machine.LoadAverage, l.Machine.MemAvailableMB, l.WallSeconds, l.PeakRSSMB, l.HeapPeakMB, l.GCCycles)
			writeShards(&b, s.Students, l.Shards)
		}
	}
	return b.String()
}

// limitName names a GOMEMLIMIT value for the table.
func limitName(l string) string {
	if l == "" {
		return "unset (kubelab grade's default soft limit, 250MiB)"
	}
	return l
}

// writeShards says how the shards and their merge did.
func writeShards(b *strings.Builder, students int, sh *Shards) {
	if sh == nil {
		return
	}
	walls := make([]string, len(sh.WallSeconds))
	for i, w := range sh.WallSeconds {
		walls[i] = fmt.Sprintf("%.2f s", w)
	}
	same := "byte-identical to the single run"
	if !sh.Identical {
		same = "NOT identical to the single run (" + sh.Diff + ")"
	}
	heap := ""
	if len(sh.HeapPeakMB) > 0 {
		heap = fmt.Sprintf(" (Go heap at most %.0f MB)", slices.Max(sh.HeapPeakMB))
	}
	fmt.Fprintf(b, "\n%d students as %d shards (`--shard I/%d`, one after the other): %s, %d API requests in all, peak memory at most %.0f MB each%s; `kubelab grade merge`: %.2f s, %.0f MB (Go heap %.0f MB); the merged directory is %s (%d files compared).\n",
		students, sh.Count, sh.Count, strings.Join(walls, ", "), sh.APIRequests, slices.Max(sh.PeakRSSMB), heap, sh.MergeSeconds, sh.MergePeakRSSMB, sh.MergeHeapPeakMB, same, sh.Files)
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
* The shared cluster is read as one List per kind, paged 500 objects at a
  time (limit/continue) and streamed: a student is graded once every
  kind's pages have passed their namespace. The paging is what the API
  requests grow with: three fixed requests (version, nodes, kube-system
  pods) and, for each of six kinds, one per started 500 objects (events
  are most of them: several per student). Without paging the requests stay
  at 9, but each List is one response holding the whole class, decoded at
  once (783 MB at 10 000 before this change).
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
