package simcluster

import (
	"fmt"
	"os"
	"path/filepath"
)

// NodePorts are host ports on 127.0.0.1 here (the node's address), where
// tests stand in for kube-proxy. Two clusters running at once (tests of
// several packages run in parallel) must not hand out the same NodePort, or
// one test would reach the other's stand-in. Each cluster therefore takes a
// window of its own, held with a lock file for as long as it runs: first the
// usual 30000-32767 range, then windows below it, all under Linux's
// ephemeral range (32768+) so no random listener takes them.
const nodePortWindow = 500

func nodePortBases() []int {
	var bases []int
	for b := 30000; b+nodePortWindow-1 <= 32767; b += nodePortWindow {
		bases = append(bases, b)
	}
	for b := 20000; b < 30000; b += nodePortWindow {
		bases = append(bases, b)
	}
	return bases
}

// reserveNodePorts locks n adjacent free windows (n < 1 counts as 1) and
// returns the API server flag value and the lock files, to be closed when
// the cluster stops.
func reserveNodePorts(n int) (string, []*os.File, error) {
	if n < 1 {
		n = 1
	}
	dir := filepath.Join(os.TempDir(), "kubelab-nodeports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", nil, err
	}
	lock := func(b int) (*os.File, error) {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d.lock", b)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			return nil, err
		}
		if !tryLock(f) {
			f.Close()
			return nil, nil
		}
		return f, nil
	}
	bases := nodePortBases()
	known := map[int]bool{}
	for _, b := range bases {
		known[b] = true
	}
next:
	for _, b := range bases {
		var held []*os.File
		release := func() {
			for _, f := range held {
				f.Close()
			}
		}
		for i := 0; i < n; i++ {
			w := b + i*nodePortWindow
			if !known[w] || w+nodePortWindow-1 > 32767 {
				release()
				continue next
			}
			f, err := lock(w)
			if err != nil {
				release()
				return "", nil, err
			}
			if f == nil {
				release()
				continue next
			}
			held = append(held, f)
		}
		return fmt.Sprintf("%d-%d", b, b+n*nodePortWindow-1), held, nil
	}
	return "", nil, fmt.Errorf("simcluster: no %d free adjacent NodePort window(s) (too many clusters at once)", n)
}
