package realnode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubelab/kubelab/internal/dockerd"
)

// Docker starts a private Docker engine inside the node's namespace (its
// state under Dir/dockerd), so that `docker push` reaches the node's
// registry and a container it runs answers on the namespace's 127.0.0.1 —
// where kubelab's image.runs looks. It returns the DOCKER_HOST value.
func (n *Node) Docker(ctx context.Context) (string, error) {
	os.Setenv("KUBELAB_DOCKERD_DIR", n.path("dockerd"))
	host, err := dockerd.StartKept(ctx)
	if err != nil {
		return "", err
	}
	n.dockerHost = host
	return host, nil
}

// stopDocker stops the engine Docker started (Stop calls it).
func (n *Node) stopDocker() {
	if n.dockerHost == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	os.Setenv("KUBELAB_DOCKERD_DIR", n.path("dockerd"))
	_ = dockerd.Stop(ctx)
	n.dockerHost = ""
}

// DockerCmd runs the docker client against the node's engine.
func (n *Node) DockerCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+n.dockerHost, "DOCKER_CONFIG="+n.path("docker-config"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// PreparePython pushes the Debian-built Python base to the node's registry
// and has the engine pull it and tag it as the lesson's FROM image, so
// `docker build` never looks for it on Docker Hub.
func (n *Node) PreparePython(ctx context.Context, cacheDir string) error {
	img, err := PythonBase(ctx, cacheDir)
	if err != nil {
		return err
	}
	ref := n.Registry + "/library/" + PythonTag
	if err := Push(ctx, ref, img); err != nil {
		return err
	}
	if _, err := n.DockerCmd(ctx, "", "pull", "-q", ref); err != nil {
		return err
	}
	_, err = n.DockerCmd(ctx, "", "tag", ref, PythonTag)
	return err
}

// LessonFiles writes the lesson's app.py, requirements.txt and Dockerfile,
// taken from the lesson's own pages under contentDir
// (content/kubernetes-basics/en), into dst. requirements.txt pins the Flask
// of the Debian base (DebianFlask) instead of the lesson's flask==3.0.3,
// which an offline pip cannot install; everything else is the lesson's.
func LessonFiles(contentDir, dst string) error {
	block := func(page, lang string) (string, error) {
		b, err := os.ReadFile(filepath.Join(contentDir, page))
		if err != nil {
			return "", err
		}
		m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindSubmatch(b)
		if m == nil {
			return "", fmt.Errorf("realnode: no ```%s block in %s", lang, page)
		}
		return string(m[1]), nil
	}
	app, err := block("06-app-py.md", "python")
	if err != nil {
		return err
	}
	df, err := block("08-dockerfile.md", "dockerfile")
	if err != nil {
		return err
	}
	req, err := block("07-requirements.md", "text")
	if err != nil {
		return err
	}
	if !strings.Contains(strings.ToLower(req), "flask") {
		return fmt.Errorf("realnode: 07-requirements.md: the first text block names no flask: %q", req)
	}
	req = regexp.MustCompile(`(?i)flask==\S+`).ReplaceAllString(req, "flask=="+DebianFlask)
	if !strings.Contains(df, "FROM "+PythonTag) {
		return fmt.Errorf("realnode: 08-dockerfile.md: the Dockerfile is not FROM %s; update PythonTag", PythonTag)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for name, data := range map[string]string{"app.py": app, "requirements.txt": req, "Dockerfile": df} {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// BuildAndPush is the lesson's steps 9 and 12 on the node's engine: docker
// build -t IMAGE . in dir, then docker push. image is a name on the node's
// registry (Registry + "/budi/hello-flask").
func (n *Node) BuildAndPush(ctx context.Context, dir, image string) (string, error) {
	out, err := n.DockerCmd(ctx, dir, "build", "-t", image, ".")
	if err != nil {
		return out, err
	}
	p, err := n.DockerCmd(ctx, dir, "push", image)
	return out + p, err
}

// TunnelLoadBalancer does what `minikube tunnel` does for a LoadBalancer
// service: its ingress IP becomes the service's ClusterIP (reachable here
// through kube-proxy's rules and the namespace's route for the service
// range).
func (n *Node) TunnelLoadBalancer(ctx context.Context, ns, svc string) (string, error) {
	out, err := n.Kubectl(ctx, "-n", ns, "get", "service", svc, "-o", "json")
	if err != nil {
		return "", err
	}
	var s corev1.Service
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return "", err
	}
	patch := fmt.Sprintf(`{"status":{"loadBalancer":{"ingress":[{"ip":%q}]}}}`, s.Spec.ClusterIP)
	_, err = n.Kubectl(ctx, "-n", ns, "patch", "service", svc, "--subresource=status", "--type=merge", "-p", patch)
	return s.Spec.ClusterIP, err
}

// Get fetches url from inside the namespace (the node address, a ClusterIP)
// and returns the body.
func Get(ctx context.Context, url string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}
