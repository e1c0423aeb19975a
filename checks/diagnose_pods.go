package checks

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// What a real kubelet reports for a pod that is not Running and Ready, read
// as a cause and the command that fixes it (issue 14, part 6).

// slowStart is how long a container may stay ContainerCreating before it is
// called stuck: pulling the lesson's image on a slow line takes a minute or
// two.
const slowStart = 3 * time.Minute

// starting says pod p is on its way up with nothing wrong named yet: made
// less than slowStart ago, waiting for a node with no Unschedulable word or
// for the kubelet to create its containers, no run of them ended. What
// fails because of it ends by itself within seconds (Judgement.Settling).
// Without a clock it cannot tell, and says no.
func starting(p *corev1.Pod, now time.Time) bool {
	if p.Status.Phase != corev1.PodPending || now.IsZero() || p.CreationTimestamp.IsZero() || now.Sub(p.CreationTimestamp.Time) >= slowStart {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return false
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if cs.State.Terminated != nil && cs.State.Terminated.Reason != "Completed" || cs.RestartCount > 0 {
			return false
		}
		if w := cs.State.Waiting; w != nil && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			return false
		}
	}
	return true
}

// onTheWay says every one of pods that is not running fine is starting,
// and one is: a pod being deleted (an evicted one, the old one of a
// rollout) is on its way out and counts neither way.
func onTheWay(pods []corev1.Pod, now time.Time) bool {
	n := 0
	for i := range pods {
		p := &pods[i]
		if terminalPod(p) || p.DeletionTimestamp != nil || runningFine(p, now) {
			continue
		}
		if !starting(p, now) {
			return false
		}
		n++
	}
	return n > 0
}

// terminalPod: a Failed or Succeeded pod (evicted, node shut down) is
// history; its ReplicaSet has made a replacement.
func terminalPod(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
}

