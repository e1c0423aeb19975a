package checks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/report"
)

// The namespace checks of the lesson: the deployment, its pods, their
// events and the service. Registered in judge_cluster.go. Each is fair to
// work done long ago (the time comes from the snapshot) and says what the
// student did instead of what was asked (diagnose.go).

// Defaults of the time-related parameters.
const (
	// defaultEventTTL is the API server's --event-ttl default.
	defaultEventTTL = 60
	// defaultStableMinutes: a container up this long since its last restart
	// is not crash-looping (CrashLoopBackOff waits at most 5 minutes).
	defaultStableMinutes = 15
)

func judgeDeploymentExists(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		ev := []report.Fact{fact("namespace", s.NS.Name), fact("image", t.Image)}
		if len(t.Candidates) > 0 {
			ev = append(ev, fact("deployments seen", strings.Join(t.Candidates, "; ")))
		}
		if pods := barePods(s.NS, t.Image); len(pods) > 0 {
			ev = append(ev, fact("pods without a deployment", pods[0].Name))
		}
		msg, hint := diagnoseNoDeployment(s, t)
		return fail(msg, hint, ev...)
	}
	d := t.Deployment
	imgs := containerImages(d)
	ev := []report.Fact{fact("deployment", d.Name), fact("namespace", d.Namespace), fact("image", imgs), fact("created", d.CreationTimestamp.UTC().Format("2006-01-02 15:04:05Z"))}
	if s.Image != nil && s.Image.Digest != "" {
		ev = append(ev, fact("pushed digest", s.Image.Digest))
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if same, how := sameImage(s, t, c.Image, t.Pods); same {
			if how != "" {
				return pass(T("Deployment %s runs your image %s (%s).", d.Name, c.Image, how), ev...)
			}
			return pass(T("Deployment %s runs your image %s.", d.Name, c.Image), ev...)
		}
	}
	c := d.Spec.Template.Spec.Containers[0]
	img := studentImage(s, t)
	what := T("another tag of your image %s", img)
	if digestOf(c.Image) != "" {
		what = T("another digest than the one you pushed as %s", img)
	}
	return partial(0.5, T("Deployment %s runs %s, %s.", d.Name, imgs, what),
		fixHint([]string{fmt.Sprintf("kubectl set image deployment/%s %s=%s", d.Name, c.Name, img)},
			T("Deploy exactly the image you pushed and handed in.")), ev...)
}

// activePods leaves out pods that have ended (evicted, shut down with the
// node): the ReplicaSet replaced them, and they linger for days.
func activePods(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if !terminalPod(&p) {
			out = append(out, p)
		}
	}
	return out
}

func judgePodsRunning(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr, podsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect."))
	}
	d := t.Deployment.Name
	if len(t.Pods) == 0 {
		if replicas(t) == 0 {
			return fail(T("Deployment %s has no pods: it is scaled to 0.", d),
				fixHint([]string{fmt.Sprintf("kubectl scale deployment %s --replicas=1", d)}, T("This asks for one pod again.")))
		}
		return fail(T("Deployment %s has no pods yet.", d),
			fixHint([]string{"kubectl describe deployment " + d}, T("Its conditions and events say why no pod was made (a quota, a bad pod template).")))
	}
	pods := activePods(t.Pods)
	var ev []report.Fact
	for _, p := range t.Pods {
		if terminalPod(&p) && len(pods) > 0 {
			ev = append(ev, fact(p.Name, fmt.Sprintf("ended (%s %s), replaced; not counted", p.Status.Phase, p.Status.Reason)))
		}
	}
	if len(pods) == 0 {
		pods = t.Pods
	}
	now := SnapshotNow(s)
	var ok int
	var firstMsg, firstHint L
	// mid: every pod not Running and Ready is starting or being deleted.
	mid := true
	for i := range pods {
		p := &pods[i]
		_, down := nodeNotReady(s, p.Spec.NodeName)
		if runningFine(p, now) && !down {
			ok++
			ev = append(ev, fact(p.Name, "Running, Ready"))
			continue
		}
		mid = mid && !down && (p.DeletionTimestamp != nil || starting(p, now))
		reason, msg, hint := podTrouble(s, t, p)
		ev = append(ev, fact(p.Name, reason))
		if firstMsg.IsZero() {
			firstMsg, firstHint = msg, hint
		}
	}
	switch {
	case ok == len(pods):
		return pass(T("All %d pod(s) are Running and Ready.", ok), ev...)
	case ok > 0:
		return settling(partial(float64(ok)/float64(len(pods)), T(
			"%d of %d pods are Running and Ready. %s", ok, len(pods), firstMsg,
		), firstHint, ev...), mid)
	}
	return settling(fail(firstMsg, firstHint, ev...), mid)
}

// upSince is when all of the pod's containers last (re)started, zero when
// one is not running.
func upSince(p *corev1.Pod) time.Time {
	var since time.Time
	if len(p.Status.ContainerStatuses) == 0 {
		return since
	}
	for _, cs := range p.Status.ContainerStatuses {
		r := cs.State.Running
		if r == nil || r.StartedAt.IsZero() {
			return time.Time{}
		}
		if r.StartedAt.After(since) {
			since = r.StartedAt.Time
		}
	}
	return since
}

