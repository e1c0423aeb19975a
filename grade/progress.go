package grade

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kubelab/kubelab/report"
)

// Progress hears how a batch goes.
type Progress interface {
	// Start: total students in the slice, already of them done (resume).
	Start(total, already int)
	// Done is called once per student graded now, from any goroutine.
	Done(r *report.Report)
	// Finish ends the display.
	Finish()
}

type nopProgress struct{}

func (nopProgress) Start(int, int)      {}
func (nopProgress) Done(*report.Report) {}
func (nopProgress) Finish()             {}

// NewProgress shows progress on w: on a terminal (tty) one redrawn line with
// a bar and the time left; otherwise a plain line per student.
func NewProgress(w io.Writer, tty bool) Progress {
	return &progress{w: w, tty: tty, now: time.Now}
}

type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu             sync.Mutex
	total, already int
	done           int
	start, drawn   time.Time
}

func (p *progress) Start(total, already int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.already, p.start = total, already, p.now()
	if already > 0 {
		fmt.Fprintf(p.w, "resuming: %d of %d students already graded\n", already, total)
	}
	if p.tty {
		p.draw("")
	}
}

func (p *progress) Done(r *report.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	n := p.already + p.done
	status := "not passed"
	if r.Passed {
		status = "passed"
	}
	if r.Counts[report.Error] > 0 {
		status += fmt.Sprintf(", %d error(s)", r.Counts[report.Error])
	}
	line := fmt.Sprintf("%s %s: %s/%s (%s)", report.CleanLine(r.Student.ID), report.CleanLine(r.Student.Name), num(r.Score), num(r.MaxScore), status)
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s\n", n, p.total, line)
		return
	}
	if p.now().Sub(p.drawn) < 100*time.Millisecond && n < p.total {
		return
	}
	p.draw(line)
}

// draw redraws the bar line: [#####.....] 12/30 40% ETA 0:12 last student.
func (p *progress) draw(last string) {
	n := p.already + p.done
	const width = 30
	filled := 0
	pct := 100.0
	if p.total > 0 {
		filled = width * n / p.total
		pct = 100 * float64(n) / float64(p.total)
	}
	eta := "--:--"
	if p.done > 0 {
		left := p.total - n
		per := p.now().Sub(p.start) / time.Duration(p.done)
		eta = fmtDur(per * time.Duration(left))
	}
	if len([]rune(last)) > 40 {
		last = string([]rune(last)[:39]) + "…"
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%s%s] %d/%d %3.0f%% ETA %s  %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, p.total, pct, eta, last)
	p.drawn = p.now()
}

func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw("")
		fmt.Fprintln(p.w)
	}
}

func fmtDur(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
