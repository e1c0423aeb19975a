package main

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/kubelab/kubelab/grade"
)

// The soft memory limits kubelab grade sets when neither --memory-limit nor
// GOMEMLIMIT does: the budget each is promised to fit in (a class of 10 000
// in 300 MB of resident memory, a quarter shard of it or a merge in 150 MB)
// less about 50 MB the limit does not count or the system counts on top
// (the binary's code, stacks, memory freed but not yet returned). With no
// limit the collector runs only when the heap has doubled, and garbage
// alone takes a run past its budget: a merge of 10 000 reached a 160 MB heap
// and 236 MB resident with no limit, an 86 MB heap and 143 MB resident at
// 100MiB.
const (
	defaultMemoryLimit = 250 << 20
	shardMemoryLimit   = 100 << 20
)

// memoryLimitFlag is --memory-limit on kubelab grade and its subcommands.
type memoryLimitFlag struct{ value string }

func (m *memoryLimitFlag) add(f *pflag.FlagSet) {
	f.StringVar(&m.value, "memory-limit", "", "soft memory limit of the Go runtime, in GOMEMLIMIT's form (250MiB, 1GiB, off); default: $GOMEMLIMIT, else 250MiB (100MiB for a --shard or a merge)")
}

// apply sets the soft memory limit: the flag's, else GOMEMLIMIT's (which
// the runtime applied at start), else budget. It returns the limit in
// effect (math.MaxInt64: none) and a function that puts the former limit
// back (for commands run inside tests).
func (m *memoryLimitFlag) apply(budget int64) (int64, func(), error) {
	n := budget
	switch {
	case m.value != "":
		var err error
		if n, err = parseMemoryLimit(m.value); err != nil {
			return 0, nil, exitf(ExitUsage, "--memory-limit %q: %v", m.value, err)
		}
	case os.Getenv("GOMEMLIMIT") != "":
		n = debug.SetMemoryLimit(-1)
	}
	prev := debug.SetMemoryLimit(n)
	return n, func() { debug.SetMemoryLimit(prev) }, nil
}

// parseMemoryLimit reads a size as GOMEMLIMIT does: a whole number of
// bytes with an optional unit B, KiB, MiB, GiB or TiB, or "off".
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" {
		return math.MaxInt64, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("want a size such as 250MiB or 1GiB, or off")
	}
	return n << shift, nil
}

// memorySampler records the peak of the Go heap while a command runs,
// read from runtime/metrics every few milliseconds: the figure the memory
// limit bounds, beside the resident size the system sees.
type memorySampler struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup
	// heapPeak is the largest heap (live objects and those not yet
	// swept), goPeak the largest memory the runtime had from the system
	// and had not returned.
	heapPeak, goPeak uint64
	gcStart          uint64
}

var sampled = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes", "/memory/classes/heap/released:bytes", "/gc/cycles/total:gc-cycles"}

func startMemorySampler() *memorySampler {
	m := &memorySampler{stop: make(chan struct{})}
	s := make([]metrics.Sample, len(sampled))
	for i, name := range sampled {
		s[i].Name = name
	}
	read := func() {
		metrics.Read(s)
		m.heapPeak = max(m.heapPeak, s[0].Value.Uint64())
		m.goPeak = max(m.goPeak, s[1].Value.Uint64()-s[2].Value.Uint64())
	}
	read()
	m.gcStart = s[3].Value.Uint64()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				read()
			case <-m.stop:
				read()
				return
			}
		}
	}()
	return m
}

// close stops sampling; more calls do nothing.
func (m *memorySampler) close() {
	m.stopOnce.Do(func() { close(m.stop) })
	m.done.Wait()
}

// finish stops sampling and puts the figures into stats.
func (m *memorySampler) finish(stats *grade.RunStats, limit int64) {
	m.close()
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	stats.HeapPeakBytes, stats.GoMemoryPeakBytes = int64(m.heapPeak), int64(m.goPeak)
	stats.GCCycles = int64(s[0].Value.Uint64() - m.gcStart)
	if limit != math.MaxInt64 {
		stats.MemoryLimitBytes = limit
	}
}
