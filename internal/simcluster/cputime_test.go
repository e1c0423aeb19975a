package simcluster

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestProcCPUTime reads this test process's own CPU time after burning
// some: it must have grown by about what was burnt.
func TestProcCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before, err := procCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
	}
	after, err := procCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 200*time.Millisecond || d > 2*time.Second {
		t.Fatalf("CPU time grew by %v after 300ms of spinning", d)
	}
	if _, err := procCPUTime(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
