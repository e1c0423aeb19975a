package simcluster

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// rusageCPU is the kernel's own account of this process's CPU time.
func rusageCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestProcCPUTime reads this test process's own CPU time from /proc after
// burning some, and compares it with getrusage(2), the kernel's other
// account of the same time. The burn is measured in CPU time, not wall
// time, so a loaded machine (CI with other packages beside it) cannot make
// the test fail.
func TestProcCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before, err := procCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ruBefore := rusageCPU(t)
	for deadline := time.Now().Add(30 * time.Second); rusageCPU(t)-ruBefore < 300*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatal("could not burn 300ms of CPU in 30s")
		}
	}
	after, err := procCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	burnt := rusageCPU(t) - ruBefore
	// /proc counts in clock ticks (10 ms); allow a few either way.
	if d := after - before; d < burnt-100*time.Millisecond || d > burnt+100*time.Millisecond {
		t.Fatalf("/proc says CPU time grew by %v; getrusage says %v", d, burnt)
	}
	if _, err := procCPUTime(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
