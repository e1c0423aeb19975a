package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: --memory-limit takes GOMEMLIMIT's sizes and wins over
// GOMEMLIMIT; with neither, the default budget applies; the former limit is
// put back after the command.
func TestMemoryLimit(t *testing.T) {
	for _, tt := range []struct {
		flag, env string
		want      int64
		bad       bool
	}{
		{flag: "", env: "", want: defaultMemoryLimit},
		{flag: "", env: "100MiB", want: math.MaxInt64}, // the runtime read no GOMEMLIMIT at this test's start
		{flag: "200MiB", want: 200 << 20},
		{flag: "1GiB", env: "100MiB", want: 1 << 30},
		{flag: "1048576", want: 1 << 20},
		{flag: "off", want: math.MaxInt64},
		{flag: "200MB", bad: true},
		{flag: "-1", bad: true},
		{flag: "lots", bad: true},
	} {
		t.Run(tt.flag+"/"+tt.env, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.env)
			before := debug.SetMemoryLimit(-1)
			m := memoryLimitFlag{value: tt.flag}
			got, restore, err := m.apply(defaultMemoryLimit)
			if tt.bad {
				if err == nil {
					t.Fatalf("--memory-limit %q accepted", tt.flag)
				}
				return
			}
			if err != nil || got != tt.want || debug.SetMemoryLimit(-1) != tt.want {
				t.Fatalf("--memory-limit %q: %d, %v; want %d", tt.flag, got, err, tt.want)
			}
			restore()
			if now := debug.SetMemoryLimit(-1); now != before {
				t.Errorf("the limit after the command is %d, want %d as before", now, before)
			}
		})
	}
}
