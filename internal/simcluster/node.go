package simcluster

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kwokAnnotation marks the nodes kwok manages.
const kwokAnnotation = "kwok.x-k8s.io/node"

func x509MarshalEC(p *pki) ([]byte, error) { return x509.MarshalECPrivateKey(p.caKey) }

// writeStages writes kwok's stage configs. The stock delays (1 s plus up to
// 5 s of jitter per transition) are shortened so tests run fast, and the
// pod-ready stage also records the "Started" event a kubelet would.
func (c *Cluster) writeStages() (string, error) {
	data, err := os.ReadFile(filepath.Join(c.bins, "kwok-stages.yaml"))
	if err != nil {
		return "", fmt.Errorf("simcluster: kwok stages: %w (run `make cluster-bins`)", err)
	}
	docs := strings.Split(string(data), "\n---\n")
	for i, d := range docs {
		if strings.Contains(d, "kind: Pod") {
			d = strings.ReplaceAll(d, "durationMilliseconds: 1000", "durationMilliseconds: 100")
			d = strings.ReplaceAll(d, "jitterDurationMilliseconds: 5000", "jitterDurationMilliseconds: 200")
		}
		if strings.Contains(d, "name: pod-ready\n") && !strings.Contains(d, "reason: Started") {
			d = strings.Replace(d, "  next:\n", "  next:\n    event:\n      type: Normal\n      reason: Started\n      message: Started container\n", 1)
		}
		docs[i] = d
	}
	p := c.path("kwok-stages.yaml")
	return p, os.WriteFile(p, []byte(strings.Join(docs, "\n---\n")), 0o644)
}

func (c *Cluster) createNode(ctx context.Context, cs kubernetes.Interface) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        c.NodeName,
			Annotations: map[string]string{kwokAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":                c.NodeName,
				"kubernetes.io/os":                      "linux",
				"kubernetes.io/arch":                    "amd64",
				"node-role.kubernetes.io/control-plane": "",
				"minikube.k8s.io/name":                  c.NodeName,
				"type":                                  "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    nodeResources(),
			Allocatable: nodeResources(),
		},
	}
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	return err
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("2"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
}

// createSystemPods fills kube-system the way minikube's looks: pods for
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler (which here
// really run as processes beside kwok), a kube-proxy DaemonSet, coredns and
// the storage provisioner. kwok makes them Running on the node.
func (c *Cluster) createSystemPods(ctx context.Context, cs kubernetes.Interface) error {
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("kube-system").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("simcluster: kube-system service account: %w", err)
	}
	no := false
	static := []struct{ name, image string }{
		{"etcd", "registry.k8s.io/etcd:3.6.8-0"},
		{"kube-apiserver", "registry.k8s.io/kube-apiserver:v1.36.3"},
		{"kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.36.3"},
		{"kube-scheduler", "registry.k8s.io/kube-scheduler:v1.36.3"},
	}
	for _, s := range static {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: s.name + "-" + c.NodeName, Namespace: "kube-system",
				Labels: map[string]string{"component": s.name, "tier": "control-plane"},
			},
			Spec: corev1.PodSpec{
				NodeName:                     c.NodeName,
				AutomountServiceAccountToken: &no,
				PriorityClassName:            "system-node-critical",
				Containers:                   []corev1.Container{{Name: s.name, Image: s.image}},
			},
		}
		if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("simcluster: creating %s: %w", pod.Name, err)
		}
	}
	sel := func(k, v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
	}
	tmpl := func(k, v, name, image string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{k: v}},
			Spec: corev1.PodSpec{
				AutomountServiceAccountToken: &no,
				Containers:                   []corev1.Container{{Name: name, Image: image}},
			},
		}
	}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{
			Selector: sel("k8s-app", "kube-proxy"),
			Template: tmpl("k8s-app", "kube-proxy", "kube-proxy", "registry.k8s.io/kube-proxy:v1.36.3"),
		},
	}
	if _, err := cs.AppsV1().DaemonSets("kube-system").Create(ctx, ds, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	one := int32(1)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: sel("k8s-app", "kube-dns"),
			Template: tmpl("k8s-app", "kube-dns", "coredns", "registry.k8s.io/coredns/coredns:v1.12.1"),
		},
	}
	if _, err := cs.AppsV1().Deployments("kube-system").Create(ctx, dep, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	sp := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "storage-provisioner", Namespace: "kube-system",
			Labels: map[string]string{"integration-test": "storage-provisioner"}},
		Spec: corev1.PodSpec{NodeName: c.NodeName, AutomountServiceAccountToken: &no,
			Containers: []corev1.Container{{Name: "storage-provisioner", Image: "gcr.io/k8s-minikube/storage-provisioner:v5"}}},
	}
	if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, sp, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// waitUsable waits for what the lesson needs: the node Ready and untainted,
// and the default service account that pods of the default namespace use.
func (c *Cluster) waitUsable(ctx context.Context, cs kubernetes.Interface) error {
	return waitFor(ctx, 60*time.Second, func() (bool, error) {
		if err := c.exited(); err != nil {
			return false, err
		}
		n, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		ready := false
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		for _, t := range n.Spec.Taints {
			if t.Key == "node.kubernetes.io/not-ready" || t.Key == "node.kubernetes.io/unreachable" {
				ready = false
			}
		}
		if !ready {
			return false, nil
		}
		_, err = cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
