package checks_test

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// The judging half of kubelab grade for a class of 10 000 students: each
// student's namespace is discovered (checks.Discover) and every check of
// the built-in lab judged (checks.Evaluate) on a synthetic snapshot shaped
// like what the simulated cluster gives (a deployment, its replica set and
// pod, a service, its endpoint slice and the pod's events), with a mix of
// states. Gathering is not included: it is a handful of Lists for the
// whole class.
//
//	go test -run '^$' -bench JudgeClass -benchmem ./checks

const benchClass = 10000

type benchStudent struct {
	image string
	ns    *checks.Namespace
}

// benchNamespace builds one student's namespace. variant picks the state:
// 0-5 correct, 6 crash-looping, 7 no service, 8 NodePort, 9 nothing.
func benchNamespace(i int, image string) *checks.Namespace {
	name := fmt.Sprintf("s%05d", i)
	ns := &checks.Namespace{Name: name}
	variant := i % 10
	if variant == 9 {
		return ns
	}
	created := metav1.NewTime(time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second))
	labels := map[string]string{"app": "hello-flask"}
	one := int32(1)
	ns.Deployments = []appsv1.Deployment{{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: name, Labels: labels, Generation: 1, CreationTimestamp: created,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "hello-flask", Image: image}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1},
	}}
	rs := "hello-flask-5795c94965"
	ns.ReplicaSets = []appsv1.ReplicaSet{{
		ObjectMeta: metav1.ObjectMeta{Name: rs, Namespace: name, Labels: labels, CreationTimestamp: created,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "hello-flask"}}},
		Spec:   appsv1.ReplicaSetSpec{Replicas: &one, Template: ns.Deployments[0].Spec.Template},
		Status: appsv1.ReplicaSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1},
	}}
	pod := rs + "-sbzpc"
	cs := corev1.ContainerStatus{Name: "hello-flask", Image: image, Ready: true, Started: &[]bool{true}[0],
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}}}
	ready := corev1.ConditionTrue
	if variant == 6 {
		ns.Deployments[0].Status.ReadyReplicas, ns.Deployments[0].Status.AvailableReplicas = 0, 0
		cs.Ready, cs.RestartCount = false, 5
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 2m40s restarting failed container"}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}
		ready = corev1.ConditionFalse
	}
	ns.Pods = []corev1.Pod{{
		ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: name, Labels: labels, CreationTimestamp: created,
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs}}},
		Spec: corev1.PodSpec{NodeName: "minikube", Containers: ns.Deployments[0].Spec.Template.Spec.Containers},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.5", ContainerStatuses: []corev1.ContainerStatus{cs},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}},
	}}
	for j, e := range []struct{ kind, obj, reason string }{
		{"Deployment", "hello-flask", "ScalingReplicaSet"}, {"ReplicaSet", rs, "SuccessfulCreate"},
		{"Pod", pod, "Scheduled"}, {"Pod", pod, "Pulled"}, {"Pod", pod, "Created"}, {"Pod", pod, "Started"},
	} {
		ns.Events = append(ns.Events, corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", e.obj, j), Namespace: name},
			InvolvedObject: corev1.ObjectReference{Kind: e.kind, Name: e.obj, Namespace: name},
			Reason:         e.reason, Type: "Normal", Message: e.reason, Count: 1, FirstTimestamp: created, LastTimestamp: created,
		})
	}
	if variant == 7 {
		return ns
	}
	typ := corev1.ServiceTypeLoadBalancer
	if variant == 8 {
		typ = corev1.ServiceTypeNodePort
	}
	ns.Services = []corev1.Service{{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: name, Labels: labels, CreationTimestamp: created},
		Spec: corev1.ServiceSpec{Type: typ, Selector: labels, ClusterIP: "10.96.0.10",
			Ports: []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 5000, TargetPort: intstr.FromInt32(5000), NodePort: 30000 + int32(i%500)}}},
	}}
	port := int32(5000)
	t := true
	ns.EndpointSlices = []discoveryv1.EndpointSlice{{
		ObjectMeta:  metav1.ObjectMeta{Name: "hello-flask-abcde", Namespace: name, Labels: map[string]string{discoveryv1.LabelServiceName: "hello-flask"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &t}}},
		Ports:       []discoveryv1.EndpointPort{{Port: &port}},
	}}
	if variant == 6 {
		f := false
		ns.EndpointSlices[0].Endpoints[0].Conditions.Ready = &f
	}
	return ns
}

func benchSnapshots(b *testing.B) (*labs.Lab, *checks.ClusterInfo, *checks.ImageInfo, []benchStudent) {
	lab, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		b.Fatal(err)
	}
	cluster := &checks.ClusterInfo{Server: "https://127.0.0.1:6443", Context: "minikube", Version: "v1.36.3",
		Nodes: []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "minikube"}, Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}}}}}
	for _, c := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns"} {
		cluster.SystemPods = append(cluster.SystemPods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: c + "-minikube", Namespace: "kube-system",
			Labels: map[string]string{"component": c, "k8s-app": c}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	img := &checks.ImageInfo{Ref: "budi/hello-flask", Name: "index.docker.io/budi/hello-flask:latest",
		Digest: "sha256:" + fmt.Sprintf("%064x", 1), MediaType: "application/vnd.oci.image.manifest.v1+json", Platform: "linux/amd64",
		Platforms: []string{"linux/amd64"},
		Config:    &checks.ImageConfig{Cmd: []string{"python", "app.py"}, WorkingDir: "/app", ExposedPorts: []string{"5000/tcp"}, OS: "linux", Architecture: "amd64"},
		Files: map[string]*checks.ImageFile{"/app/app.py": {Size: int64(len(registrytest.AppPy)), Content: registrytest.AppPy},
			"/app/requirements.txt": {Size: int64(len(registrytest.Requirements)), Content: registrytest.Requirements}}}
	students := make([]benchStudent, benchClass)
	for i := range students {
		image := fmt.Sprintf("user%d/hello-flask:latest", i%5)
		students[i] = benchStudent{image: image, ns: benchNamespace(i, image)}
	}
	return lab, cluster, img, students
}

// BenchmarkJudgeClass10k: one op judges the whole class of 10 000.
func BenchmarkJudgeClass10k(b *testing.B) {
	lab, cluster, img, students := benchSnapshots(b)
	run := &checks.RunProbe{SkipReason: "image runs are off for batch grading"}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		passed := 0
		for _, s := range students {
			snap := &checks.Snapshot{Cluster: cluster, NS: s.ns, Image: img, Run: run}
			snap.Target = checks.Discover(s.ns, s.image, "")
			if snap.Target.Service != nil {
				snap.App = &checks.AppProbe{Attempts: []checks.AppAttempt{{Via: "nodeport", URL: "http://127.0.0.1:30000/", Status: 200, Body: "Hello"}}}
			}
			rs := checks.Evaluate(lab, snap, "en", nil, nil)
			if len(rs) > 0 && rs[len(rs)-1].Status == report.Pass {
				passed++
			}
		}
		if passed == 0 {
			b.Fatal("no student passed the last check: the snapshots are not what they should be")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchClass), "µs/student")
}

// BenchmarkDiscover10k: discovery alone, for the whole class.
func BenchmarkDiscover10k(b *testing.B) {
	_, _, _, students := benchSnapshots(b)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, s := range students {
			if t := checks.Discover(s.ns, s.image, ""); t.Image == "" {
				b.Fatal("no image")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchClass), "µs/student")
}

// builtinLab is the built-in lesson's lab.
func builtinLab(t testing.TB) *labs.Lab {
	t.Helper()
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}
