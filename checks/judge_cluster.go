package checks

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubelab/kubelab/report"
)

func init() {
	register(&Check{ID: "cluster.reachable", Doc: "the API server answers with the given kubeconfig/context",
		Sources: []Source{SrcCluster}, Judge: judgeReachable,
		Outcomes: []report.Status{report.Pass, report.Error}})
	register(&Check{ID: "cluster.node-ready", Doc: "at least one Node is Ready",
		Sources: []Source{SrcCluster}, Judge: judgeNodeReady,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Error}})
	register(&Check{ID: "cluster.components", Doc: "the lesson's control-plane and node components are visible in the cluster (informational)",
		Sources: []Source{SrcCluster}, Judge: judgeComponents,
		Outcomes: []report.Status{report.Pass, report.Error}})
}

func judgeReachable(s *Snapshot, _ Params) Judgement {
	c := s.Cluster
	if c == nil {
		return notGathered("cluster")
	}
	if c.Err != nil {
		return envError(c.Err)
	}
	return pass(T("The API server at %s answers (Kubernetes %s).", "API server di %s menjawab (Kubernetes %s).", c.Server, c.Version),
		fact("server", c.Server), fact("context", c.Context), fact("version", c.Version))
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func judgeNodeReady(s *Snapshot, _ Params) Judgement {
	c := s.Cluster
	if c == nil {
		return notGathered("cluster")
	}
	if c.Err != nil {
		return envError(c.Err)
	}
	if c.NodesErr != nil {
		return envError(c.NodesErr)
	}
	var ready, all []string
	for i := range c.Nodes {
		n := &c.Nodes[i]
		st := "NotReady"
		if nodeReady(n) {
			st = "Ready"
			ready = append(ready, n.Name)
		}
		all = append(all, n.Name+" "+st)
	}
	ev := []report.Fact{fact("nodes", strings.Join(all, ", "))}
	if len(c.Nodes) == 0 {
		return fail(T("The cluster has no nodes.", "Klaster tidak punya node."), L{}, ev...)
	}
	if len(ready) == 0 {
		return fail(T("No node is Ready (%s).", "Tidak ada node yang Ready (%s).", strings.Join(all, ", ")), L{}, ev...)
	}
	return pass(T("%d of %d node(s) Ready: %s.", "%d dari %d node Ready: %s.", len(ready), len(c.Nodes), strings.Join(ready, ", ")), ev...)
}

// Component is one of the lesson's components and where it shows in a
// cluster: a kube-system pod (matched by label or name prefix) or the node.
type Component struct {
	Name   string
	labels [][2]string
	prefix string
}

// Components are the lesson's components in lesson order.
var Components = []Component{
	{Name: "kube-apiserver", labels: [][2]string{{"component", "kube-apiserver"}}, prefix: "kube-apiserver"},
	{Name: "etcd", labels: [][2]string{{"component", "etcd"}}, prefix: "etcd"},
	{Name: "kube-scheduler", labels: [][2]string{{"component", "kube-scheduler"}}, prefix: "kube-scheduler"},
	{Name: "kube-controller-manager", labels: [][2]string{{"component", "kube-controller-manager"}}, prefix: "kube-controller-manager"},
	{Name: "cloud-controller-manager", labels: [][2]string{{"component", "cloud-controller-manager"}}, prefix: "cloud-controller-manager"},
	{Name: "kube-proxy", labels: [][2]string{{"k8s-app", "kube-proxy"}}, prefix: "kube-proxy"},
	{Name: "kubelet"},
	{Name: "container runtime"},
}

// FoundComponents maps each lesson component to where it was seen in the
// cluster ("" when not seen). Exported for the web lesson's component part.
func FoundComponents(c *ClusterInfo) [][2]string {
	var out [][2]string
	for _, comp := range Components {
		where := ""
		switch comp.Name {
		case "kubelet":
			var vs []string
			for _, n := range c.Nodes {
				if v := n.Status.NodeInfo.KubeletVersion; v != "" {
					vs = append(vs, n.Name+" "+v)
				}
			}
			where = strings.Join(vs, ", ")
		case "container runtime":
			var vs []string
			for _, n := range c.Nodes {
				if v := n.Status.NodeInfo.ContainerRuntimeVersion; v != "" {
					vs = append(vs, n.Name+" "+v)
				}
			}
			where = strings.Join(vs, ", ")
		default:
			var names []string
			for _, p := range c.SystemPods {
				match := strings.HasPrefix(p.Name, comp.prefix+"-")
				for _, l := range comp.labels {
					if p.Labels[l[0]] == l[1] {
						match = true
					}
				}
				if match {
					names = append(names, fmt.Sprintf("%s (%s)", p.Name, p.Status.Phase))
				}
			}
			sort.Strings(names)
			where = strings.Join(names, ", ")
		}
		out = append(out, [2]string{comp.Name, where})
	}
	return out
}

func judgeComponents(s *Snapshot, _ Params) Judgement {
	c := s.Cluster
	if c == nil {
		return notGathered("cluster")
	}
	if c.Err != nil {
		return envError(c.Err)
	}
	if c.SystemErr != nil {
		return envError(c.SystemErr)
	}
	var ev []report.Fact
	var seen, missing []string
	for _, f := range FoundComponents(c) {
		if f[1] == "" {
			missing = append(missing, f[0])
			ev = append(ev, fact(f[0], "not visible"))
			continue
		}
		seen = append(seen, f[0])
		ev = append(ev, fact(f[0], f[1]))
	}
	msg := T("Seen in your cluster: %s.", "Terlihat di klaster Anda: %s.", strings.Join(seen, ", "))
	if len(missing) > 0 {
		msg = T("Seen in your cluster: %s. Not visible: %s (minikube runs no cloud-controller-manager; managed clusters hide the control plane).",
			"Terlihat di klaster Anda: %s. Tidak terlihat: %s (minikube tidak menjalankan cloud-controller-manager; klaster terkelola menyembunyikan control plane).",
			strings.Join(seen, ", "), strings.Join(missing, ", "))
	}
	return pass(msg, ev...)
}

func notGathered(what string) Judgement {
	return Judgement{Status: report.Error, Message: T("Internal error: %s state was not gathered.", "Kesalahan internal: keadaan %s tidak dikumpulkan.", what)}
}

// Namespace checks.

func init() {
	register(&Check{ID: "deployment.exists", Doc: "a Deployment in the namespace runs the student's image",
		Sources: []Source{SrcNamespace}, Judge: judgeDeploymentExists,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Error}})
	register(&Check{ID: "deployment.available", Doc: "the deployment's desired replicas are available",
		Sources: []Source{SrcNamespace}, Judge: judgeDeploymentAvailable,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "pods.running", Doc: "the deployment's pods are Running and Ready; ImagePullBackOff, CrashLoopBackOff and Pending explained",
		Sources: []Source{SrcNamespace}, Judge: judgePodsRunning,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "pods.stable", Doc: "the pods' restarts stay low",
		Sources: []Source{SrcNamespace}, Judge: judgePodsStable,
		Params:   []Param{{Name: "max_restarts", Default: 3, Doc: "most restarts a pod may have"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Skipped, report.Error}})
	register(&Check{ID: "events.recorded", Doc: "the cluster recorded the pod's lifecycle (Scheduled, Pulled/Created/Started)",
		Sources: []Source{SrcNamespace}, Judge: judgeEvents,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "service.exists", Doc: "a Service selects the deployment's pods",
		Sources: []Source{SrcNamespace}, Judge: judgeServiceExists,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Skipped, report.Error}})
	register(&Check{ID: "service.type", Doc: "the service is of type LoadBalancer (NodePort earns part)",
		Sources: []Source{SrcNamespace}, Judge: judgeServiceType,
		Params:   []Param{{Name: "type", Default: "LoadBalancer", Doc: "the expected service type"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "service.port", Doc: "the service listens on the port (5000) and its targetPort reaches the container's port",
		Sources: []Source{SrcNamespace}, Judge: judgeServicePort,
		Params:   []Param{{Name: "port", Default: 5000, Doc: "the expected service port"}, {Name: "target_port", Default: 5000, Doc: "the port the app listens on, when the container declares none"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error}})
	register(&Check{ID: "service.endpoints", Doc: "ready endpoints stand behind the service",
		Sources: []Source{SrcNamespace}, Judge: judgeEndpoints,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Skipped, report.Error}})
}

// nsState returns the target, or a judgement when the namespace could not be
// read (environment) or nothing was gathered.
func nsState(s *Snapshot, errs ...func(*Namespace) *GatherError) (*Target, *Judgement) {
	if s.Cluster != nil && s.Cluster.Err != nil {
		j := envError(s.Cluster.Err)
		return nil, &j
	}
	if s.NS == nil || s.Target == nil {
		j := notGathered("namespace")
		return nil, &j
	}
	for _, e := range errs {
		if ge := e(s.NS); ge != nil {
			j := envError(ge)
			return nil, &j
		}
	}
	return s.Target, nil
}

func deploymentsErr(n *Namespace) *GatherError { return n.DeploymentsErr }
func podsErr(n *Namespace) *GatherError        { return n.PodsErr }
func servicesErr(n *Namespace) *GatherError    { return n.ServicesErr }
func eventsErr(n *Namespace) *GatherError      { return n.EventsErr }

func judgeDeploymentExists(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		ev := []report.Fact{fact("namespace", s.NS.Name), fact("image", t.Image)}
		if len(t.Candidates) > 0 {
			ev = append(ev, fact("deployments seen", strings.Join(t.Candidates, "; ")))
			return fail(T("No deployment in namespace %s runs your image %s.", "Tidak ada deployment di namespace %s yang menjalankan image Anda %s.", s.NS.Name, t.Image),
				T("A deployment exists but runs another image; check the --image you gave to kubectl create deployment.",
					"Ada deployment tetapi menjalankan image lain; periksa --image yang Anda berikan ke kubectl create deployment."), ev...)
		}
		return fail(T("There is no deployment in namespace %s.", "Tidak ada deployment di namespace %s.", s.NS.Name), L{}, ev...)
	}
	d := t.Deployment
	imgs := containerImages(d)
	ev := []report.Fact{fact("deployment", d.Name), fact("namespace", d.Namespace), fact("image", imgs), fact("created", d.CreationTimestamp.UTC().Format("2006-01-02 15:04:05Z"))}
	for _, c := range d.Spec.Template.Spec.Containers {
		if full, _, err := NormalizeImage(c.Image); err == nil && full == t.Image {
			return pass(T("Deployment %s runs your image %s.", "Deployment %s menjalankan image Anda %s.", d.Name, c.Image), ev...)
		}
	}
	return partial(0.5, T("Deployment %s runs %s, another tag of your image %s.", "Deployment %s menjalankan %s, tag lain dari image Anda %s.", d.Name, imgs, t.Image),
		T("Deploy exactly the tag you pushed: kubectl set image deployment/%s <container>=%s", "Deploy tepat tag yang Anda push: kubectl set image deployment/%s <container>=%s", d.Name, t.Image), ev...)
}

func replicas(t *Target) int32 {
	if t.Deployment.Spec.Replicas == nil {
		return 1
	}
	return *t.Deployment.Spec.Replicas
}

func judgeDeploymentAvailable(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect.", "Tidak ada deployment untuk diperiksa."))
	}
	d := t.Deployment
	want, avail := replicas(t), d.Status.AvailableReplicas
	ev := []report.Fact{fact("deployment", d.Name), fact("ready", fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want)),
		fact("up-to-date", d.Status.UpdatedReplicas), fact("available", avail)}
	if want == 0 {
		return fail(T("Deployment %s is scaled to 0 replicas, so nothing runs.", "Deployment %s di-scale ke 0 replika, jadi tidak ada yang berjalan.", d.Name),
			T("Scale it back: kubectl scale deployment %s --replicas=1", "Kembalikan: kubectl scale deployment %s --replicas=1", d.Name), ev...)
	}
	if avail >= want {
		return pass(T("Deployment %s: %d/%d replicas available.", "Deployment %s: %d/%d replika tersedia.", d.Name, avail, want), ev...)
	}
	if avail > 0 {
		return partial(float64(avail)/float64(want), T("Deployment %s: only %d of %d replicas available.", "Deployment %s: hanya %d dari %d replika tersedia.", d.Name, avail, want), L{}, ev...)
	}
	return fail(T("Deployment %s: 0 of %d replicas available.", "Deployment %s: 0 dari %d replika tersedia.", d.Name, want), L{}, ev...)
}

