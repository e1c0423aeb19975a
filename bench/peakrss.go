package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// runPeakRSS runs cmd and returns its peak resident set size in KB, read
// from the kernel's high-water mark (/proc/PID/status VmHWM) every 5 ms
// while it runs.
//
// Why not the rusage of wait4 (ProcessState.SysUsage().Maxrss): Go starts a
// child with clone(CLONE_VM|CLONE_VFORK), so until exec the child runs in
// the bench's own address space, and exec records that address space's
// high-water mark in the child's maxrss. A child's maxrss is therefore at
// least the bench's peak: /bin/true started by a process that had touched
// 300 MB reports 302 MB. The bench holds the class it populated, so every
// shard and merge read 219.2 MB, the bench's own figure, whatever they used.
// VmHWM belongs to the address space exec made, so it is the child's alone.
// The last few milliseconds before exit can be missed; a peak is not that
// short.
func runPeakRSS(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if kb, ok := vmHWM(status); ok && kb > peak {
			peak = kb
		}
		select {
		case err := <-done:
			return peak, err
		case <-tick.C:
		}
	}
}

// vmHWM reads the VmHWM line of a /proc/PID/status file, in KB.
func vmHWM(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "VmHWM:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
