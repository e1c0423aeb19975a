package checks

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubelab/kubelab/internal/i18n"
)

// Diagnoses: when what a check wants is missing, what did the student do
// instead? Each is a pure function of the snapshot. Their hints start with
// the command that fixes the problem, with the student's own names in it,
// then say why (docs/grading-policy.md).

// fixHint is a hint that starts with the commands that fix the problem, in
// order, then explains why.
func fixHint(cmds []string, why L) L {
	if len(cmds) == 0 {
		return why
	}
	if why.IsZero() {
		return T("%s.", cmdList(cmds))
	}
	return T("%s. %s", cmdList(cmds), why)
}

// cmdList is commands as code, in order: "`a`, then `b`".
func cmdList(cmds []string) L {
	q := make([]L, len(cmds))
	for i, c := range cmds {
		q[i] = i18n.Raw("`" + c + "`")
	}
	return i18n.Join(q, T(", then "))
}

// shortImage writes an image reference the way a student types it: no
// index.docker.io/ or docker.io/, no library/ for official images, the tag
// kept ("budi/app:latest").
func shortImage(ref string) string {
	r, err := name.ParseReference(strings.TrimSpace(ref))
	if err != nil {
		return ref
	}
	repo := r.Context().RepositoryStr()
	if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
		repo = reg + "/" + repo
	} else {
		repo = strings.TrimPrefix(repo, "library/")
	}
	if d, ok := r.(name.Digest); ok {
		return repo + "@" + d.DigestStr()
	}
	return repo + ":" + r.Identifier()
}

// studentImage is the image the student handed in, as they wrote it.
func studentImage(s *Snapshot, t *Target) string {
	if s.Image != nil && strings.TrimSpace(s.Image.Ref) != "" {
		return strings.TrimSpace(s.Image.Ref)
	}
	if t != nil {
		return shortImage(t.Image)
	}
	return "user/repository:tag"
}

// appName is the name kubectl create deployment would be given in the
// lesson: the repository's last part (budi/hello-flask → hello-flask).
func appName(image string) string {
	r, err := name.ParseReference(image)
	if err != nil {
		return "hello-flask"
	}
	return path.Base(r.Context().RepositoryStr())
}

// SnapshotNow is the time the snapshot stands for: Snapshot.Now, else the
// newest timestamp the cluster wrote into it (a saved snapshot without Now
// is then judged as of its own last moment, never as of today).
func SnapshotNow(s *Snapshot) time.Time {
	if !s.Now.IsZero() {
		return s.Now
	}
	var now time.Time
	see := func(t time.Time) {
		if t.After(now) {
			now = t
		}
	}
	if s.NS != nil {
		for _, d := range s.NS.Deployments {
			see(d.CreationTimestamp.Time)
			for _, c := range d.Status.Conditions {
				see(c.LastUpdateTime.Time)
			}
		}
		for _, rs := range s.NS.ReplicaSets {
			see(rs.CreationTimestamp.Time)
		}
		for _, p := range s.NS.Pods {
			see(p.CreationTimestamp.Time)
			for _, c := range p.Status.Conditions {
				see(c.LastTransitionTime.Time)
			}
			for _, cs := range p.Status.ContainerStatuses {
				if r := cs.State.Running; r != nil {
					see(r.StartedAt.Time)
				}
				if x := cs.State.Terminated; x != nil {
					see(x.FinishedAt.Time)
				}
				if x := cs.LastTerminationState.Terminated; x != nil {
					see(x.FinishedAt.Time)
				}
			}
		}
		for _, sv := range s.NS.Services {
			see(sv.CreationTimestamp.Time)
		}
		for _, e := range s.NS.Events {
			see(e.LastTimestamp.Time)
			see(e.EventTime.Time)
			see(e.CreationTimestamp.Time)
		}
	}
	return now
}

// ago says how long before now t was, rounded for a reader ("3h", "2d").
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Deployment.