// podTrouble explains why a pod is not Running and Ready.
func podTrouble(p *corev1.Pod) (reason string, msg, hint L) {
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			switch w.Reason {
			case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
				return w.Reason, T("Pod %s cannot pull its image %s (%s).", "Pod %s tidak bisa menarik image %s (%s).", p.Name, cs.Image, w.Reason),
					T("The image name or tag is wrong, or the Docker Hub repository is private. Compare the image in `kubectl describe pod %s` with what you pushed, and make the repository public.",
						"Nama atau tag image salah, atau repository Docker Hub bersifat private. Bandingkan image di `kubectl describe pod %s` dengan yang Anda push, dan jadikan repository public.", p.Name)
			case "CrashLoopBackOff":
				code := ""
				if t := cs.LastTerminationState.Terminated; t != nil {
					code = fmt.Sprintf(" (last exit code %d)", t.ExitCode)
				}
				return w.Reason, T("Pod %s is crash-looping: the app starts and exits%s; restarted %d times.", "Pod %s crash-loop: aplikasi mulai lalu keluar%s; restart %d kali.", p.Name, code, cs.RestartCount),
					T("The app fails to start. Read `kubectl logs %s --previous` for the Python error.", "Aplikasi gagal dijalankan. Baca `kubectl logs %s --previous` untuk melihat error Python.", p.Name)
			default:
				return w.Reason, T("Pod %s is waiting: %s %s.", "Pod %s menunggu: %s %s.", p.Name, w.Reason, w.Message), T("See `kubectl describe pod %s`.", "Lihat `kubectl describe pod %s`.", p.Name)
			}
		}
	}
	if p.Status.Phase == corev1.PodPending {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return "Pending", T("Pod %s is Pending: it cannot be scheduled (%s).", "Pod %s Pending: tidak bisa dijadwalkan (%s).", p.Name, c.Message),
					T("No node can take the pod; `kubectl describe pod %s` says why (resources, taints, node selector).", "Tidak ada node yang bisa menerima pod; `kubectl describe pod %s` menjelaskan alasannya (resource, taint, node selector).", p.Name)
			}
		}
		return "Pending", T("Pod %s is still Pending.", "Pod %s masih Pending.", p.Name), T("Wait a moment and check again; `kubectl describe pod %s` shows progress.", "Tunggu sebentar lalu periksa lagi; `kubectl describe pod %s` menunjukkan kemajuannya.", p.Name)
	}
	if p.Status.Phase == corev1.PodRunning {
		return "NotReady", T("Pod %s runs but is not Ready.", "Pod %s berjalan tetapi belum Ready.", p.Name), T("A readiness probe fails or the container restarts; see `kubectl describe pod %s`.", "Readiness probe gagal atau kontainer restart; lihat `kubectl describe pod %s`.", p.Name)
	}
	return string(p.Status.Phase), T("Pod %s is %s.", "Pod %s berstatus %s.", p.Name, p.Status.Phase), L{}
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func judgePodsRunning(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr, podsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect.", "Tidak ada deployment untuk diperiksa."))
	}
	if len(t.Pods) == 0 {
		if replicas(t) == 0 {
			return fail(T("Deployment %s has no pods: it is scaled to 0.", "Deployment %s tidak punya pod: di-scale ke 0.", t.Deployment.Name),
				T("kubectl scale deployment %s --replicas=1", "kubectl scale deployment %s --replicas=1", t.Deployment.Name))
		}
		return fail(T("Deployment %s has no pods yet.", "Deployment %s belum punya pod.", t.Deployment.Name), L{})
	}
	var ok int
	var ev []report.Fact
	var firstMsg, firstHint L
	for i := range t.Pods {
		p := &t.Pods[i]
		if podReady(p) {
			ok++
			ev = append(ev, fact(p.Name, "Running, Ready"))
			continue
		}
		reason, msg, hint := podTrouble(p)
		ev = append(ev, fact(p.Name, reason))
		if firstMsg.En == "" {
			firstMsg, firstHint = msg, hint
		}
	}
	switch {
	case ok == len(t.Pods):
		return pass(T("All %d pod(s) are Running and Ready.", "Semua %d pod Running dan Ready.", ok), ev...)
	case ok > 0:
		return partial(float64(ok)/float64(len(t.Pods)), T("%d of %d pods are Running and Ready. %s", "%d dari %d pod Running dan Ready. %s", ok, len(t.Pods), firstMsg.En), firstHint, ev...)
	}
	return fail(firstMsg, firstHint, ev...)
}

