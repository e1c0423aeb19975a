package watch

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

// Printer draws each report of a Watcher as the text step table. On a
// terminal it redraws in place whenever anything shown changed; elsewhere
// (a pipe, a log file) it prints a new table only when a check's status
// changed, so the output stays short.
type Printer struct {
	W        io.Writer
	Terminal bool
	Color    bool
	Evidence bool
	// Now stamps each table (default time.Now).
	Now func() time.Time

	last string
}

// Print shows r if it differs from the last report shown.
func (p *Printer) Print(r *report.Report) error {
	var b strings.Builder
	if err := report.Render(&b, "text", r, report.RenderOptions{Color: p.Color, Evidence: p.Evidence}); err != nil {
		return err
	}
	key := Statuses(r)
	if p.Terminal {
		key += "\x00" + b.String()
	}
	if key == p.last {
		return nil
	}
	p.last = key
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if p.Terminal {
		// Home the cursor and clear the screen: the table is redrawn in place.
		fmt.Fprint(p.W, "\x1b[H\x1b[2J")
	}
	fmt.Fprint(p.W, b.String())
	fmt.Fprintf(p.W, "\n%s %s\n", now().Format("15:04:05"), watchingLine(r.Lang, r.Target.Namespace))
	return nil
}

func watchingLine(lang, ns string) string {
	return i18n.Tr(lang, "watching namespace %s; this table is redrawn whenever something changes (Ctrl-C to stop)", ns)
}

// Statuses is the report's checks and their statuses, one "id=status" per
// check in id order: what "a status changed" compares.
func Statuses(r *report.Report) string {
	var s []string
	for _, c := range r.Checks {
		s = append(s, c.ID+"="+string(c.Status))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}