// podTrouble explains why pod p of the target is not Running and Ready.
func podTrouble(s *Snapshot, t *Target, p *corev1.Pod) (reason string, msg, hint L) {
	now := SnapshotNow(s)
	d := t.Deployment.Name
	img := studentImage(s, t)
	describe := "kubectl describe pod " + p.Name
	// An unscheduled pod has no container to wait for.
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return "Unschedulable", T("Pod %s is Pending: no node can take it (%s).", p.Name, c.Message), unschedulableHint(d, p.Name, c.Message)
		}
	}
	// A pod on a node that has stopped reporting shows the node's last
	// word, not the present (issue 28: kubelet stopped, pods still show
	// Running).
	if since, down := nodeNotReady(s, p.Spec.NodeName); down {
		return "NodeNotReady", T("Pod %s shows %s, but its node %s is NotReady (%s): the node has stopped reporting, so nothing says the pod still runs.", p.Name, p.Status.Phase, p.Spec.NodeName, since),
			fixHint([]string{"kubectl get nodes", "minikube status"}, T("Start or repair the node (`minikube start`); its pods come back by themselves."))
	}
	// Running (and Ready when it has no readiness probe) in the seconds
	// between two crashes: the crash is what the student must see.
	if c := recentCrash(p, now); c.x != nil && p.Status.Phase == corev1.PodRunning {
		_, m, h := crashTrouble(s, t, p, c.cs, c.x)
		cut := i18n.Func(func(lang string) string { return strings.TrimPrefix(m.In(lang), "Pod "+p.Name+": ") })
		when := c.x.FinishedAt.Time
		if when.IsZero() {
			when = c.started
		}
		passAt := when.Add(crashWindow).UTC().Format("15:04")
		return "Restarted after " + c.reason(),
			T("Pod %s is Running again, but its container crashed %s ago and has restarted %d times: %s If it keeps running, this passes at %s UTC (%s after the crash).",
				p.Name, ago(now, when), c.cs.RestartCount, cut, passAt, crashWindowText), h
	}
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		if x := cs.State.Terminated; x != nil && x.Reason != "Completed" {
			// Between two restarts the kubelet shows the run that just ended.
			return crashTrouble(s, t, p, cs, x)
		}
		w := cs.State.Waiting
		if w == nil || w.Reason == "" {
			continue
		}
		switch w.Reason {
		case "ContainerCreating", "PodInitializing":
			age := now.Sub(p.CreationTimestamp.Time)
			if p.CreationTimestamp.IsZero() || now.IsZero() || age < slowStart {
				return w.Reason, T("Pod %s is still starting (%s).", p.Name, w.Reason),
					fixHint([]string{"kubectl get pods -w"}, T("Wait until it shows Running (the first pull of the image takes a minute), then check again."))
			}
			return w.Reason, T("Pod %s has been stuck in %s for %s.", p.Name, w.Reason, ago(now, p.CreationTimestamp.Time)),
				fixHint([]string{describe}, T("The events at the bottom say what it waits for: a very large image still pulling, a volume that cannot be mounted, or the network plugin."))
		case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
			return w.Reason, T("Pod %s cannot pull its image %s (%s).", p.Name, cs.Image, w.Reason), pullHint(s, t, p, cs, w)
		case "CrashLoopBackOff":
			if x := cs.LastTerminationState.Terminated; x != nil {
				_, m, h := crashTrouble(s, t, p, cs, x)
				// One sentence about the pod: crashTrouble's text without its "Pod X: ".
				cut := i18n.Func(func(lang string) string { return strings.TrimPrefix(m.In(lang), "Pod "+p.Name+": ") })
				return w.Reason, T("Pod %s is crash-looping (restarted %d times): %s", p.Name, cs.RestartCount, cut), h
			}
			return w.Reason, T("Pod %s is crash-looping: the app starts and exits; restarted %d times.", p.Name, cs.RestartCount),
				fixHint([]string{"kubectl logs " + p.Name + " --previous"}, T("It shows the error that stopped the app."))
		case "CreateContainerConfigError", "CreateContainerError":
			return w.Reason, T("Pod %s: the container cannot be created (%s: %s).", p.Name, w.Reason, w.Message),
				fixHint([]string{describe, "kubectl edit deployment " + d},
					T("The deployment refers to something missing (a Secret or ConfigMap that does not exist, a bad security setting): create it, or remove the reference from the deployment. The lesson's deployment needs neither: `kubectl create deployment %s --image=%s` makes a clean one.", d, img))
		case "RunContainerError", "StartError":
			return w.Reason, T("Pod %s: the container cannot be started (%s: %s).", p.Name, w.Reason, w.Message),
				startHint(s, t, w.Message)
		default:
			return w.Reason, T("Pod %s is waiting: %s %s.", p.Name, w.Reason, w.Message),
				fixHint([]string{describe}, T("Its events say what the pod waits for."))
		}
	}
	if terminalPod(p) {
		why := p.Status.Reason
		if why == "" {
			why = string(p.Status.Phase)
		}
		return why, T("Pod %s has ended (%s: %s).", p.Name, why, p.Status.Message),
			fixHint([]string{"kubectl delete pod " + p.Name}, T("Deployment %s makes a new pod; if this one was evicted, the node ran short of memory or disk (`kubectl describe node`).", d))
	}
	if p.Status.Phase == corev1.PodPending {
		return "Pending", T("Pod %s is still Pending.", p.Name),
			fixHint([]string{"kubectl get pods -w"}, T("Wait a moment and check again; `%s` shows its progress.", describe))
	}
	if p.Status.Phase == corev1.PodRunning {
		return "NotReady", T("Pod %s runs but is not Ready.", p.Name),
			fixHint([]string{describe}, T("A readiness probe fails or the container restarts; its events say which."))
	}
	return string(p.Status.Phase), T("Pod %s is %s.", p.Name, p.Status.Phase), fixHint([]string{describe}, L{})
}