func judgePodsStable(s *Snapshot, p Params) Judgement {
	t, j := nsState(s, deploymentsErr, podsErr)
	if j != nil {
		return *j
	}
	if len(t.Pods) == 0 {
		return skip(T("No pods to inspect.", "Tidak ada pod untuk diperiksa."))
	}
	max := p.Int("max_restarts", 3)
	worst, worstPod := int32(0), ""
	var ev []report.Fact
	for _, pod := range t.Pods {
		var n int32
		for _, cs := range pod.Status.ContainerStatuses {
			n += cs.RestartCount
		}
		ev = append(ev, fact(pod.Name, fmt.Sprintf("%d restarts", n)))
		if n > worst || worstPod == "" {
			worst, worstPod = n, pod.Name
		}
	}
	if int(worst) > max {
		return fail(T("Pod %s restarted %d times (at most %d allowed).", "Pod %s restart %d kali (maksimal %d).", worstPod, worst, max),
			T("Something makes the app exit; `kubectl logs %s --previous` shows it.", "Ada yang membuat aplikasi keluar; `kubectl logs %s --previous` menunjukkannya.", worstPod), ev...)
	}
	return pass(T("Restarts stay low (at most %d).", "Jumlah restart rendah (paling banyak %d).", worst), ev...)
}

