package grade

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/kubelab/kubelab/report"
)

// RunStats is what a grading run cost: the API requests its read-only
// client made (a handful of Lists per cluster, whatever the class size),
// the image reads and the rate-limit retries.
type RunStats struct {
	TookMS           int64 `json:"took_ms"`
	Graded           int   `json:"graded"`
	Kept             int   `json:"kept"`
	APIRequests      int64 `json:"api_requests"`
	ImageReads       int64 `json:"image_reads"`
	RateLimitRetries int64 `json:"rate_limit_retries"`
	// The Go runtime's memory: the soft limit in effect (0: none), the
	// heap's peak (sampled from runtime/metrics), the peak of the memory
	// the runtime held from the system, and the collections made.
	MemoryLimitBytes  int64 `json:"memory_limit_bytes,omitempty"`
	HeapPeakBytes     int64 `json:"go_heap_peak_bytes,omitempty"`
	GoMemoryPeakBytes int64 `json:"go_memory_peak_bytes,omitempty"`
	GCCycles          int64 `json:"gc_cycles,omitempty"`
}

// WriteSummary writes what `kubelab grade` prints: the class's numbers
// (text) or its summary (json); stats describe the run (a merge's: its
// time and memory only).
func WriteSummary(w io.Writer, format string, c *Class, out string, stats *RunStats) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Lab     report.Lab `json:"lab"`
			Summary Summary    `json:"summary"`
			Out     string     `json:"out"`
			Run     *RunStats  `json:"run,omitempty"`
		}{c.Lab, c.Summary, out, stats})
	}
	s := c.Summary
	fmt.Fprintf(w, "%s %s: %d student(s), %d passed, mean %s%%, median %s%%", c.Lab.ID, c.Lab.Version, s.Students, s.Passed, report.FormatPoints(s.MeanPercent), report.FormatPoints(s.MedianPercent))
	if s.Deadline != "" {
		fmt.Fprintf(w, ", %d late", s.Late)
	}
	if s.WithErrors > 0 {
		fmt.Fprintf(w, ", %d with errors (the environment's, not the student's: --resume --retry-errors grades them again)", s.WithErrors)
	}
	if s.Settling > 0 {
		fmt.Fprintf(w, ", %d caught mid-change (a pod still starting when grading ended: --resume --retry-errors grades them again)", s.Settling)
	}
	if incomplete := c.incomplete(); incomplete > 0 {
		fmt.Fprintf(w, ", %d incomplete (points not graded, left out of their maximum: grades.csv column incomplete)", incomplete)
	}
	fmt.Fprintln(w)
	for _, cs := range s.Checks {
		fmt.Fprintf(w, "  %-22s %3.0f%% pass  (%d pass, %d partial, %d fail, %d error, %d skipped)\n", cs.ID, 100*cs.PassRate,
			cs.Counts[report.Pass], cs.Counts[report.Partial], cs.Counts[report.Fail], cs.Counts[report.Error], cs.Counts[report.Skipped])
	}
	_, err := fmt.Fprintf(w, "wrote %s, %s, %s and %s/\n", filepath.Join(out, IndexFile), filepath.Join(out, GradesFile),
		filepath.Join(out, ResultsFile), filepath.Join(out, StudentsDir))
	return err
}
