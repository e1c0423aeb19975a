package checks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

// Checks for the scaling lab: replicas, rollouts and probes. Pure functions
// of the snapshot's namespace (deployment, its ReplicaSets and pods).

// The annotations the deployment controller writes on a deployment and its
// ReplicaSets: the revision number, and the earlier revisions a ReplicaSet
// held before `kubectl rollout undo` brought it back.
const (
	RevisionAnnotation        = "deployment.kubernetes.io/revision"
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
)

func init() {
	register(&Check{ID: "deployment.replicas", Doc: "the deployment is scaled to the given number of replicas (desired) and that many are available",
		Sources: []Source{SrcNamespace}, Judge: judgeReplicas,
		Params:   []Param{{Name: "replicas", Default: 3, Doc: "the replicas the deployment must want and have available"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "rollout.revision", Doc: "the deployment has been rolled out at least min_revision times (revision annotations on its ReplicaSets), with tag among its revisions if set",
		Sources: []Source{SrcNamespace}, Judge: judgeRevision,
		Params: []Param{
			{Name: "min_revision", Default: 2, Doc: "the lowest revision number the deployment must have reached"},
			{Name: "tag", Default: "", Doc: "an image tag one revision of the history must run, e.g. v2 (empty: any)"},
		},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Skipped, report.Error}})
	register(&Check{ID: "rollout.image", Doc: "the deployment's current image has the given tag and the rollout to it is complete; with rolled_back, it came back to that tag with kubectl rollout undo",
		Sources: []Source{SrcNamespace}, Judge: judgeRolloutImage,
		Params: []Param{
			{Name: "tag", Default: "v2", Doc: "the tag the deployment's container image must have"},
			{Name: "container", Default: "", Doc: "the container to look at (default: the first)"},
			{Name: "rolled_back", Default: false, Doc: "require that the deployment came back to tag with kubectl rollout undo (a ReplicaSet running it was brought back, as its revision-history annotation shows); stays true after later rollouts"},
		},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "probes.present", Doc: "the deployment's container has a readiness and/or liveness probe, on the given port and path if set",
		Sources: []Source{SrcNamespace}, Judge: judgeProbes,
		Params: []Param{
			{Name: "readiness", Default: true, Doc: "require a readiness probe"},
			{Name: "liveness", Default: true, Doc: "require a liveness probe"},
			{Name: "port", Default: 0, Doc: "the port the probes must use (0: any)"},
			{Name: "path", Default: "", Doc: "the HTTP path the probes must request (empty: any; a non-HTTP probe then does not count)"},
		},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
}

func replicaSetsErr(n *Namespace) *GatherError { return n.ReplicaSetsErr }

// boolParam reads a boolean parameter.
func boolParam(p Params, name string, def bool) bool {
	switch v := p[name].(type) {
	case bool:
		return v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

// deploymentOrSkip returns the target with a deployment, or the judgement
// when there is none (skipped: deployment.exists says why).
func deploymentOrSkip(s *Snapshot, errs ...func(*Namespace) *GatherError) (*Target, *Judgement) {
	t, j := nsState(s, append([]func(*Namespace) *GatherError{deploymentsErr}, errs...)...)
	if j != nil {
		return nil, j
	}
	if t.Deployment == nil {
		j := skip(T("No deployment to inspect."))
		return nil, &j
	}
	return t, nil
}

// deployment.replicas

func judgeReplicas(s *Snapshot, p Params) Judgement {
	t, j := deploymentOrSkip(s)
	if j != nil {
		return *j
	}
	d := t.Deployment
	want := int32(p.Int("replicas", 3))
	desired, avail := replicas(t), d.Status.AvailableReplicas
	ev := []report.Fact{fact("deployment", d.Name), fact("desired", desired), fact("available", avail),
		fact("ready", d.Status.ReadyReplicas), fact("pods", len(t.Pods))}
	if desired != want {
		return fail(T("Deployment %s wants %d replica(s); the lab asks for %d.", d.Name, desired, want),
			T("`kubectl scale deployment %s --replicas=%d`", d.Name, want), ev...)
	}
	if avail >= want {
		return pass(T("Deployment %s: %d of %d replicas available.", d.Name, avail, want), ev...)
	}
	msg := T("Deployment %s is scaled to %d, but only %d replica(s) are available.", d.Name, want, avail)
	hint := T("Wait for `kubectl rollout status deployment/%s`; if it hangs, `kubectl get pods` shows the pods that do not start.", d.Name)
	if avail == 0 {
		return fail(msg, hint, ev...)
	}
	return partial(float64(avail)/float64(want), msg, hint, ev...)
}

// rollout history

// revisionOf reads an object's revision annotation (0 when absent).
func revisionOf(ann map[string]string) int {
	n, err := strconv.Atoi(ann[RevisionAnnotation])
	if err != nil {
		return 0
	}
	return n
}

// ownedReplicaSets returns the deployment's ReplicaSets, oldest revision
// first.
func ownedReplicaSets(ns *Namespace, d *appsv1.Deployment) []appsv1.ReplicaSet {
	var out []appsv1.ReplicaSet
	for _, rs := range ns.ReplicaSets {
		for _, o := range rs.OwnerReferences {
			if o.Kind != "Deployment" {
				continue
			}
			if (o.UID != "" && d.UID != "" && o.UID == d.UID) || ((o.UID == "" || d.UID == "") && o.Name == d.Name) {
				out = append(out, rs)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return revisionOf(out[i].Annotations) < revisionOf(out[j].Annotations) })
	return out
}

func rsImages(rs *appsv1.ReplicaSet) string {
	var imgs []string
	for _, c := range rs.Spec.Template.Spec.Containers {
		imgs = append(imgs, c.Image)
	}
	return strings.Join(imgs, ", ")
}

// rollout.revision

func judgeRevision(s *Snapshot, p Params) Judgement {
	t, j := deploymentOrSkip(s, replicaSetsErr)
	if j != nil {
		return *j
	}
	d := t.Deployment
	rss := ownedReplicaSets(s.NS, d)
	current := revisionOf(d.Annotations)
	var history []string
	for i := range rss {
		rs := &rss[i]
		r := revisionOf(rs.Annotations)
		line := fmt.Sprintf("revision %d: %s", r, rsImages(rs))
		if h := rs.Annotations[RevisionHistoryAnnotation]; h != "" {
			line += " (earlier revisions " + h + ")"
		}
		history = append(history, line)
	}
	if current == 0 && len(rss) > 0 {
		current = revisionOf(rss[len(rss)-1].Annotations)
	}
	min := p.Int("min_revision", 2)
	ev := []report.Fact{fact("deployment", d.Name), fact("revision", current), fact("history", strings.Join(history, "; "))}
	if current < min {
		return fail(T("Deployment %s is at revision %d; the lab expects at least revision %d.", d.Name, current, min),
			T("Each change to the pod template is a new revision: push a new version (e.g. tag v2), roll it out with `kubectl set image deployment/%s %s`, then look at `kubectl rollout history deployment/%s`.", d.Name, setImageArg(d, "v2"), d.Name), ev...)
	}
	if tag := p.String("tag", ""); tag != "" {
		found := 0 // the revision running tag; revisions start at 1
		for i := range rss {
			for _, c := range rss[i].Spec.Template.Spec.Containers {
				if imageTag(c.Image) == tag && found == 0 {
					found = revisionOf(rss[i].Annotations)
				}
			}
		}
		// Old ReplicaSets are pruned (revisionHistoryLimit): the current
		// template counts even when its ReplicaSet is gone from the list.
		for _, c := range d.Spec.Template.Spec.Containers {
			if found == 0 && imageTag(c.Image) == tag {
				found = current
			}
		}
		if found == 0 {
			return fail(T("Deployment %s is at revision %d, but no revision in its history runs tag %s.", d.Name, current, tag),
				T("Push the version tagged %s and roll it out: `kubectl set image deployment/%s %s`", tag, d.Name, setImageArg(d, tag)), ev...)
		}
		return pass(T("Deployment %s is at revision %d; tag %s was rolled out as revision %d.", d.Name, current, tag, found), ev...)
	}
	return pass(T("Deployment %s is at revision %d (%d ReplicaSet(s) in its history).", d.Name, current, len(rss)), ev...)
}

// setImageArg is kubectl set image's CONTAINER=IMAGE for the deployment's
// first container at another tag, with the student's own names.
func setImageArg(d *appsv1.Deployment, tag string) string {
	c := appContainer(d, "")
	if c == nil {
		return "hello-flask=user/repository:" + tag
	}
	repo := c.Image
	if r, err := name.ParseReference(c.Image); err == nil {
		repo = strings.TrimPrefix(strings.TrimPrefix(r.Context().Name(), name.DefaultRegistry+"/"), "library/")
	}
	return c.Name + "=" + repo + ":" + tag
}

// rollout.image

// imageTag returns the tag of an image reference ("latest" when none is
// written; "" for a digest reference).
func imageTag(image string) string {
	ref, err := name.ParseReference(image)
	if err != nil {
		return ""
	}
	if tg, ok := ref.(name.Tag); ok {
		return tg.TagStr()
	}
	return ""
}

// appContainer returns the container named name, else the first.
func appContainer(d *appsv1.Deployment, name string) *corev1.Container {
	cs := d.Spec.Template.Spec.Containers
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	if name != "" || len(cs) == 0 {
		return nil
	}
	return &cs[0]
}

func judgeRolloutImage(s *Snapshot, p Params) Judgement {
	rolledBack := boolParam(p, "rolled_back", false)
	var errs []func(*Namespace) *GatherError
	if rolledBack {
		errs = append(errs, replicaSetsErr)
	}
	t, j := deploymentOrSkip(s, errs...)
	if j != nil {
		return *j
	}
	d := t.Deployment
	want := p.String("tag", "v2")
	cname := p.String("container", "")
	c := appContainer(d, cname)
	if c == nil {
		return fail(T("Deployment %s has no container %q.", d.Name, cname),
			T("`kubectl describe deployment %s` lists its containers; create it again with `kubectl delete deployment %s` then `kubectl create deployment %s --image=IMAGE`.", d.Name, d.Name, d.Name), fact("images", containerImages(d)))
	}
	got := imageTag(c.Image)
	desired := replicas(t)
	st := d.Status
	ev := []report.Fact{fact("deployment", d.Name), fact("container", c.Name), fact("image", c.Image),
		fact("updated", fmt.Sprintf("%d/%d", st.UpdatedReplicas, desired)), fact("available", st.AvailableReplicas)}
	if got != want {
		shown := got
		if shown == "" {
			shown = c.Image
		}
		return fail(T("Deployment %s runs %s (tag %s); the lab expects tag %s.", d.Name, c.Image, shown, want),
			T("`kubectl set image deployment/%s %s=%s` (push that image first).", d.Name, c.Name, retagImage(c.Image, want)), ev...)
	}
	back, backMsg := "", L{}
	if rolledBack {
		// A ReplicaSet running the tag that kubectl rollout undo brought
		// back carries the revisions it had before.
		for _, rs := range ownedReplicaSets(s.NS, d) {
			h := rs.Annotations[RevisionHistoryAnnotation]
			if h == "" {
				continue
			}
			if rc := rsContainer(&rs, c.Name); rc != nil && imageTag(rc.Image) == want {
				back = fmt.Sprintf("revision %d brought back revision %s", revisionOf(rs.Annotations), h)
				backMsg = T("revision %d brought back revision %s", revisionOf(rs.Annotations), h)
			}
		}
		if back == "" {
			return fail(T("Deployment %s runs tag %s, but it never came back to it with kubectl rollout undo.", d.Name, want),
				T("Roll out the new version first, then go back to this one: `kubectl rollout undo deployment/%s`", d.Name), ev...)
		}
		ev = append(ev, fact("rollback", back))
	}
	done := st.ObservedGeneration >= d.Generation && st.UpdatedReplicas >= desired && st.Replicas <= st.UpdatedReplicas && st.AvailableReplicas >= desired
	if !done {
		return partial(0.5, T("Deployment %s is rolling out tag %s: %d of %d replicas updated, %d available.",
			d.Name, want, st.UpdatedReplicas, desired, st.AvailableReplicas),
			T("`kubectl rollout status deployment/%s` waits for it to finish; if it hangs, `kubectl get pods` shows why.", d.Name), ev...)
	}
	if back != "" {
		return pass(T("Deployment %s is back on tag %s on all %d replica(s), with kubectl rollout undo (%s).", d.Name, want, desired, backMsg), ev...)
	}
	return pass(T("Deployment %s runs tag %s on all %d replica(s).", d.Name, want, desired), ev...)
}

// rsContainer returns the ReplicaSet's container named name, else its first.
func rsContainer(rs *appsv1.ReplicaSet, name string) *corev1.Container {
	cs := rs.Spec.Template.Spec.Containers
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return &cs[0]
}

// retagImage returns image with its tag replaced by tag.
func retagImage(image, tag string) string {
	ref, err := name.ParseReference(image)
	if err != nil {
		return image
	}
	repo := ref.Context().RepositoryStr()
	if reg := ref.Context().RegistryStr(); reg != name.DefaultRegistry {
		repo = reg + "/" + repo
	} else {
		repo = strings.TrimPrefix(repo, "library/")
	}
	return repo + ":" + tag
}

// probes.present

// probePort resolves a probe's port (named ports through the container's
// ports); 0 when it has none.
func probePort(c *corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return cp.ContainerPort
		}
	}
	return 0
}

// describeProbe says what a probe does, e.g. "HTTP GET :5000/ every 10s".
func describeProbe(c *corev1.Container, pr *corev1.Probe) (desc string, port int32, path string, isHTTP bool) {
	switch h := pr.ProbeHandler; {
	case h.HTTPGet != nil:
		port, path, isHTTP = probePort(c, h.HTTPGet.Port), h.HTTPGet.Path, true
		if path == "" {
			path = "/"
		}
		desc = fmt.Sprintf("HTTP GET :%s%s", h.HTTPGet.Port.String(), path)
	case h.TCPSocket != nil:
		port = probePort(c, h.TCPSocket.Port)
		desc = "TCP :" + h.TCPSocket.Port.String()
	case h.GRPC != nil:
		port = h.GRPC.Port
		desc = fmt.Sprintf("gRPC :%d", port)
	case h.Exec != nil:
		desc = "exec " + strings.Join(h.Exec.Command, " ")
	default:
		desc = "no handler"
	}
	period := pr.PeriodSeconds
	if period == 0 {
		period = 10
	}
	return fmt.Sprintf("%s every %ds", desc, period), port, path, isHTTP
}

func judgeProbes(s *Snapshot, p Params) Judgement {
	t, j := deploymentOrSkip(s)
	if j != nil {
		return *j
	}
	d := t.Deployment
	c := appContainer(d, "")
	if c == nil {
		return fail(T("Deployment %s has no container.", d.Name), L{})
	}
	wantPort := int32(p.Int("port", 0))
	wantPath := p.String("path", "")
	type want struct {
		kind  string
		probe *corev1.Probe
	}
	var wants []want
	if boolParam(p, "readiness", true) {
		wants = append(wants, want{"readiness", c.ReadinessProbe})
	}
	if boolParam(p, "liveness", true) {
		wants = append(wants, want{"liveness", c.LivenessProbe})
	}
	ev := []report.Fact{fact("deployment", d.Name), fact("container", c.Name)}
	for _, w := range []want{{"readiness", c.ReadinessProbe}, {"liveness", c.LivenessProbe}} {
		if w.probe == nil {
			ev = append(ev, fact(w.kind, "none"))
			continue
		}
		desc, _, _, _ := describeProbe(c, w.probe)
		ev = append(ev, fact(w.kind, desc))
	}
	if len(wants) == 0 {
		return pass(T("No probe is required."), ev...)
	}
	var ok int
	var problems []L
	for _, w := range wants {
		if w.probe == nil {
			problems = append(problems, T("no %s probe", w.kind))
			continue
		}
		_, port, path, isHTTP := describeProbe(c, w.probe)
		switch {
		case wantPort != 0 && port != wantPort:
			problems = append(problems, T("the %s probe checks port %d, not %d", w.kind, port, wantPort))
		case wantPath != "" && !isHTTP:
			problems = append(problems, T("the %s probe is not an HTTP GET of %s", w.kind, wantPath))
		case wantPath != "" && path != wantPath:
			problems = append(problems, T("the %s probe requests %s, not %s", w.kind, path, wantPath))
		default:
			ok++
		}
	}
	kinds := make([]string, len(wants))
	for i, w := range wants {
		kinds[i] = w.kind
	}
	if ok == len(wants) {
		return pass(T("Container %s of deployment %s has its %s probe(s).", c.Name, d.Name, andList(kinds)), ev...)
	}
	target := ""
	if wantPort != 0 || wantPath != "" {
		pp := wantPath
		if pp == "" {
			pp = "/"
		}
		port := "<port>"
		if wantPort != 0 {
			port = strconv.Itoa(int(wantPort))
		}
		target = fmt.Sprintf(" (httpGet: {path: %s, port: %s})", pp, port)
	}
	msg := T("Container %s of deployment %s: %s.", c.Name, d.Name, i18n.Join(problems, i18n.Raw("; ")))
	hint := T("Add %s to the container%s in the deployment's YAML and apply it (`kubectl apply -f deployment.yaml`), or `kubectl edit deployment %s`.",
		andList(probeFields(kinds)), target, d.Name)
	if ok == 0 {
		return fail(msg, hint, ev...)
	}
	return partial(float64(ok)/float64(len(wants)), msg, hint, ev...)
}

// andList is names joined with " and " in the reader's language.
func andList(names []string) L {
	m := make([]L, len(names))
	for i, n := range names {
		m[i] = i18n.Raw(n)
	}
	return i18n.Join(m, T(" and "))
}

func probeFields(kinds []string) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k + "Probe"
	}
	return out
}
