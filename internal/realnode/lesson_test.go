package realnode

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// buildKubelab builds bin/kubelab for the test.
func buildKubelab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubelab")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubelab").CombinedOutput(); err != nil {
		t.Fatalf("go build kubelab: %v\n%s", err, out)
	}
	return bin
}

// report is the part of kubelab's JSON report the tests read.
type report struct {
	Checks []struct {
		ID, Status, Message string
		Points              float64 `json:"points"`
		MaxPoints           float64 `json:"max_points"`
	} `json:"checks"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Passed   bool    `json:"passed"`
}

// kubelabCheck runs `kubelab check -o json` inside the namespace (this test
// process is in it) and returns the report.
func kubelabCheck(t *testing.T, bin, kubeconfig, dockerHost, image, ns string, extra ...string) report {
	t.Helper()
	args := append([]string{"check", "--kubeconfig", kubeconfig, "--image", image, "-n", ns,
		"--insecure-registry", "-o", "json", "--lang", "en", "--cache-dir", t.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost, "TESTCONTAINERS_RYUK_DISABLED=true",
		// The only addresses kubelab may reach: inside this namespace.
		"KUBELAB_ALLOW_NETS=127.0.0.0/8,"+nodeCIDR+","+ServiceCIDR+","+PodCIDR)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("kubelab check: %v\n%s", err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("kubelab check: bad JSON: %v\n%s\n%s", err, out, stderr.String())
	}
	return r
}

// TestLessonOnRealNode plays the lesson for real: the lesson's own app.py,
// requirements.txt (Flask pinned to the Debian base's 2.2.2 instead of
// 3.0.3, which an offline pip cannot install) and Dockerfile; docker build
// and docker push; kubectl create deployment and expose --type=LoadBalancer
// --port=5000; the real Flask app Running and answering through the
// NodePort on the node address and through the LoadBalancer ingress set as
// `minikube tunnel` does; kubelab check gives full marks, image.runs
// included; and a headless Chromium in the namespace opens the app and
// clicks "Check this step" on kubelab serve's page (browseLesson).
func TestLessonOnRealNode(t *testing.T) {
	n := startT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kubelab := buildKubelab(t)
	host, err := n.Docker(ctx)
	if err != nil {
		t.Fatalf("docker engine in the namespace: %v", err)
	}
	begin := time.Now()
	if err := n.PreparePython(ctx, testCacheDir()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Python base (Debian packages) ready as %s in %s", PythonTag, time.Since(begin).Round(100*time.Millisecond))

	src := t.TempDir()
	if err := LessonFiles("../../content/kubernetes-basics/en", src); err != nil {
		t.Fatal(err)
	}
	image := n.Registry + "/budi/hello-flask"
	begin = time.Now()
	out, err := n.BuildAndPush(ctx, src, image)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("docker build + push in %s", time.Since(begin).Round(100*time.Millisecond))
	if !strings.Contains(out, "Requirement already satisfied: flask==") {
		t.Errorf("pip should find Flask in the base image, offline:\n%s", out)
	}

	const ns = "budi"
	for _, args := range [][]string{
		{"create", "namespace", ns},
		{"-n", ns, "create", "deployment", "hello-flask", "--image=" + image},
		{"-n", ns, "rollout", "status", "deployment/hello-flask", "--timeout=120s"},
		{"-n", ns, "expose", "deployment", "hello-flask", "--type=LoadBalancer", "--port=5000"},
	} {
		if out, err := n.Kubectl(ctx, args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	svcJSON, err := n.Kubectl(ctx, "-n", ns, "get", "service", "hello-flask", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := json.Unmarshal([]byte(svcJSON), &svc); err != nil {
		t.Fatal(err)
	}
	nodePort := svc.Spec.Ports[0].NodePort
	body, err := getEventually(ctx, fmt.Sprintf("http://%s:%d/", NodeIP, nodePort))
	if err != nil || !strings.Contains(body, "Hello from Flask on Kubernetes! Served by hello-flask-") {
		t.Fatalf("the app through the NodePort on %s:%d: %v %q", NodeIP, nodePort, err, body)
	}
	t.Logf("GET http://%s:%d/ -> %q", NodeIP, nodePort, strings.TrimSpace(body))
	lb, err := n.TunnelLoadBalancer(ctx, ns, "hello-flask")
	if err != nil {
		t.Fatal(err)
	}
	if body, err := getEventually(ctx, fmt.Sprintf("http://%s:5000/", lb)); err != nil {
		t.Fatalf("the app through the LoadBalancer ingress %s:5000: %v %q", lb, err, body)
	}
	if out, err := n.Kubectl(ctx, "-n", ns, "get", "deployments,pods,services", "-o", "wide"); err == nil {
		t.Logf("kubectl get deployments,pods,services:\n%s", out)
	}

	r := kubelabCheck(t, kubelab, n.Kubeconfig, host, image, ns)
	var lines []string
	for _, c := range r.Checks {
		lines = append(lines, fmt.Sprintf("%-22s %-8s %g/%g  %s", c.ID, c.Status, c.Points, c.MaxPoints, c.Message))
		if c.Status != "pass" {
			t.Errorf("%s: %s (%s)", c.ID, c.Status, c.Message)
		}
	}
	t.Logf("kubelab check: %g/%g\n%s", r.Score, r.MaxScore, strings.Join(lines, "\n"))
	if r.Score != r.MaxScore || !r.Passed {
		t.Errorf("want full marks, got %g/%g", r.Score, r.MaxScore)
	}
	ran := false
	for _, c := range r.Checks {
		ran = ran || (c.ID == "image.runs" && c.Status == "pass")
	}
	if !ran {
		t.Errorf("image.runs must pass (the image really runs in Docker)")
	}

	browseLesson(t, n.Netns, kubelab, n.Kubeconfig, host, image, ns, nodePort)
}

func getEventually(ctx context.Context, url string) (string, error) {
	var body string
	var err error
	for i := 0; i < 60; i++ {
		if body, err = Get(ctx, url); err == nil {
			return body, nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return body, err
}