func judgeEvents(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr, eventsErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to inspect.", "Tidak ada deployment untuk diperiksa."))
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
	ev := []report.Fact{fact("pod events", strings.Join(seen, ", ")), fact("events about the deployment", len(t.Events))}
	lifecycle := reasons["Pulled"] || reasons["Created"] || reasons["Started"]
	switch {
	case reasons["Scheduled"] && lifecycle:
		return pass(T("The cluster recorded your pod's lifecycle: %s.", "Klaster mencatat siklus hidup pod Anda: %s.", strings.Join(seen, ", ")), ev...)
	case reasons["Scheduled"] || lifecycle:
		return partial(0.5, T("Only part of the pod's lifecycle was recorded: %s.", "Hanya sebagian siklus hidup pod yang tercatat: %s.", strings.Join(seen, ", ")), L{}, ev...)
	}
	return fail(T("No events about your pods were found (events expire after about an hour).", "Tidak ditemukan event tentang pod Anda (event kedaluwarsa setelah sekitar satu jam)."), L{}, ev...)
}

func judgeServiceExists(s *Snapshot, _ Params) Judgement {
	t, j := nsState(s, deploymentsErr, servicesErr)
	if j != nil {
		return *j
	}
	if t.Deployment == nil {
		return skip(T("No deployment to expose.", "Tidak ada deployment untuk diekspos."))
	}
	if t.Service == nil {
		others := OtherServices(s.NS, t)
		if len(others) > 0 {
			return fail(T("No service selects the pods of deployment %s (pod labels %s).", "Tidak ada service yang memilih pod deployment %s (label pod %s).", t.Deployment.Name, fmtLabels(t.Deployment.Spec.Template.Labels)),
				T("A service exists but its selector matches none of your pods; compare `kubectl describe service` with `kubectl get pods --show-labels`.",
					"Ada service tetapi selector-nya tidak cocok dengan pod Anda; bandingkan `kubectl describe service` dengan `kubectl get pods --show-labels`."),
				fact("other services", strings.Join(others, "; ")))
		}
		return fail(T("No service exposes deployment %s.", "Tidak ada service yang mengekspos deployment %s.", t.Deployment.Name), L{})
	}
	sv := t.Service
	return pass(T("Service %s selects the deployment's pods.", "Service %s memilih pod milik deployment.", sv.Name),
		fact("service", sv.Name), fact("type", sv.Spec.Type), fact("selector", fmtLabels(sv.Spec.Selector)), fact("cluster-ip", sv.Spec.ClusterIP))
}

func fmtLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func serviceOrSkip(s *Snapshot) (*Target, *Judgement) {
	t, j := nsState(s, deploymentsErr, servicesErr)
	if j != nil {
		return nil, j
	}
	if t.Service == nil {
		j := skip(T("No service to inspect.", "Tidak ada service untuk diperiksa."))
		return nil, &j
	}
	return t, nil
}

func judgeServiceType(s *Snapshot, p Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	want := corev1.ServiceType(p.String("type", "LoadBalancer"))
	got := t.Service.Spec.Type
	ev := []report.Fact{fact("service", t.Service.Name), fact("type", got)}
	if got == want {
		return pass(T("Service %s is of type %s.", "Service %s bertipe %s.", t.Service.Name, got), ev...)
	}
	if want == corev1.ServiceTypeLoadBalancer && got == corev1.ServiceTypeNodePort {
		return partial(0.5, T("Service %s is a NodePort; the lab asks for a LoadBalancer (a NodePort is part of one).", "Service %s bertipe NodePort; lab ini meminta LoadBalancer (NodePort adalah bagian darinya).", t.Service.Name), L{}, ev...)
	}
	return fail(T("Service %s is of type %s, not %s.", "Service %s bertipe %s, bukan %s.", t.Service.Name, got, want), L{}, ev...)
}