// lastStop describes the run before the current one ("Error, exit code 1").
func lastStop(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if x := cs.LastTerminationState.Terminated; x != nil {
			return fmt.Sprintf("%s, exit code %d", x.Reason, x.ExitCode)
		}
	}
	return ""
}

func judgePodsStable(s *Snapshot, p Params) Judgement {
	t, j := nsState(s, deploymentsErr, podsErr)
	if j != nil {
		return *j
	}
	pods := activePods(t.Pods)
	if len(pods) == 0 {
		return skip(T("No pods to inspect."))
	}
	max := p.Int("max_restarts", 3)
	window := time.Duration(p.Int("stable_minutes", defaultStableMinutes)) * time.Minute
	now := SnapshotNow(s)
	var ev []report.Fact
	var worst *corev1.Pod
	var worstN int32
	var calm []string
	for i := range pods {
		pod := &pods[i]
		var n int32
		for _, cs := range pod.Status.ContainerStatuses {
			n += cs.RestartCount
		}
		line := fmt.Sprintf("%d restarts", n)
		if st := lastStop(pod); st != "" && n > 0 {
			line += " (last stop: " + st + ")"
		}
		since := upSince(pod)
		if !since.IsZero() && !now.IsZero() && n > 0 {
			line += ", up " + ago(now, since)
		}
		ev = append(ev, fact(pod.Name, line))
		if int(n) <= max {
			continue
		}
		// Restarts add up over days (every minikube stop/start restarts
		// each container once): what counts is whether the pod keeps
		// restarting now.
		if !since.IsZero() && !now.IsZero() && now.Sub(since) >= window && podReady(pod) {
			calm = append(calm, fmt.Sprintf("%s (%d restarts, none for %s)", pod.Name, n, ago(now, since)))
			continue
		}
		if worst == nil || n > worstN {
			worst, worstN = pod, n
		}
	}
	if worst != nil {
		msg := T("Pod %s restarted %d times (at most %d allowed) and is still restarting.", worst.Name, worstN, max)
		if st := lastStop(worst); st != "" {
			msg = T("Pod %s restarted %d times (at most %d allowed) and is still restarting; last stop: %s.", worst.Name, worstN, max, st)
		}
		return fail(msg, fixHint([]string{"kubectl logs " + worst.Name + " --previous"},
			T("It shows why the last run stopped; fix the app, build and push it, then `kubectl rollout restart deployment/%s`.", t.Deployment.Name)), ev...)
	}
	if len(calm) > 0 {
		return pass(T("The pods run steadily now: %s. Earlier restarts (e.g. each time minikube was stopped and started) do not count.", strings.Join(calm, ", ")), ev...)
	}
	return pass(T("Restarts stay low (at most %d per pod).", max), ev...)
}

func judgeEvents(s *Snapshot, p Params) Judgement {
	t, j := nsState(s, deploymentsErr, eventsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect."))
	}
	reasons := map[string]bool{}
	for _, e := range t.Events {
		if e.InvolvedObject.Kind == "Pod" {
			reasons[e.Reason] = true
		}
	}
	var seen []string
	for r := range reasons {
		seen = append(seen, r)
	}
	sort.Strings(seen)
	ev := []report.Fact{fact("pod events", imgOrNone(strings.Join(seen, ", "))), fact("events about the deployment", len(t.Events))}
	scheduled := reasons["Scheduled"]
	lifecycle := reasons["Pulled"] || reasons["Created"] || reasons["Started"]

	// Events expire (the API server's --event-ttl, an hour by default):
	// a pod scheduled and started longer ago than that had its events,
	// and its status still shows them happen.
	ttl := time.Duration(p.Int("event_ttl_minutes", defaultEventTTL)) * time.Minute
	now := SnapshotNow(s)
	var expired []string
	if !now.IsZero() && (!scheduled || !lifecycle) {
		for _, pod := range activePods(t.Pods) {
			if !podReady(&pod) {
				continue
			}
			sch := podScheduledAt(&pod)
			start := upSince(&pod)
			if sch.IsZero() || start.IsZero() || now.Sub(sch) < ttl {
				continue
			}
			expired = append(expired, fmt.Sprintf("%s (scheduled %s ago)", pod.Name, ago(now, sch)))
			scheduled = true
			// A container that restarted within the TTL has fresh
			// Started events; one up longer than the TTL has none left.
			if now.Sub(start) >= ttl {
				lifecycle = true
			}
		}
	}
	if len(expired) > 0 {
		ev = append(ev, fact("expired", strings.Join(expired, ", ")))
	}
	switch {
	case scheduled && lifecycle && len(expired) > 0:
		return pass(T("Your pod's events have expired (the cluster keeps them about %s), but its status shows the lifecycle they recorded: %s was scheduled and its container started.",
			ttlText(ttl), strings.Join(expired, ", ")), ev...)
	case scheduled && lifecycle:
		return pass(T("The cluster recorded your pod's lifecycle: %s.", strings.Join(seen, ", ")), ev...)
	}
	pod := t.Deployment.Name
	if len(t.Pods) > 0 {
		pod = t.Pods[0].Name
	}
	hint := fixHint([]string{"kubectl get events --field-selector involvedObject.name=" + pod},
		T("It lists what the scheduler and the kubelet did with the pod; if it prints nothing, the pod is not running yet (see pods.running)."))
	if scheduled || lifecycle {
		return partial(0.5, T("Only part of the pod's lifecycle was recorded: %s.", imgOrNone(strings.Join(seen, ", "))), hint, ev...)
	}
	return fail(T("No events about your pods were found."), hint, ev...)
}

