package realnode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// kubeletSysctls are the host-wide kernel settings the kubelet sets at
// start-up (vm.overcommit_memory=1, kernel.panic=10, ...). They are not per
// network namespace, so the host's values are put back when the last real
// node on the machine stops.
var kubeletSysctls = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// sysctlDir holds the host's values and the lock that counts the nodes
// using them. Several nodes may run at once (a test and `make real-up`):
// the first saves the values, the last restores them. Each node holds a
// shared flock on users.lock while it runs; the kernel drops it if the node
// dies, so a crashed node never blocks the restore.
const sysctlDir = "/run/kubelab-realnode"

func saveSysctls() (*os.File, error) {
	if err := os.MkdirAll(sysctlDir, 0o700); err != nil {
		return nil, err
	}
	mu, err := flock(filepath.Join(sysctlDir, "mutex.lock"), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer mu.Close()
	saved := filepath.Join(sysctlDir, "sysctls.json")
	// No node uses the saved values: they are stale (or absent); save now.
	if f, err := tryFlock(filepath.Join(sysctlDir, "users.lock"), syscall.LOCK_EX); err == nil && f != nil {
		f.Close()
		vals := map[string]string{}
		for _, k := range kubeletSysctls {
			if b, err := os.ReadFile("/proc/sys/" + k); err == nil {
				vals[k] = strings.TrimSpace(string(b))
			}
		}
		b, _ := json.Marshal(vals)
		if err := os.WriteFile(saved, b, 0o600); err != nil {
			return nil, err
		}
	}
	return flock(filepath.Join(sysctlDir, "users.lock"), syscall.LOCK_SH)
}

// restoreSysctls releases this node's use; the last user puts the saved
// values back.
func restoreSysctls(use *os.File) {
	if use == nil {
		return
	}
	mu, err := flock(filepath.Join(sysctlDir, "mutex.lock"), syscall.LOCK_EX)
	if err != nil {
		use.Close()
		return
	}
	defer mu.Close()
	use.Close()
	f, err := tryFlock(filepath.Join(sysctlDir, "users.lock"), syscall.LOCK_EX)
	if err != nil || f == nil {
		return // another node still runs
	}
	defer f.Close()
	saved := filepath.Join(sysctlDir, "sysctls.json")
	b, err := os.ReadFile(saved)
	if err != nil {
		return
	}
	var vals map[string]string
	if json.Unmarshal(b, &vals) == nil {
		for k, v := range vals {
			_ = os.WriteFile("/proc/sys/"+k, []byte(v), 0o644)
		}
	}
	os.Remove(saved)
}

func flock(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryFlock returns nil, nil when the lock is held elsewhere.
func tryFlock(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, nil
		}
		return nil, err
	}
	return f, nil
}
