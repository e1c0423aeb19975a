package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubelab/kubelab/internal/dockerd"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testimages"
)

type demoStudent struct {
	id, name, scenario string
	image              registrytest.ImageOption
	appAnswers         bool
}

// demo runs kubelab's main job end to end on the simulated environment: a
// cluster, a registry holding the students' images, students playing the
// lesson with kubectl (one right, others with mistakes), and the real
// kubelab binary grading each of them.
func demo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	bin := fs.String("kubelab", "bin/kubelab", "the kubelab binary to run")
	out := fs.String("out", "out/demo", "where the reports go")
	_ = fs.Parse(args)
	kubelab, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	step := func(format string, a ...any) { fmt.Printf("\n==> "+format+"\n", a...) }
	step("starting the simulated cluster (etcd, kube-apiserver, controller manager, scheduler, kwok)")
	t0 := time.Now()
	c, err := simcluster.Start(ctx, simcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	fmt.Printf("cluster up in %s at %s, node %q\n", time.Since(t0).Round(time.Millisecond), c.Server, c.NodeName)

	step("starting a registry on 127.0.0.1 (stands in for Docker Hub)")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	host := l.Addr().String()

	students := []demoStudent{
		{id: "2024001", name: "Budi Santoso", scenario: "correct", appAnswers: true},
		{id: "2024002", name: "Sari Wulandari", scenario: "crash-loop", image: registrytest.NoRequirements()},
		{id: "2024003", name: "Andi Pratama", scenario: "clusterip", image: registrytest.WrongWorkdir()},
	}
	// With a Docker engine the correct student's image is a real, runnable
	// image built like the lesson's Dockerfile, so image.runs is graded too.
	dockerHost, stopDocker, derr := dockerd.Ensure(ctx)
	if derr == nil {
		defer stopDocker()
	} else {
		fmt.Printf("no Docker engine (%v): image.runs will be skipped\n", derr)
	}
	refs, err := pushDemoImages(ctx, students, host, dockerHost, derr == nil)
	if err != nil {
		return err
	}

	env := append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "KUBELAB_ALLOW_NETS=127.0.0.0/8")
	for _, s := range students {
		ns := "student-" + s.id
		ref := refs[s.id]
		step("%s (%s) plays the lesson with kubectl: scenario %q", s.name, s.id, s.scenario)
		st := &simcluster.Student{C: c, Namespace: ns, Image: ref}
		if err := st.Play(ctx, s.scenario); err != nil {
			return err
		}
		o, _ := c.Kubectl(ctx, "-n", ns, "get", "deployments,pods,services")
		fmt.Print(o)
		if s.appAnswers {
			stop, err := c.ServeApp(ctx, ns, "hello-flask", simcluster.FlaskStandIn, false)
			if err != nil {
				return err
			}
			defer stop()
		}
		step("kubelab check --image %s -n %s", ref, ns)
		base := []string{"check", "--image", ref, "-n", ns, "--student-id", s.id, "--name", s.name,
			"--insecure-registry", "--no-service-proxy", "--cache-dir", filepath.Join(*out, ".cache")}
		if derr != nil {
			base = append(base, "--no-run")
		} else {
			env = append(env, "DOCKER_HOST="+dockerHost)
		}
		cmd := exec.CommandContext(ctx, kubelab, base...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stdout, os.Stderr
		err := cmd.Run()
		fmt.Printf("(exit code %d)\n", exitCode(err))
		for _, format := range []string{"json", "html"} {
			file := filepath.Join(*out, s.id+"."+format)
			cmd := exec.CommandContext(ctx, kubelab, append(base, "-o", format, "--output-file", file)...)
			cmd.Env, cmd.Stderr = env, os.Stderr
			if err := cmd.Run(); exitCode(err) > 1 {
				return fmt.Errorf("kubelab check -o %s: %v", format, err)
			}
		}
	}
	abs, _ := filepath.Abs(*out)
	step("done: reports are in %s", abs)
	listReports(*out, abs)
	return nil
}

// pushDemoImages puts each student's image on the registry at host and
// returns its reference by student id. With a Docker engine the correct
// student's image is built for real (runnable); the others, and all of them
// without Docker, are the lesson's image with the student's mistake.
func pushDemoImages(ctx context.Context, students []demoStudent, host, dockerHost string, docker bool) (map[string]string, error) {
	refs := map[string]string{}
	for _, s := range students {
		ref := fmt.Sprintf("%s/student%s/hello-flask:latest", host, s.id)
		if s.image == nil && docker {
			built, err := testimages.Publish(ctx, dockerHost, testimages.Lesson, host, "student"+s.id+"/hello-flask")
			if err != nil {
				return nil, fmt.Errorf("building %s's image: %w", s.name, err)
			}
			refs[s.id] = built
			fmt.Printf("built and pushed %s (runnable, with Docker)\n", built)
			continue
		}
		refs[s.id] = ref
		var opts []registrytest.ImageOption
		if s.image != nil {
			opts = append(opts, s.image)
		}
		r, _ := name.ParseReference(ref, name.Insecure)
		if err := remote.Write(r, registrytest.LessonImage(opts...)); err != nil {
			return nil, fmt.Errorf("pushing %s: %w", ref, err)
		}
		fmt.Printf("pushed %s\n", ref)
	}
	return refs, nil
}

// listReports prints the path of each report file in out (abs is out made
// absolute), so the user can open them.
func listReports(out, abs string) {
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if !e.IsDir() {
			fmt.Println("  " + filepath.Join(abs, e.Name()))
		}
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