// crashTrouble explains a container run that ended: an error, a crash, an
// out-of-memory kill, a clean exit of an app that should keep serving.
func crashTrouble(s *Snapshot, t *Target, p *corev1.Pod, cs corev1.ContainerStatus, x *corev1.ContainerStateTerminated) (string, L, L) {
	// Which command shows that run's log depends on where the status puts
	// it. The kubelet keeps one ended container per container name (its
	// garbage collection removes the older ones), and names it in
	// lastState while the next run is Running or waiting out its back-off:
	// `--previous` reads it. But for a while after a run ends, its status
	// shows that run as state.terminated, and lastState names the run
	// before, already removed: `--previous` then answers "unable to
	// retrieve container logs" (seen on the real node, issue 28), and the
	// plain `kubectl logs` is the one that reads the crash. The status can
	// stay so for the whole back-off (minutes: the real node's CI run showed
	// it for over 20 s), and the student may read the hint after the app
	// crashed again, so the hint names both commands, the one for now first
	// (kubelet_pods.go validateContainerLogStatus: without --previous the
	// kubelet reads state.terminated's container, else lastState's).
	logs := "kubectl logs " + p.Name + " --previous"
	logHint := func(why L) L {
		return i18n.Concat(fixHint([]string{logs}, why), i18n.Raw(" "),
			T("If `--previous` answers \"unable to retrieve container logs\", the app has crashed again since: `kubectl logs %s` shows that run.", p.Name))
	}
	if cs.State.Terminated == x {
		logs = "kubectl logs " + p.Name
		logHint = func(why L) L {
			return i18n.Concat(fixHint([]string{logs}, why), i18n.Raw(" "),
				T("Once the pod has started again, that run's log is `kubectl logs %s --previous`.", p.Name))
		}
	}
	switch {
	case x.Reason == "OOMKilled" || x.ExitCode == 137 && strings.Contains(x.Message, "OOM"):
		limit := "256Mi"
		return "OOMKilled", T("Pod %s was killed for using more memory than its limit (OOMKilled).", p.Name),
			fixHint([]string{fmt.Sprintf("kubectl set resources deployment %s --limits=memory=%s", t.Deployment.Name, limit)},
				T("A Flask app needs about 50–100 MiB; the memory limit of the deployment is lower than that (or the node itself ran out)."))
	case x.Reason == "StartError" || x.Reason == "ContainerCannotRun" || x.ExitCode == 126 || x.ExitCode == 127 || x.ExitCode == 128:
		return x.Reason, T("Pod %s: the container's command could not start (%s, exit code %d: %s).", p.Name, x.Reason, x.ExitCode, x.Message),
			startHint(s, t, x.Message)
	case x.ExitCode == 0:
		return "Completed", T("Pod %s: the app exits with code 0 instead of serving.", p.Name),
			logHint(T("The container must keep running: app.py should end with app.run(host=\"0.0.0.0\", port=5000), and the image's CMD should start app.py."))
	}
	msg := T("Pod %s: the app stopped with exit code %d (%s).", p.Name, x.ExitCode, x.Reason)
	if line := crashLogLine(t, p.Name, cs.Name); line != "" {
		msg = T("Pod %s: the app stopped with exit code %d (%s); its log ends with: %s.", p.Name, x.ExitCode, x.Reason, line)
	}
	return x.Reason, msg,
		logHint(T("It shows the Python error that stopped the app (a module missing from requirements.txt, a typo in app.py); fix it, build and push the image, then `kubectl rollout restart deployment/%s`.", t.Deployment.Name))
}

// nodeNotReady says whether the node called name is listed with a Ready
// condition that is not True, and since when (the condition's reason and
// how long ago). A node not listed, or listed without a Ready condition,
// is not held against the pod.
func nodeNotReady(s *Snapshot, name string) (string, bool) {
	if s.Cluster == nil || name == "" {
		return "", false
	}
	for i := range s.Cluster.Nodes {
		n := &s.Cluster.Nodes[i]
		if n.Name != name {
			continue
		}
		for _, c := range n.Status.Conditions {
			if c.Type != corev1.NodeReady || c.Status == corev1.ConditionTrue {
				continue
			}
			why := c.Reason
			if why == "" {
				why = "Ready " + string(c.Status)
			}
			if now := SnapshotNow(s); !now.IsZero() && !c.LastTransitionTime.IsZero() {
				why += ", " + ago(now, c.LastTransitionTime.Time) + " ago"
			}
			return why, true
		}
	}
	return "", false
}

