package realnode

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type syscallStat struct{ dev, ino uint64 }

func statIno(path string, out *syscallStat) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return err
	}
	*out = syscallStat{uint64(st.Dev), st.Ino}
	return nil
}

// procsIn returns the processes whose network namespace is the file nsPath
// (our namespace), plus every descendant of them: the container processes
// under containerd's shims live in the pods' own namespaces.
func procsIn(nsPath string) []int {
	var ns syscallStat
	if statIno(nsPath, &ns) != nil {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	in := map[int]bool{}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		parent[pid] = ppid(pid)
		var st syscallStat
		if statIno(filepath.Join("/proc", e.Name(), "ns", "net"), &st) == nil && st == ns {
			in[pid] = true
		}
	}
	// Descendants: repeat until nothing changes (the tree is shallow).
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if !in[pid] && in[pp] {
				in[pid] = true
				changed = true
			}
		}
	}
	var out []int
	for pid := range in {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out
}

func ppid(pid int) int {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// killProcs ends the given processes by id: SIGTERM, then SIGKILL for those
// still there after a grace period.
func killProcs(pids []int, grace time.Duration) {
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		alive := false
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil && !zombie(p) {
				alive = true
			}
		}
		if !alive {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// mountsUnder returns the mount points at or below one of the given paths,
// deepest first (so they can be unmounted in that order).
func mountsUnder(paths ...string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		for _, p := range paths {
			if p != "" && (mp == p || strings.HasPrefix(mp, strings.TrimSuffix(p, "/")+"/")) {
				out = append(out, mp)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// unmountAll unmounts every mount at or below the paths (lazily when busy).
func unmountAll(paths ...string) {
	for i := 0; i < 3; i++ {
		ms := mountsUnder(paths...)
		if len(ms) == 0 {
			return
		}
		for _, m := range ms {
			if syscall.Unmount(m, 0) != nil {
				_ = syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}
	}
}
