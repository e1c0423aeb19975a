package checks

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/report"
)

// deployment.available: its replicas counted from the pods, as the
// Deployment controller counts them.

func judgeDeploymentAvailable(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect."))
	}
	d := t.Deployment
	want, avail := replicas(t), d.Status.AvailableReplicas
	ev := []report.Fact{fact("deployment", d.Name), fact("ready", fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want)),
		fact("up-to-date", d.Status.UpdatedReplicas), fact("available", avail)}
	if want == 0 {
		return fail(T("Deployment %s is scaled to 0 replicas, so nothing runs.", d.Name),
			fixHint([]string{fmt.Sprintf("kubectl scale deployment %s --replicas=1", d.Name)}, T("This asks for one pod again.")), ev...)
	}
	// The Deployment's status is written by a controller a sync after the
	// pods change, so it lags them both ways: it still counts a pod
	// available in the second after it crashed, counts a pod Ready in the
	// second between two crashes, and counts a replacement not yet
	// available a moment after it became Ready (issue 28's eviction drill
	// on the real node caught it 0 of 1 with the replacement Ready). The
	// pods in the same snapshot are the fresher word, so the count is the
	// pods available now by the controller's own rule: Ready for
	// minReadySeconds (podutil.IsPodAvailable, k8s.io/kubernetes
	// pkg/api/v1/pod/util.go) and not just crashed. Without the pods (not
	// gathered), the status stands.
	now := SnapshotNow(s)
	if s.NS.PodsErr == nil {
		var availNow int32
		var crashed *corev1.Pod
		for _, p := range activePods(t.Pods) {
			switch {
			case runningFine(&p, now) && readyFor(&p, d.Spec.MinReadySeconds, now):
				availNow++
			case crashed == nil && podReady(&p) && !runningFine(&p, now):
				// Ready, yet not running fine: it just crashed.
				crashed = &p
			}
		}
		if crashed != nil {
			ev = append(ev, fact("crashed, running again", crashed.Name))
		}
		// Without a clock (an old snapshot) the count only ever lowers
		// the status: minReadySeconds cannot be told.
		if avail > availNow || avail < availNow && !now.IsZero() {
			ev = append(ev, fact("pods available now", availNow))
			avail = availNow
		}
	}
	if avail >= want {
		return pass(T("Deployment %s: %d/%d replicas available.", d.Name, avail, want), ev...)
	}
	// The first pod in trouble says why replicas are missing.
	var hint L
	for _, p := range activePods(t.Pods) {
		if !runningFine(&p, now) {
			_, _, hint = podTrouble(s, t, &p)
			break
		}
	}
	waitingMinReady := false
	if hint.IsZero() && d.Spec.MinReadySeconds > 0 {
		// Every pod runs fine; one has not been Ready for long enough.
		hint = fixHint([]string{fmt.Sprintf("kubectl get deployment %s -n %s", d.Name, d.Namespace)},
			T("Its AVAILABLE column counts a pod once it has been Ready for minReadySeconds (%d s here); check again after that.", d.Spec.MinReadySeconds))
		waitingMinReady = !now.IsZero()
	}
	// Mid-change: the missing replicas are pods starting, or pods Ready
	// for less than minReadySeconds.
	mid := s.NS.PodsErr == nil && (onTheWay(t.Pods, now) || waitingMinReady)
	if avail > 0 {
		return settling(partial(float64(avail)/float64(want), T("Deployment %s: only %d of %d replicas available.", d.Name, avail, want), hint, ev...), mid)
	}
	return settling(fail(T("Deployment %s: 0 of %d replicas available.", d.Name, want), hint, ev...), mid)
}

// readyFor says p has been Ready for at least minReady seconds at now, the
// Deployment controller's test of an available pod, as IsPodAvailable
// (k8s.io/kubernetes v1.36.3 pkg/api/v1/pod/util.go:283) has it: a Ready
// condition without a transition time is not available yet. Without a
// clock it cannot tell, and holds nothing against the pod.
func readyFor(p *corev1.Pod, minReady int32, now time.Time) bool {
	if minReady == 0 || now.IsZero() {
		return true
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(time.Duration(minReady)*time.Second).After(now)
		}
	}
	return false
}