// crashLogMax is how much of a log line a message quotes: a traceback's
// last line names the error in far less.
const crashLogMax = 200

// ansiEscape matches a terminal colour or cursor sequence (ESC [ ... final
// byte): a log line is quoted as plain text.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// crashLogLine is the last non-empty line of the log the container's
// crashed run left (Target.CrashLogs), as plain text of one line, cut to
// crashLogMax characters; "" when no log was read. The report writers
// escape it like every text from the student's cluster.
func crashLogLine(t *Target, pod, container string) string {
	text := t.CrashLogs[snapshot.LogKey(pod, container)]
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(report.CleanLine(ansiEscape.ReplaceAllString(lines[i], "")))
		if l == "" {
			continue
		}
		if r := []rune(l); len(r) > crashLogMax {
			l = string(r[:crashLogMax]) + "…"
		}
		return l
	}
	return ""
}

// crashWindow is how long after a container's run ended in an error the
// pod still counts as crashing, though it runs (and is Ready) again. Twice
// the kubelet's longest CrashLoopBackOff wait (5 minutes): a crash loop at
// its slowest pace is still caught in the second it runs between crashes,
// and a pod that crashed once and then ran fine for 10 minutes passes.
const crashWindow = 10 * time.Minute

const crashWindowText = "10 min"

// crash is a container's run that ended in an error not long ago.
type crash struct {
	cs      corev1.ContainerStatus
	x       *corev1.ContainerStateTerminated
	started time.Time // when the current run began
}

func (c crash) reason() string {
	if c.x.Reason != "" {
		return c.x.Reason
	}
	return fmt.Sprintf("exit code %d", c.x.ExitCode)
}

// runningFine reports whether pod p is Ready now and did not just crash:
// Ready alone is also true in the seconds between two crashes (issue 28),
// when the Deployment's and the EndpointSlice's counts still include it.
func runningFine(p *corev1.Pod, now time.Time) bool {
	return podReady(p) && recentCrash(p, now).x == nil
}

// recentCrash finds a running container of p that restarted after a run that ended
// in an error (a non-zero exit code, OOMKilled) within crashWindow of now.
// Left out: a run that ended with reason Unknown (the kubelet lost it when
// minikube or the node was stopped and started: no fault of the app), and
// any time it cannot tell (no clock in the snapshot, no timestamps), so an
// old crash is never held against a pod.
func recentCrash(p *corev1.Pod, now time.Time) crash {
	if now.IsZero() {
		return crash{}
	}
	for _, cs := range p.Status.ContainerStatuses {
		x := cs.LastTerminationState.Terminated
		// Only a container running again: one waiting in its back-off is
		// CrashLoopBackOff (podTrouble says so), not "Running again".
		if cs.State.Running == nil || cs.RestartCount == 0 || x == nil || x.Reason == "Unknown" || x.Reason == "Completed" && x.ExitCode == 0 {
			continue
		}
		if x.ExitCode == 0 && x.Reason != "OOMKilled" {
			continue
		}
		var started time.Time
		if r := cs.State.Running; r != nil {
			started = r.StartedAt.Time
		}
		when := x.FinishedAt.Time
		if when.IsZero() {
			when = started
		}
		if when.IsZero() || now.Sub(when) >= crashWindow {
			continue
		}
		return crash{cs: cs, x: x, started: started}
	}
	return crash{}
}

