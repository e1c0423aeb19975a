package simcluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// startCluster starts a cluster for one test and stops it when the test ends.
func startCluster(t *testing.T) *simcluster.Cluster {
	return simclustertest.StartT(t, simcluster.Options{})
}

func TestLessonOnSimulatedCluster(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const image = "budi/hello-flask"

	// The node looks like a student's minikube.
	out, err := c.Kubectl(ctx, "get", "nodes")
	if err != nil || !regexp.MustCompile(`minikube\s+Ready`).MatchString(out) {
		t.Fatalf("kubectl get nodes: want minikube Ready, got %v\n%s", err, out)
	}
	out, _ = c.Kubectl(ctx, "get", "pods", "-n", "kube-system")
	for _, want := range []string{"etcd-minikube", "kube-apiserver-minikube", "kube-controller-manager-minikube", "kube-scheduler-minikube", "kube-proxy-"} {
		if !strings.Contains(out, want) {
			t.Errorf("kube-system lacks %s:\n%s", want, out)
		}
	}

	s := &simcluster.Student{C: c, Namespace: "student-a", Image: image}
	if err := s.Play(ctx, "correct"); err != nil {
		t.Fatal(err)
	}
	out, _ = s.C.Kubectl(ctx, "-n", s.Namespace, "get", "deployments")
	if !regexp.MustCompile(`hello-flask\s+1/1\s+1\s+1`).MatchString(out) {
		t.Errorf("kubectl get deployments: want hello-flask 1/1 1 1:\n%s", out)
	}
	out, _ = s.C.Kubectl(ctx, "-n", s.Namespace, "get", "pods")
	if !regexp.MustCompile(`hello-flask-\S+\s+1/1\s+Running\s+0`).MatchString(out) {
		t.Errorf("kubectl get pods: want one pod 1/1 Running 0:\n%s", out)
	}
	out, _ = s.C.Kubectl(ctx, "-n", s.Namespace, "get", "services")
	if !regexp.MustCompile(`hello-flask\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+5000:[23]\d{4}/TCP`).MatchString(out) {
		t.Errorf("kubectl get services: want LoadBalancer <pending> 5000:<nodePort>/TCP:\n%s", out)
	}
	out, _ = s.C.Kubectl(ctx, "-n", s.Namespace, "get", "endpointslices", "-o", "jsonpath={.items[*].endpoints[*].conditions.ready}")
	if !strings.Contains(out, "true") {
		t.Errorf("endpointslices: want a ready endpoint, got %q", out)
	}
	// Events arrive asynchronously (the events broadcaster batches).
	var events string
	_ = simcluster.WaitFor(ctx, 20*time.Second, func() (bool, error) {
		events, _ = s.C.Kubectl(ctx, "-n", s.Namespace, "get", "events")
		return strings.Contains(events, "Scheduled") && strings.Contains(events, "Created") && strings.Contains(events, "Started"), nil
	})
	for _, want := range []string{"Scheduled", "Created", "Started", "ScalingReplicaSet", "SuccessfulCreate"} {
		if !strings.Contains(events, want) {
			t.Errorf("kubectl get events lacks %s:\n%s", want, events)
		}
	}
}