// barePods are the pods in ns that no controller owns (made with kubectl
// run) and that run the student's image repository.
func barePods(ns *Namespace, image string) []corev1.Pod {
	_, repo, err := NormalizeImage(image)
	if err != nil {
		return nil
	}
	var out []corev1.Pod
	for _, p := range ns.Pods {
		if len(p.OwnerReferences) > 0 || p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Spec.Containers {
			if _, r, err := NormalizeImage(c.Image); err == nil && r == repo {
				out = append(out, p)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// diagnoseNoDeployment says what the student did instead of a deployment
// running their image: a pod made with kubectl run, a deployment running
// another image, or nothing at all in the graded namespace.
func diagnoseNoDeployment(s *Snapshot, t *Target) (msg, hint L) {
	img := studentImage(s, t)
	ns := s.NS.Name
	if pods := barePods(s.NS, t.Image); len(pods) > 0 {
		p := pods[0]
		return T("No deployment runs your image %s, but pod %s does: it was made with kubectl run, and a pod alone is neither restarted nor scaled by Kubernetes.", img, p.Name),
			fixHint([]string{"kubectl delete pod " + p.Name, fmt.Sprintf("kubectl create deployment %s --image=%s", p.Name, img)},
				T("The lab asks for a Deployment, which keeps the pod running for you."))
	}
	if len(s.NS.Deployments) > 0 {
		d := nearestDeployment(s.NS, t.Image)
		c := d.Spec.Template.Spec.Containers[0]
		return T("No deployment in namespace %s runs your image %s; deployment %s runs %s.", ns, img, d.Name, c.Image),
			fixHint([]string{fmt.Sprintf("kubectl set image deployment/%s %s=%s", d.Name, c.Name, img)},
				T("This makes deployment %s run the image you pushed and handed in (%s); compare the two names letter by letter.", d.Name, img))
	}
	return T("There is no deployment in namespace %s.", ns),
		fixHint([]string{fmt.Sprintf("kubectl create deployment %s --image=%s -n %s", appName(t.Image), img, ns)},
			T("If you made it already, `kubectl get deployments --all-namespaces` shows where: kubelab grades namespace %s only (kubelab cannot read other namespaces' work).", ns))
}

// nearestDeployment is the deployment with a container whose repository is
// closest to the student's (a typo in the name); ties go to the oldest.
func nearestDeployment(ns *Namespace, image string) *appsv1.Deployment {
	_, want, _ := NormalizeImage(image)
	best, bestD := -1, 1<<30
	for i := range ns.Deployments {
		d := &ns.Deployments[i]
		if len(d.Spec.Template.Spec.Containers) == 0 {
			continue
		}
		dist := 1 << 20
		for _, c := range d.Spec.Template.Spec.Containers {
			if _, r, err := NormalizeImage(c.Image); err == nil {
				dist = min(dist, editDistance(r, want))
			}
		}
		if best < 0 || dist < bestD || (dist == bestD && d.CreationTimestamp.Before(&ns.Deployments[best].CreationTimestamp)) {
			best, bestD = i, dist
		}
	}
	if best < 0 {
		return &ns.Deployments[0]
	}
	return &ns.Deployments[best]
}

// Image identity.

// digestOf returns the digest an image reference or a container status
// imageID names ("docker-pullable://budi/app@sha256:…" → "sha256:…").
func digestOf(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	return ""
}

// sameImage says whether a container's image is the image handed in,
// written differently: the same name once normalised (docker.io/,
// index.docker.io/, library/, :latest), a digest pin of the pushed digest,
// or another tag whose pods run the pushed digest. how says which, for the
// message; known is false when the registry's digest is unknown.
func sameImage(s *Snapshot, t *Target, c string, pods []corev1.Pod) (same bool, how string) {
	full, repo, err := NormalizeImage(c)
	if err != nil {
		return false, ""
	}
	if full == t.Image {
		return true, ""
	}
	_, wantRepo, err := NormalizeImage(t.Image)
	if err != nil || repo != wantRepo {
		return false, ""
	}
	pushed := ""
	if s.Image != nil {
		pushed = s.Image.Digest
	}
	if d := digestOf(full); d != "" {
		switch {
		case pushed == "":
			// The registry could not be asked: a pin of the student's own
			// repository is given the benefit of the doubt.
			return true, "pinned by digest; the registry's digest was not read, so it was not compared"
		case d == pushed:
			return true, "pinned by the digest you pushed"
		}
		return false, ""
	}
	if pushed == "" {
		return false, ""
	}
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Image != "" && cs.Image != c {
				if f, _, err := NormalizeImage(cs.Image); err != nil || f != full {
					continue
				}
			}
			if digestOf(cs.ImageID) == pushed {
				return true, fmt.Sprintf("tag %s holds the same digest", imageTag(c))
			}
		}
	}
	return false, ""
}

// Services.

// diagnoseNoService says what the student exposed instead of the
// deployment: a service whose selector matches other pods (made with
// kubectl expose pod, or a typo), or none.
func diagnoseNoService(s *Snapshot, t *Target, port int) (msg, hint L) {
	d := t.Deployment.Name
	expose := fmt.Sprintf("kubectl expose deployment %s --type=LoadBalancer --port=%d", d, port)
	var others []corev1.Service
	for _, sv := range s.NS.Services {
		if sv.Name != "kubernetes" {
			others = append(others, sv)
		}
	}
	sort.Slice(others, func(i, j int) bool { return svcNear(others[i], d) < svcNear(others[j], d) })
	if len(others) == 0 {
		return T("No service exposes deployment %s.", d),
			fixHint([]string{expose}, T("A Service gives the pods of %s one address that a browser can reach.", d))
	}
	sv := others[0]
	sel := labels.Set(sv.Spec.Selector).String()
	if sel == "" {
		sel = "(none)"
	}
	var what L
	for _, p := range s.NS.Pods {
		if len(sv.Spec.Selector) > 0 && labels.SelectorFromSet(sv.Spec.Selector).Matches(labels.Set(p.Labels)) {
			if len(p.OwnerReferences) == 0 {
				what = T(" It selects pod %s, made with kubectl run.", p.Name)
			} else {
				what = T(" It selects pod %s, which belongs to something else.", p.Name)
			}
			break
		}
	}
	msg = T("No service selects the pods of deployment %s (labels %s); service %s selects %s.",
		d, fmtLabels(t.Deployment.Spec.Template.Labels), sv.Name, sel)
	msg = i18n.Concat(msg, what)
	return msg,
		fixHint([]string{"kubectl delete service " + sv.Name, expose},
			T("kubectl expose deployment copies the deployment's own selector, so the service reaches its pods."))
}

// svcNear ranks services for a diagnosis: one named like the deployment
// first, then a LoadBalancer, then the rest by name.
func svcNear(s corev1.Service, deployment string) string {
	r := "2"
	if s.Name == deployment {
		r = "0"
	} else if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
		r = "1"
	}
	return r + s.Name
}

// reexposeHint is the fix for a service of the wrong type or port: make it
// again from the deployment.
func reexposeHint(t *Target, typ string, port, targetPort int, why L) L {
	cmd := fmt.Sprintf("kubectl expose deployment %s --type=%s --port=%d", t.Deployment.Name, typ, port)
	if targetPort != 0 && targetPort != port {
		cmd += fmt.Sprintf(" --target-port=%d", targetPort)
	}
	return fixHint([]string{"kubectl delete service " + t.Service.Name, cmd}, why)
}

// The app's address.

var (
	localhostLogRe = regexp.MustCompile(`Running on (?:http://)?(?:127\.0\.0\.1|localhost):(\d+)`)
	allAddrLogRe   = regexp.MustCompile(`Running on all addresses|Running on (?:http://)?0\.0\.0\.0`)
)

// localhostOnly says how we know the app listens on 127.0.0.1 only inside
// its container: Flask's own start-up line in the run probe's logs, else
// app.py's app.run(...) without host= when python runs it; in both
// languages. Empty when there is no sign of it.
func localhostOnly(s *Snapshot) L {
	if r := s.Run; r != nil && r.Logs != "" {
		if m := localhostLogRe.FindString(r.Logs); m != "" && !allAddrLogRe.MatchString(r.Logs) {
			return T("the container's log says %q", m)
		}
	}
	if im := s.Image; im != nil && im.Config != nil {
		if f, where := imgAppSource(im, Params{}); f != nil && imgAnalyzeCommand(im.Config).Server == "python" {
			if r := imgCodePort(f.Content, im.Config.Env); r.found && r.hostMissing {
				return T("%s calls %s without host=\"0.0.0.0\"", where, r.how)
			}
		}
	}
	return L{}
}

// localhostHint is the fix for an app that listens on 127.0.0.1 only.
func localhostHint(image, deployment string, port int) L {
	cmds := []string{fmt.Sprintf("docker build -t %s .", image), "docker push " + image}
	if deployment != "" {
		cmds = append(cmds, "kubectl rollout restart deployment/"+deployment)
	}
	return T("In app.py write app.run(host=\"0.0.0.0\", port=%d), then %s. Flask listens on 127.0.0.1 unless told otherwise, and 127.0.0.1 inside a container is reachable from nowhere else.", port, cmdList(cmds))
}