// startHint explains a command that cannot start: a binary built for
// another CPU, or a command that is not in the image.
func startHint(s *Snapshot, t *Target, msg string) L {
	img := studentImage(s, t)
	if strings.Contains(msg, "exec format error") {
		arch := "amd64"
		if as := nodeArchs(s); len(as) > 0 {
			arch = strings.TrimPrefix(as[0], "linux/")
		}
		return fixHint([]string{fmt.Sprintf("docker buildx build --platform linux/%s -t %s --push .", arch, img), "kubectl rollout restart deployment/" + t.Deployment.Name},
			T("\"exec format error\" means the image was built for another CPU than the node's."))
	}
	return fixHint([]string{fmt.Sprintf("docker run --rm %s", img)},
		T("The command in ENTRYPOINT/CMD does not exist in the image; end the Dockerfile with CMD [\"python\", \"app.py\"] on a python base image, build and push again, then `kubectl rollout restart deployment/%s`.", t.Deployment.Name))
}

// pullHint explains a failed pull from the image named and the runtime's
// message.
func pullHint(s *Snapshot, t *Target, p *corev1.Pod, cs corev1.ContainerStatus, w *corev1.ContainerStateWaiting) L {
	img := studentImage(s, t)
	d := t.Deployment.Name
	cname := cs.Name
	m := strings.ToLower(w.Message)
	full, _, err := NormalizeImage(cs.Image)
	if w.Reason == "InvalidImageName" || err != nil {
		return fixHint([]string{fmt.Sprintf("kubectl set image deployment/%s %s=%s", d, cname, img)},
			T("%q is not a valid image name (all lowercase, user/repository:tag).", cs.Image))
	}
	if same, _ := sameImage(s, t, cs.Image, nil); !same && full != t.Image {
		return fixHint([]string{fmt.Sprintf("kubectl set image deployment/%s %s=%s", d, cname, img)},
			T("The deployment asks for %s, not the image you pushed (%s).", cs.Image, img))
	}
	switch {
	case w.Reason == "ErrImageNeverPull":
		return fixHint([]string{fmt.Sprintf("kubectl set image deployment/%s %s=%s", d, cname, img), fmt.Sprintf("kubectl patch deployment %s --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec/template/spec/containers/0/imagePullPolicy\"}]'", d)},
			T("imagePullPolicy: Never forbids the pull; the lesson pulls from Docker Hub."))
	case strings.Contains(m, "toomanyrequests") || strings.Contains(m, "rate limit"):
		return rateLimitHint(p, img)
	case strings.Contains(m, "no match for platform") || strings.Contains(m, "no matching manifest"):
		arch := "amd64"
		if as := nodeArchs(s); len(as) > 0 {
			arch = strings.TrimPrefix(as[0], "linux/")
		}
		return fixHint([]string{fmt.Sprintf("docker buildx build --platform linux/%s -t %s --push .", arch, img), "kubectl delete pod " + p.Name},
			T("The image holds no build for the node's CPU."))
	case strings.Contains(m, "no such host") || strings.Contains(m, "i/o timeout") || strings.Contains(m, "dial tcp") || strings.Contains(m, "connection refused"):
		return fixHint([]string{"minikube ssh -- curl -sI https://registry-1.docker.io/v2/"}, T("The cluster cannot reach Docker Hub (no internet, proxy or DNS inside minikube); fix the connection, then `kubectl delete pod %s`.", p.Name))
	case strings.Contains(m, "not found") || strings.Contains(m, "manifest unknown"):
		return fixHint([]string{"docker push " + img, "kubectl delete pod " + p.Name}, T("Docker Hub has no %s: push it under exactly this name.", img))
	case strings.Contains(m, "denied") || strings.Contains(m, "unauthorized") || strings.Contains(m, "authorization") || strings.Contains(m, "401"):
		return privateHint(p, img)
	}
	return fixHint([]string{"kubectl describe pod " + p.Name}, T("Its events give the registry's answer; compare the image there with what you pushed (%s).", img))
}

