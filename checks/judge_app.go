package checks

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

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
	if pod, since, ok := newlyReady(s, t); ok {
		// Not the student's work: the way in has not caught up yet.
		return settling(fail(T("The app did not answer: %s. Pod %s became Ready only %s ago (a replacement or a new rollout): the Service sends it traffic a few seconds after that.", last.String(), pod, since),
			fixHint([]string{"kubectl get pods -n " + t.Service.Namespace}, T("Its AGE column shows how new the pod is; check again in a few seconds.")), facts...), true)
	}
	return settling(fail(T("The app did not answer: %s.", last.String()), appHint(s, t), facts...),
		s.NS != nil && s.NS.PodsErr == nil && onTheWay(t.Pods, SnapshotNow(s)))
}

// routeLag is how long after a pod becomes Ready the way in may still
// refuse it: kube-proxy writes a new endpoint into the node's rules a
// moment after the EndpointSlice changes (on the real node, about 2 s
// after an evicted pod's replacement was Ready: issue 28's fault drills).
const routeLag = 15 * time.Second

// newlyReady names a target pod that is Ready, not just crashed, and
// became so less than routeLag before the snapshot, and how long ago.
func newlyReady(s *Snapshot, t *Target) (string, string, bool) {
	now := SnapshotNow(s)
	if now.IsZero() {
		return "", "", false
	}
	for i := range t.Pods {
		p := &t.Pods[i]
		// A pod Ready in the seconds between two crashes is no
		// replacement on its way: the crash is what it shows.
		if !runningFine(p, now) {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && !c.LastTransitionTime.IsZero() && now.Sub(c.LastTransitionTime.Time) < routeLag && !c.LastTransitionTime.After(now) {
				return p.Name, ago(now, c.LastTransitionTime.Time), true
			}
		}
	}
	return "", "", false
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
