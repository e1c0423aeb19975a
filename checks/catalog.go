// Package checks is kubelab's check catalog. Gathering (the only I/O) fills a
// Snapshot; each check is then a pure function of that snapshot and its
// parameters, so checks are unit-tested on snapshots and a whole class can be
// judged from one cluster-wide gather.
package checks

import (
	"fmt"
	"sort"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

// L is a message of the catalog (internal/i18n), rendered in the report's
// language when the report is built.
type L = i18n.Msg

// T is i18n.T: the message whose English is key, its args filling the
// format's verbs in whatever language it is rendered. The translations live
// in internal/i18n/messages (docs/i18n.md).
func T(key string, args ...any) L { return i18n.T(key, args...) }

// Judgement is what a check decides. Fraction is the share of the check's
// points earned (1 for pass, 0 for fail, in between for partial).
type Judgement struct {
	Status   report.Status
	Fraction float64
	Message  L
	// Hint is a cause-specific hint; the lab spec's hints follow it.
	Hint     L
	Evidence []report.Fact
	// Env marks a skip that is not the student's: the grading machine
	// could not judge the work (see evaluateOne). The check is then not
	// graded: it earns nothing and is left out of the maximum.
	Env bool
	// Settling marks a fail or partial that caught the cluster mid-change
	// (a pod still starting, a pod Ready seconds ago not yet counted or
	// routed): it ends by itself within seconds, so grading again may
	// change it (report.Result.Settling).
	Settling bool
}

// settling marks j as caught mid-change when mid is true.
func settling(j Judgement, mid bool) Judgement {
	j.Settling = mid && (j.Status == report.Fail || j.Status == report.Partial)
	return j
}

// Param documents one parameter a check accepts in a lab spec.
type Param struct {
	Name    string
	Default any
	Doc     string
}

// Check is one entry of the catalog.
type Check struct {
	ID string
	// Doc says in one line what the check verifies.
	Doc string
	// Sources lists what must be gathered for this check.
	Sources []Source
	// Params lists the parameters the check accepts.
	Params []Param
	// Judge decides the check from the snapshot. It must not do I/O.
	Judge func(s *Snapshot, p Params) Judgement
	// Gathers, when set, says how the check's parameters change what is
	// gathered (the files read from the image, the path requested of the
	// app, ...). It only writes its own fields of the plan.
	Gathers func(p Params, plan *Plan)
	// Outcomes lists every status Judge can return. The fixture test
	// (fixtures_test.go) requires a fixture in testdata/<id>/ for each one,
	// so a reader learns from here, not from the code, whether the check
	// can give part of its points.
	Outcomes []report.Status
}

var catalog = map[string]*Check{}

func register(c *Check) {
	if _, dup := catalog[c.ID]; dup {
		panic("checks: duplicate check id " + c.ID)
	}
	catalog[c.ID] = c
}

// Lookup returns the catalog entry for id.
func Lookup(id string) (*Check, bool) {
	c, ok := catalog[id]
	return c, ok
}

// IDs returns every catalog id, sorted.
func IDs() []string {
	ids := make([]string, 0, len(catalog))
	for id := range catalog {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Params are a check's parameters from the lab spec, with defaults applied.
type Params map[string]any

// Int returns an integer parameter.
func (p Params) Int(name string, def int) int {
	switch v := p[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return def
}

// String returns a string parameter.
func (p Params) String(name, def string) string {
	if v, ok := p[name].(string); ok {
		return v
	}
	return def
}

// Helpers for judges.

func pass(msg L, ev ...report.Fact) Judgement {
	return Judgement{Status: report.Pass, Fraction: 1, Message: msg, Evidence: ev}
}

func fail(msg, hint L, ev ...report.Fact) Judgement {
	return Judgement{Status: report.Fail, Message: msg, Hint: hint, Evidence: ev}
}

func partial(frac float64, msg, hint L, ev ...report.Fact) Judgement {
	return Judgement{Status: report.Partial, Fraction: frac, Message: msg, Hint: hint, Evidence: ev}
}

func skip(msg L, ev ...report.Fact) Judgement {
	return Judgement{Status: report.Skipped, Message: msg, Evidence: ev}
}

// envError turns a gathering problem into an error judgement: the environment
// failed, not the student.
func envError(e *GatherError) Judgement {
	return Judgement{Status: report.Error, Message: envMessage(e), Hint: envHint(e), Evidence: []report.Fact{fact("error", e.Detail)}}
}

func fact(name string, value any) report.Fact {
	return report.Fact{Name: name, Value: fmt.Sprint(value)}
}