// unschedulableHint reads the scheduler's message.
func unschedulableHint(d, pod, msg string) L {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "insufficient cpu") || strings.Contains(m, "insufficient memory"):
		return fixHint([]string{fmt.Sprintf("kubectl set resources deployment %s --requests=cpu=100m,memory=128Mi", d)},
			T("The pod asks for more CPU or memory than the node has free; ask for less, or give minikube more: minikube cannot resize a cluster that exists, so `minikube delete` (it removes the cluster and everything in it), then `minikube start --cpus=2 --memory=4g`, and create the deployment and service again."))
	case strings.Contains(m, "taint") || strings.Contains(m, "not-ready") || strings.Contains(m, "unreachable"):
		return fixHint([]string{"kubectl get nodes", "minikube status"}, T("The node is not Ready (or is tainted): start or repair it (`minikube start`)."))
	case strings.Contains(m, "affinity") || strings.Contains(m, "selector"):
		return fixHint([]string{"kubectl edit deployment " + d}, T("Remove the nodeSelector/affinity that no node matches."))
	case strings.Contains(m, "no nodes available"):
		return fixHint([]string{"minikube start"}, T("The cluster has no node to run pods."))
	}
	return fixHint([]string{"kubectl describe pod " + pod}, T("The scheduler's message says why no node fits."))
}

// privateHint: the registry refused the pull without a login. Docker Hub
// answers so for a private repository and for one that does not exist.
// The pull secret is the fix that keeps the repository private (proven on
// the real node, issue 28); making it public or pushing it are the others.
func privateHint(p *corev1.Pod, img string) L {
	why := T("The registry refused the pull without a login: the repository is private, or does not exist. If you pushed it, these let the node pull as you: the secret holds your login (for Docker Hub an access token: Account settings → Personal access tokens, read-only), the default service account hands it to every pod, and the new pod pulls at once. Or make it public (Docker Hub → repository → Settings → Public) and `kubectl delete pod %s`. If you never pushed it: `docker push %s`.", p.Name, img)
	return i18n.Func(func(lang string) string {
		return fixHint(pullSecretCommands(p, img, i18n.Tr(lang, "<access-token>")), why).In(lang)
	})
}

// pullSecretCommands make the node pull img as the student: a
// docker-registry secret for img's registry, which the namespace's default
// service account hands to every new pod, then a new pod.
func pullSecretCommands(p *corev1.Pod, img, token string) []string {
	user, server, secret := "user", "https://index.docker.io/v1/", "dockerhub"
	if r, err := name.ParseReference(img); err == nil {
		if u, _, ok := strings.Cut(r.Context().RepositoryStr(), "/"); ok {
			user = u
		}
		if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
			server, secret = reg, "regcred"
		}
	}
	return []string{
		fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=%s --docker-password=%s", secret, p.Namespace, server, user, token),
		fmt.Sprintf(`kubectl patch serviceaccount default -n %s -p '{"imagePullSecrets":[{"name":"%s"}]}'`, p.Namespace, secret),
		fmt.Sprintf("kubectl delete pod %s -n %s", p.Name, p.Namespace),
	}
}

// rateLimitHint: Docker Hub allows 10 anonymous pulls an hour per IPv4
// address (a whole campus behind one NAT shares them) and 100 for a
// personal account. The fix that lasts is to pull as the student: a
// docker-registry secret the namespace's default service account hands to
// every pod, then a new pod.
func rateLimitHint(p *corev1.Pod, img string) L {
	why := T("Docker Hub allows 10 pulls an hour per IPv4 address without a login (a class behind one campus address shares them) and 100 an hour for a personal account: the secret makes the node pull as you (an access token from Docker Hub → Account settings → Personal access tokens, read-only), and the new pod pulls at once. Or wait for the hour to pass. This is not a mistake in your work.")
	// The token placeholder is a word the student replaces: in their language.
	return i18n.Func(func(lang string) string {
		return fixHint(pullSecretCommands(p, img, i18n.Tr(lang, "<access-token>")), why).In(lang)
	})
}
