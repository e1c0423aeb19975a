package handin

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Make runs every check of the request's lab the way kubelab check does
// (always every step, with the cluster's fingerprint), then builds the
// submission signed with key. The report is judged on exactly the redacted
// evidence the submission carries, as the lecturer will decode it, so
// checks.Evaluate on the evidence gives the report's checks again.
// Problems of the environment are error results in the report, as in
// kubelab check; an error is returned only when the submission cannot be
// built.
func Make(ctx context.Context, req pipeline.Request, key ed25519.PrivateKey) (*Submission, error) {
	if req.Lab == nil {
		return nil, fmt.Errorf("handin: no lab")
	}
	if req.Timeout == 0 {
		req.Timeout = 2 * time.Minute
	}
	req.Steps = nil
	req.Fingerprint = true
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()

	started := time.Now().UTC()
	full, dur := pipeline.Gather(ctx, req)
	snap, err := Redact(full)
	if err != nil {
		return nil, fmt.Errorf("handin: redacting the evidence: %w", err)
	}
	return build(req, snap, dur, *pipeline.Fingerprint(ctx, req, full), started, key)
}

// build judges the redacted snapshot and makes the signed submission.
func build(req pipeline.Request, snap *snapshot.Snapshot, dur map[snapshot.Source]time.Duration, fp report.Fingerprint, started time.Time, key ed25519.PrivateKey) (*Submission, error) {
	r := pipeline.Assemble(req.Resolved(), snap, dur, started, time.Now())
	r.Fingerprint = &fp

	s := &Submission{
		Schema:      Schema,
		Tool:        r.Tool,
		Student:     r.Student,
		Lab:         r.Lab,
		CreatedAt:   r.FinishedAt,
		Fingerprint: fp,
		Report:      r,
		Evidence:    snap,
	}
	if err := Sign(s, key); err != nil {
		return nil, fmt.Errorf("handin: signing: %w", err)
	}
	return s, nil
}

// MakeSettled makes the submission as Make does; while a check caught the
// cluster mid-change (report.Result.Settling: a pod still starting, a new
// pod not yet routed) it makes it again every pipeline.SettleStep until settle has passed,
// so a student who submits right after kubectl create deployment hands in
// the settled state, not a false fail. waiting hears each wait (the checks
// caught mid-change, and how long). The last submission is returned; when
// ctx ends during a wait, the one before it.
func MakeSettled(ctx context.Context, req pipeline.Request, key ed25519.PrivateKey, settle time.Duration, waiting func(checks []string, wait time.Duration)) (*Submission, error) {
	until := time.Now().Add(settle)
	for {
		sub, err := Make(ctx, req, key)
		if err != nil || !sub.Report.Settling() {
			return sub, err
		}
		wait := min(pipeline.SettleStep, time.Until(until))
		if wait <= 0 {
			return sub, nil
		}
		if waiting != nil {
			waiting(sub.Report.SettlingChecks(), wait)
		}
		select {
		case <-ctx.Done():
			return sub, nil
		case <-time.After(wait):
		}
	}
}
