package main

import (
	"os/exec"
	"runtime"
	"testing"
)

// TestRunPeakRSSIsTheChilds: a tiny child started by a process that holds a
// lot of memory has a tiny peak. (wait4's maxrss would give the parent's:
// see runPeakRSS.)
func TestRunPeakRSSIsTheChilds(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	held := make([]byte, 200<<20)
	for i := range held {
		held[i] = 1
	}
	// sleep long enough to be sampled a few times.
	kb, err := runPeakRSS(exec.Command("sleep", "0.05"))
	if err != nil {
		t.Fatal(err)
	}
	if kb <= 0 || kb > 50<<10 {
		t.Errorf("peak of `sleep 0.05` = %d KB; want a few MB (this process holds %d MB)", kb, len(held)>>20)
	}
	runtime.KeepAlive(held)
}
