package serve

import (
	"context"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/i18n"
)

// beforeData is the "Before you start" block of a page: the block check and
// doctor print (gather.EnvFixes words each problem and its command), with a
// last line for a page.
type beforeData struct {
	Heading string
	Fixes   []fixLine
	Then    string
}

type fixLine struct{ What, Command string }

// before words the problems for a student reading lang; nil when there are
// none.
func before(lang string, ps []gather.EnvProblem, env gather.EnvOptions) *beforeData {
	fixes := gather.EnvFixes(ps, env)
	if len(fixes) == 0 {
		return nil
	}
	d := &beforeData{
		Heading: i18n.Tr(lang, "Before you start: kubelab cannot check your work yet."),
		// A page is reloaded, not run again: it probes again on reload.
		Then: i18n.Tr(lang, "Then reload this page (kubelab doctor checks only these)."),
	}
	for _, f := range fixes {
		d.Fixes = append(d.Fixes, fixLine{What: f.What.In(lang), Command: f.Command})
	}
	return d
}

// envNow is what a page shows: the machine is probed again unless the last
// probe (a page's or a check's) found it ready, so a reload after a fix
// sees the fix, and reading the lesson on a ready machine costs no probe.
// A check probes every time, beside the grading (check).
func (s *Server) envNow(ctx context.Context) []gather.EnvProblem {
	if s.Env == nil {
		return nil
	}
	s.mu.Lock()
	known, ps := s.envKnown, s.envProblems
	s.mu.Unlock()
	if known && len(ps) == 0 {
		return nil
	}
	ps = s.Env(ctx)
	s.setEnv(ps)
	return ps
}

func (s *Server) setEnv(ps []gather.EnvProblem) {
	s.mu.Lock()
	s.envKnown, s.envProblems = true, ps
	s.mu.Unlock()
}

// cachedEnv is the last probe's problems (none before the first).
func (s *Server) cachedEnv() []gather.EnvProblem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.envProblems
}
