package checks

import (
	"strings"

	"github.com/kubelab/kubelab/report"
)

func init() {
	register(&Check{ID: "app.responds", Doc: "the app answers HTTP 2xx the way a browser reaches it (LoadBalancer ingress, else node address + NodePort, else the API server's service proxy)",
		Sources: []Source{SrcNamespace, SrcApp}, Judge: judgeApp,
		Gathers:  func(p Params, plan *Plan) { plan.AppPath = p.String("path", "/") },
		Params:   []Param{{Name: "path", Default: "/", Doc: "the path requested"}, {Name: "contains", Default: "", Doc: "text the page must contain"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
}

func judgeApp(s *Snapshot, p Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	if s.App == nil {
		return notGathered("app")
	}
	if len(s.App.Attempts) == 0 {
		return skip(T("Service %s (%s) offers no way in from outside the cluster: no LoadBalancer address and no NodePort.", t.Service.Name, t.Service.Spec.Type))
	}
	var facts []report.Fact
	for _, a := range s.App.Attempts {
		facts = append(facts, fact(a.Via, a.String()))
	}
	want := p.String("contains", "")
	for _, a := range s.App.Attempts {
		if a.Err == "" && a.Status >= 200 && a.Status < 300 {
			first := firstLine(a.Body)
			facts = append(facts, fact("page", first))
			if want != "" && !strings.Contains(a.Body, want) {
				return partial(0.5, T("The app answers at %s (via %s), but the page lacks %q.", a.URL, a.Via, want),
					T("Make the \"/\" route of app.py return %q, then `docker build` and `docker push` the image, and `kubectl rollout restart deployment -n %s`.", want, t.Service.Namespace), facts...)
			}
			return pass(T("The app answers HTTP %d at %s (via %s).", a.Status, a.URL, a.Via), facts...)
		}
	}
	last := s.App.Attempts[len(s.App.Attempts)-1]
	if last.Status != 0 {
		return fail(T("The app answered HTTP %d at %s.", last.Status, last.URL),
			T("`kubectl logs -n %s -l app --tail=50` shows the error the app printed; fix app.py, rebuild and push the image, then `kubectl rollout restart deployment -n %s`.", t.Service.Namespace, t.Service.Namespace), facts...)
	}
	return fail(T("The app did not answer: %s.", last.String()), appHint(s, t), facts...)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
