package gather

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubelab/kubelab/snapshot"
)

// TestCrashLogsOnlyFromARealKubelet: the log of a crashed run is asked for
// only on a node with a real kubelet. A kwok node (fake pod IPs, no
// kubelet) and a node that publishes no kubelet port are never asked
// about, so the API server is never made to connect to them; a container
// that did not crash is not read either.
func TestCrashLogsOnlyFromARealKubelet(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	node := func(name string, port int32, kwok bool) corev1.Node {
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
		if kwok {
			n.Annotations = map[string]string{kwokNodeAnnotation: "fake"}
		}
		return n
	}
	crashed := corev1.ContainerStatus{Name: "app", RestartCount: 2,
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.NewTime(now.Add(-5 * time.Second))}}}
	old := crashed
	old.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.NewTime(now.Add(-time.Hour))}}
	fine := corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	pod := func(name, node string, cs corev1.ContainerStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab"}, Spec: corev1.PodSpec{NodeName: node},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{cs}}}
	}
	nodes := []corev1.Node{node("kwok", 10250, true), node("noport", 0, false), node("minikube", 10250, false)}
	tg := &snapshot.Target{Pods: []corev1.Pod{
		pod("on-kwok", "kwok", crashed), pod("no-port", "noport", crashed), pod("unscheduled", "", crashed),
		pod("fine", "minikube", fine), pod("long-ago", "minikube", old), pod("crashed", "minikube", crashed),
	}}
	cs := fake.NewSimpleClientset()
	got := CrashLogs(context.Background(), cs, tg, nodes, now)
	if len(got) != 1 || got[snapshot.LogKey("crashed", "app")] == "" {
		t.Errorf("CrashLogs = %v, want only crashed/app", got)
	}
	logs := 0
	for _, a := range cs.Actions() {
		if a.GetSubresource() == "log" {
			logs++
		}
	}
	if logs != 1 {
		t.Errorf("%d log requests, want 1 (crashed/app): %v", logs, cs.Actions())
	}
}

// TestKubeletLogErrorNotQuoted: the kubelet's own error, sent in the log
// stream when the run it names is gone, is not the app's log.
func TestKubeletLogErrorNotQuoted(t *testing.T) {
	for text, want := range map[string]bool{
		"unable to retrieve container logs for containerd://17538f046ece\n": true,
		`failed to try resolving symlinks in path "/var/log/pods/crash-loop_hello-flask-6f7db8fb4d-29xh2_573a4a76/hello-flask-typo/3.log": lstat /var/log/pods/crash-loop_hello-flask-6f7db8fb4d-29xh2_573a4a76: no such file or directory`: true,
		`failed to open log file "/var/log/pods/lab_x_1/app/0.log": open /var/log/pods/lab_x_1/app/0.log: no such file or directory`:                                                                                                        true,
		"Traceback (most recent call last):\nModuleNotFoundError: No module named 'flaks'\n":                                                                                                                                                false,
		"": false,
	} {
		if got := kubeletLogError(text); got != want {
			t.Errorf("kubeletLogError(%q) = %v, want %v", text, got, want)
		}
	}
}
