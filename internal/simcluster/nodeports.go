package simcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
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

// reserveNodePorts locks a free window and returns the API server flag value
// and the lock file, to be closed when the cluster stops.
func reserveNodePorts() (string, *os.File, error) {
	dir := filepath.Join(os.TempDir(), "kubelab-nodeports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", nil, err
	}
	for _, b := range nodePortBases() {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d.lock", b)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			return "", nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		return fmt.Sprintf("%d-%d", b, b+nodePortWindow-1), f, nil
	}
	return "", nil, fmt.Errorf("simcluster: every NodePort window is taken (too many clusters at once)")
}