// containerPort resolves a service targetPort to the container port it
// reaches; ok is false when a named port matches nothing.
func containerPort(t *Target, tp intstr.IntOrString, port int32) (int32, bool) {
	if tp.Type == intstr.String {
		for _, c := range t.Deployment.Spec.Template.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == tp.StrVal {
					return cp.ContainerPort, true
				}
			}
		}
		return 0, false
	}
	if tp.IntVal == 0 {
		return port, true
	}
	return tp.IntVal, true
}

func judgeServicePort(s *Snapshot, p Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	want := int32(p.Int("port", 5000))
	// The port the app listens on: declared container ports, else the param.
	appPorts := map[int32]bool{}
	for _, c := range t.Deployment.Spec.Template.Spec.Containers {
		for _, cp := range c.Ports {
			appPorts[cp.ContainerPort] = true
		}
	}
	if len(appPorts) == 0 {
		appPorts[int32(p.Int("target_port", int(want)))] = true
	}
	var ports []string
	for _, sp := range t.Service.Spec.Ports {
		ports = append(ports, fmt.Sprintf("%d→%s", sp.Port, sp.TargetPort.String()))
	}
	ev := []report.Fact{fact("service", t.Service.Name), fact("ports", strings.Join(ports, ", "))}
	for _, sp := range t.Service.Spec.Ports {
		if sp.Port != want {
			continue
		}
		cp, ok := containerPort(t, sp.TargetPort, sp.Port)
		if ok && appPorts[cp] {
			return pass(T("Service %s listens on %d and forwards to the app's port %d.", "Service %s mendengarkan di %d dan meneruskan ke port aplikasi %d.", t.Service.Name, sp.Port, cp), ev...)
		}
		return partial(0.5, T("Service %s listens on %d but forwards to port %s, where the app does not listen.", "Service %s mendengarkan di %d tetapi meneruskan ke port %s, tempat aplikasi tidak mendengarkan.", t.Service.Name, sp.Port, sp.TargetPort.String()),
			T("Set targetPort to the port the app listens on (5000).", "Atur targetPort ke port yang didengarkan aplikasi (5000)."), ev...)
	}
	return fail(T("Service %s does not listen on port %d (it has %s).", "Service %s tidak mendengarkan di port %d (yang ada: %s).", t.Service.Name, want, strings.Join(ports, ", ")), L{}, ev...)
}

func judgeEndpoints(s *Snapshot, _ Params) Judgement {
	t, j := serviceOrSkip(s)
	if j != nil {
		return *j
	}
	if s.NS.EndpointSlicesErr != nil {
		return envError(s.NS.EndpointSlicesErr)
	}
	var ready, notReady int
	for _, es := range t.EndpointSlices {
		for _, e := range es.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				ready += len(e.Addresses)
			} else {
				notReady += len(e.Addresses)
			}
		}
	}
	ev := []report.Fact{fact("service", t.Service.Name), fact("endpointslices", len(t.EndpointSlices)), fact("ready endpoints", ready), fact("not ready endpoints", notReady)}
	if ready > 0 {
		return pass(T("Service %s has %d ready endpoint(s).", "Service %s punya %d endpoint yang ready.", t.Service.Name, ready), ev...)
	}
	if notReady > 0 {
		return fail(T("Service %s has endpoints, but none is ready.", "Service %s punya endpoint, tetapi tidak ada yang ready.", t.Service.Name),
			T("The pods behind it are not Ready; fix the pods first.", "Pod di belakangnya belum Ready; perbaiki pod terlebih dahulu."), ev...)
	}
	return fail(T("Service %s has no endpoints.", "Service %s tidak punya endpoint.", t.Service.Name), L{}, ev...)
}
