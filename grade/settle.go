package grade

import (
	"context"
	"time"

	"github.com/kubelab/kubelab/pipeline"
)

// settle grades again the students of todo whose result caught their
// cluster mid-change (report.Report.Settling), every pipeline.SettleStep until
// their results are settled or opt.Settle has passed; each time their
// namespace is read afresh (classGatherer.Cluster), and the last result is
// the one kept. A student whose work is wrong is not waited for: a crash,
// a bad image or a missing object is never settling.
func (b *batch) settle(ctx context.Context, todo []Student) error {
	mid := b.midChange(todo)
	if b.opt.Settle <= 0 || len(mid) == 0 {
		b.res.Unsettled = len(mid)
		return nil
	}
	b.fresh.Store(true)
	defer b.fresh.Store(false)
	b.res.Settled = len(mid)
	until := time.Now().Add(b.opt.Settle)
	for len(mid) > 0 {
		wait := min(pipeline.SettleStep, time.Until(until))
		if wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if err := b.gradeAll(ctx, mid, false); err != nil || ctx.Err() != nil {
			return err
		}
		mid = b.midChange(mid)
	}
	b.res.Unsettled = len(mid)
	return nil
}

// midChange are the students of among whose kept result is settling.
func (b *batch) midChange(among []Student) []Student {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Student
	for _, s := range among {
		if r := b.kept[s.ID]; r != nil && r.Settling() {
			out = append(out, s)
		}
	}
	return out
}