// TestScenarios plays every mistake and checks the cluster shows the state
// the scenario's name promises.
func TestScenarios(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	getDeploy := func(s *simcluster.Student) *appsv1.Deployment {
		d, err := s.Deployment(ctx)
		if err != nil {
			t.Fatalf("%s: %v", s.Namespace, err)
		}
		return d
	}
	getPods := func(s *simcluster.Student) []corev1.Pod {
		out, err := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "pods", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var l corev1.PodList
		_ = json.Unmarshal([]byte(out), &l)
		return l.Items
	}
	getSvc := func(s *simcluster.Student, name string) *corev1.Service {
		out, err := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "service", name, "-o", "json")
		if err != nil {
			t.Fatalf("%s: %v", s.Namespace, err)
		}
		var sv corev1.Service
		_ = json.Unmarshal([]byte(out), &sv)
		return &sv
	}
	waiting := func(p corev1.Pod) string {
		if len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].State.Waiting != nil {
			return p.Status.ContainerStatuses[0].State.Waiting.Reason
		}
		return ""
	}
	checks := map[string]func(s *simcluster.Student){
		"nothing": func(s *simcluster.Student) {
			if out, _ := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "deployments"); !strings.Contains(out, "No resources") {
				t.Errorf("nothing: want no deployments, got %s", out)
			}
		},
		"no-service": func(s *simcluster.Student) {
			if d := getDeploy(s); d.Status.AvailableReplicas != 1 {
				t.Errorf("no-service: deployment not available: %+v", d.Status)
			}
			if out, _ := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "services"); !strings.Contains(out, "No resources") {
				t.Errorf("no-service: want no services, got %s", out)
			}
		},
		"image-pull-backoff": func(s *simcluster.Student) {
			ps := getPods(s)
			if len(ps) != 1 || waiting(ps[0]) != "ImagePullBackOff" || ps[0].Status.Phase != corev1.PodPending {
				t.Errorf("image-pull-backoff: want one Pending pod in ImagePullBackOff, got %d pods", len(ps))
			}
			if out, _ := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "pods"); !strings.Contains(out, "ImagePullBackOff") {
				t.Errorf("kubectl get pods does not show ImagePullBackOff:\n%s", out)
			}
		},
		"crash-loop": func(s *simcluster.Student) {
			ps := getPods(s)
			if len(ps) != 1 || waiting(ps[0]) != "CrashLoopBackOff" || ps[0].Status.ContainerStatuses[0].RestartCount < 5 {
				t.Errorf("crash-loop: want a CrashLoopBackOff pod with restarts")
			}
			if d := getDeploy(s); d.Status.AvailableReplicas != 0 {
				t.Errorf("crash-loop: deployment should not be available")
			}
		},
		"zero-replicas": func(s *simcluster.Student) {
			if d := getDeploy(s); *d.Spec.Replicas != 0 || len(getPods(s)) != 0 {
				t.Errorf("zero-replicas: want 0 replicas and no pods")
			}
		},
		"clusterip": func(s *simcluster.Student) {
			if sv := getSvc(s, "hello-flask"); sv.Spec.Type != corev1.ServiceTypeClusterIP {
				t.Errorf("clusterip: type %s", sv.Spec.Type)
			}
		},
		"nodeport": func(s *simcluster.Student) {
			if sv := getSvc(s, "hello-flask"); sv.Spec.Type != corev1.ServiceTypeNodePort || sv.Spec.Ports[0].NodePort == 0 {
				t.Errorf("nodeport: type %s", sv.Spec.Type)
			}
		},
		"port-8080": func(s *simcluster.Student) {
			if sv := getSvc(s, "hello-flask"); sv.Spec.Ports[0].Port != 8080 || sv.Spec.Ports[0].TargetPort.IntValue() != 8080 {
				t.Errorf("port-8080: ports %+v", sv.Spec.Ports)
			}
		},
		"selector-mismatch": func(s *simcluster.Student) {
			sv := getSvc(s, "hello-flask-svc")
			if sv.Spec.Selector["app"] == "hello-flask" {
				t.Errorf("selector-mismatch: selector matches the pods: %v", sv.Spec.Selector)
			}
		},
	}
	for _, sc := range simcluster.Scenarios {
		check, ok := checks[sc.Name]
		if sc.Name == "correct" {
			continue // TestLessonOnSimulatedCluster
		}
		if !ok {
			t.Errorf("scenario %s has no state check", sc.Name)
			continue
		}
		s := &simcluster.Student{C: c, Namespace: "s-" + sc.Name, Image: "budi/hello-flask"}
		if err := s.Play(ctx, sc.Name); err != nil {
			t.Errorf("%s: %v", sc.Name, err)
			continue
		}
		check(s)
	}
}

// TestStopLeavesNothing proves that after Stop none of the started processes
// remain and the API server's port is free.
func TestStopLeavesNothing(t *testing.T) {
	c := startCluster(t)
	pids := c.PIDs()
	if len(pids) != 5 {
		t.Fatalf("want 5 components, got %v", pids)
	}
	c.Stop()
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			// A zombie would still answer; read its state.
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			t.Errorf("%s (pid %d) still exists after Stop: %s", name, pid, stat)
		}
	}
	port := strings.TrimPrefix(c.Server, "https://")
	if conn, err := net.DialTimeout("tcp", port, time.Second); err == nil {
		conn.Close()
		t.Errorf("API server port %s still accepts connections after Stop", port)
	}
}