func ttlText(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "an hour"
		}
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}

// podScheduledAt is when the pod was bound to a node (zero if not yet).
func podScheduledAt(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
			if !c.LastTransitionTime.IsZero() {
				return c.LastTransitionTime.Time
			}
		}
	}
	if p.Spec.NodeName != "" && p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return time.Time{}
}

func judgeServiceExists(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr, servicesErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to expose."))
	}
	if t.Service == nil {
		var ev []report.Fact
		if others := OtherServices(s.NS, t); len(others) > 0 {
			ev = append(ev, fact("other services", strings.Join(others, "; ")))
		}
		msg, hint := diagnoseNoService(s, t, 5000)
		return fail(msg, hint, ev...)
	}
	sv := t.Service
	return pass(T("Service %s selects the deployment's pods.", sv.Name),
		fact("service", sv.Name), fact("type", sv.Spec.Type), fact("selector", fmtLabels(sv.Spec.Selector)), fact("cluster-ip", sv.Spec.ClusterIP))
}

// servicePort is the service's first port (the lesson's 5000 if none).
func servicePort(sv *corev1.Service) int {
	if len(sv.Spec.Ports) > 0 {
		return int(sv.Spec.Ports[0].Port)
	}
	return 5000
}

func judgeServiceType(s *Snapshot, p Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	want := corev1.ServiceType(p.String("type", "LoadBalancer"))
	got := t.Service.Spec.Type
	if got == "" {
		got = corev1.ServiceTypeClusterIP
	}
	ev := []report.Fact{fact("service", t.Service.Name), fact("type", got)}
	if got == want {
		return pass(T("Service %s is of type %s.", t.Service.Name, got), ev...)
	}
	hint := reexposeHint(t, string(want), servicePort(t.Service), 0, T("A service's type is easiest changed by making it again from the deployment."))
	if want == corev1.ServiceTypeLoadBalancer && got == corev1.ServiceTypeNodePort {
		return partial(0.5, T("Service %s is a NodePort; the lab asks for a LoadBalancer (a NodePort is part of one).", t.Service.Name), hint, ev...)
	}
	return fail(T("Service %s is of type %s, not %s.", t.Service.Name, got, want), hint, ev...)
}

func judgeServicePort(s *Snapshot, p Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	want := int32(p.Int("port", 5000))
	// The port the app listens on: declared container ports, else the param.
	appPorts := map[int32]bool{}
	var appPort int32
	for _, c := range t.Deployment.Spec.Template.Spec.Containers {
		for _, cp := range c.Ports {
			appPorts[cp.ContainerPort] = true
			if appPort == 0 {
				appPort = cp.ContainerPort
			}
		}
	}
	if len(appPorts) == 0 {
		appPort = int32(p.Int("target_port", int(want)))
		appPorts[appPort] = true
	}
	var ports []string
	for _, sp := range t.Service.Spec.Ports {
		ports = append(ports, fmt.Sprintf("%d→%s", sp.Port, sp.TargetPort.String()))
	}
	typ := string(t.Service.Spec.Type)
	if typ == "" || typ == string(corev1.ServiceTypeClusterIP) {
		typ = string(corev1.ServiceTypeLoadBalancer)
	}
	ev := []report.Fact{fact("service", t.Service.Name), fact("ports", strings.Join(ports, ", "))}
	for _, sp := range t.Service.Spec.Ports {
		if sp.Port != want {
			continue
		}
		cp, ok := containerPort(t, sp.TargetPort, sp.Port)
		if ok && appPorts[cp] {
			return pass(T("Service %s listens on %d and forwards to the app's port %d.", t.Service.Name, sp.Port, cp), ev...)
		}
		return partial(0.5, T("Service %s listens on %d but forwards to port %s, where the app does not listen.", t.Service.Name, sp.Port, sp.TargetPort.String()),
			reexposeHint(t, typ, int(want), int(appPort), T("The service must forward to the port the app listens on (%d).", appPort)), ev...)
	}
	return fail(T("Service %s does not listen on port %d (it has %s).", t.Service.Name, want, strings.Join(ports, ", ")),
		reexposeHint(t, typ, int(want), int(appPort), T("The lab opens the app on port %d.", want)), ev...)
}
