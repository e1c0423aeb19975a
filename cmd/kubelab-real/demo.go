package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubelab/kubelab/internal/realnode"
)

// demo plays the lesson on a real node (`make demo-real`): in the root
// namespace it fetches the Python base's Debian packages and creates the
// namespace; inside it (re-run with nsenter) it starts the node, builds and
// pushes the lesson's image with docker, deploys and exposes it with
// kubectl, opens the app and grades it with kubelab; then everything is torn
// down and checked gone.
func demo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	kubelab := fs.String("kubelab", "bin/kubelab", "the kubelab binary to grade with")
	out := fs.String("out", "out/demo-real", "where the reports go")
	content := fs.String("content", "content/kubernetes-basics/en", "the lesson's pages (app.py, requirements.txt, Dockerfile come from them)")
	netns := fs.String("netns", "kubelab-demo", "name of the network namespace")
	inside := fs.Bool("inside", false, "internal: run the demo inside the namespace")
	_ = fs.Parse(args)
	for _, p := range []*string{kubelab, out, content} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return err
	}
	cache = filepath.Join(cache, "kubelab", "realnode")
	if *inside {
		return demoInside(*kubelab, *out, *content, *netns, cache)
	}
	if m := realnode.Missing(); len(m) > 0 {
		return fmt.Errorf("missing: %s", strings.Join(m, ", "))
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	err = realnode.FetchPythonDebs(ctx, cache)
	cancel()
	if err != nil {
		return err
	}
	if err := realnode.CreateNetns(*netns); err != nil {
		return err
	}
	self, _ := os.Executable()
	cmd := exec.Command("nsenter", append(realnode.Prefix(*netns)[1:], self, "demo", "--inside",
		"--kubelab", *kubelab, "--out", *out, "--content", *content, "--netns", *netns)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	runErr := cmd.Run()
	left := realnode.Sweep(*netns, "")
	fmt.Printf("\n== demo done in %s; torn down", time.Since(begin).Round(time.Second))
	if len(left) > 0 {
		fmt.Printf(", but left behind:\n  %s\n", strings.Join(left, "\n  "))
		return errors.Join(runErr, errors.New("the real node left something behind"))
	}
	fmt.Println(": no process, mount or network namespace left")
	return runErr
}

func demoInside(kubelab, out, content, netns, cache string) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kl-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	step := func(format string, a ...any) { fmt.Printf("\n== "+format+"\n", a...) }
	begin := time.Now()
	n, err := realnode.Start(ctx, realnode.Options{Netns: netns, Dir: dir})
	if err != nil {
		return err
	}
	defer n.Stop()
	step("real node Ready in %s: kubelet v1.36.3 + containerd on %s, registry %s (all inside netns %s)",
		time.Since(begin).Round(100*time.Millisecond), realnode.NodeIP, n.Registry, netns)
	show := func(args ...string) error {
		fmt.Printf("$ kubectl %s\n", strings.Join(args, " "))
		o, err := n.Kubectl(ctx, args...)
		fmt.Print(o)
		return err
	}
	if err := show("get", "nodes", "-o", "wide"); err != nil {
		return err
	}
	host, err := n.Docker(ctx)
	if err != nil {
		return err
	}
	if err := n.PreparePython(ctx, cache); err != nil {
		return err
	}
	step("%s built locally from Debian packages (Python 3.11, Flask %s) and tagged for the lesson's FROM", realnode.PythonTag, realnode.DebianFlask)
	src := filepath.Join(dir, "hello-flask")
	if err := realnode.LessonFiles(content, src); err != nil {
		return err
	}
	image := n.Registry + "/budi/hello-flask"
	step("docker build -t %s . && docker push %s   (the lesson's Dockerfile, unchanged; requirements.txt pins flask==%s)", image, image, realnode.DebianFlask)
	if o, err := n.BuildAndPush(ctx, src, image); err != nil {
		return fmt.Errorf("%w\n%s", err, o)
	}
	const ns = "default"
	step("the lesson's kubectl steps")
	for _, a := range [][]string{
		{"create", "deployment", "hello-flask", "--image=" + image},
		{"rollout", "status", "deployment/hello-flask", "--timeout=120s"},
		{"get", "pods", "-o", "wide"},
		{"expose", "deployment", "hello-flask", "--type=LoadBalancer", "--port=5000"},
	} {
		if err := show(a...); err != nil {
			return err
		}
	}
	np, err := n.Kubectl(ctx, "get", "service", "hello-flask", "-o", "jsonpath={.spec.ports[0].nodePort}")
	if err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s:%s/", realnode.NodeIP, strings.TrimSpace(np))
	var body string
	for i := 0; i < 60; i++ {
		if body, err = realnode.Get(ctx, url); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("the app does not answer at %s: %w", url, err)
	}
	step("minikube service: GET %s -> %s", url, strings.TrimSpace(body))
	lb, err := n.TunnelLoadBalancer(ctx, ns, "hello-flask")
	if err != nil {
		return err
	}
	step("minikube tunnel: LoadBalancer ingress %s", lb)
	if err := show("get", "services"); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	step("kubelab check --image %s", image)
	env := append(os.Environ(), "DOCKER_HOST="+host, "TESTCONTAINERS_RYUK_DISABLED=true",
		"KUBELAB_ALLOW_NETS=127.0.0.0/8,192.168.49.0/24,"+realnode.ServiceCIDR+","+realnode.PodCIDR)
	base := []string{"check", "--kubeconfig", n.Kubeconfig, "--image", image, "--insecure-registry", "--lang", "en",
		"--cache-dir", filepath.Join(dir, "kubelab-cache")}
	for _, o := range [][]string{{"-o", "json", "--output-file", filepath.Join(out, "report.json")},
		{"-o", "html", "--output-file", filepath.Join(out, "report.html")}, {}} {
		cmd := exec.CommandContext(ctx, kubelab, append(append([]string{}, base...), o...)...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kubelab check: %w", err)
		}
	}
	fmt.Printf("\nreports: %s/report.json, %s/report.html\n", out, out)
	return nil
}
