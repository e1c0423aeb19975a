package simcluster

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// CPUTime is the processor time (user + system) the cluster's running
// components (etcd, API server, controllers, scheduler, kwok) have used
// since they started. The bench reads it around a grading run to say how
// much of a 2-core machine the simulated cluster itself took.
func (c *Cluster) CPUTime() (time.Duration, error) {
	var total time.Duration
	for _, p := range c.procs {
		t, err := procCPUTime(p.cmd.Process.Pid)
		if err != nil {
			return 0, fmt.Errorf("simcluster: CPU time of %s: %w", p.name, err)
		}
		total += t
	}
	return total, nil
}

// procCPUTime reads utime + stime of pid from /proc/PID/stat.
func procCPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields counted are those after its closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, s)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
