// Command kubelab-sim runs kubelab's simulated environment by hand: a real
// control plane with a simulated "minikube" node (up, down), the student
// simulator (play), and the end-to-end demo behind `make demo`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/subcmd"
)

func main() {
	subcmd.Main("kubelab-sim", usage, subcmd.Commands{"up": up, "down": down, "play": play, "demo": demo})
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kubelab-sim up   [--dir .sim]          start a simulated cluster and leave it running
  kubelab-sim down [--dir .sim]          stop it
  kubelab-sim play [--dir .sim] --scenario NAME --namespace NS --image REF
                                         play a student scenario with kubectl
  kubelab-sim demo --kubelab BIN [--out out/demo]
                                         the end-to-end demo (make demo)
scenarios:
`)
	for _, s := range simcluster.Scenarios {
		fmt.Fprintf(w, "  %-20s %s\n", s.Name, s.Doc)
	}
}

type state struct {
	Dir        string         `json:"dir"`
	Kubeconfig string         `json:"kubeconfig"`
	Server     string         `json:"server"`
	PIDs       map[string]int `json:"pids"`
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	dir := fs.String("dir", ".sim", "working directory of the cluster")
	_ = fs.Parse(args)
	abs, _ := filepath.Abs(*dir)
	if subcmd.Running(abs) {
		return fmt.Errorf("a cluster already runs in %s; run `kubelab-sim down --dir %s` first", abs, *dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	c, err := simcluster.Start(ctx, simcluster.Options{Dir: abs, Detach: true})
	if err != nil {
		return err
	}
	st := state{Dir: abs, Kubeconfig: c.Kubeconfig, Server: c.Server, PIDs: c.PIDs()}
	if err := subcmd.SaveState(abs, st); err != nil {
		c.Stop()
		return err
	}
	fmt.Fprintf(os.Stderr, "simulated cluster up in %s at %s (node %q)\n", time.Since(start).Round(time.Millisecond), c.Server, c.NodeName)
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	return nil
}

func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ExitOnError)
	dir := fs.String("dir", ".sim", "working directory of the cluster")
	_ = fs.Parse(args)
	abs, _ := filepath.Abs(*dir)
	var st state
	if err := subcmd.LoadState(abs, &st); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "no cluster runs in %s\n", abs)
		return nil
	} else if err != nil {
		return err
	}
	// Newest first, as Cluster.Stop does: kwok, scheduler, controller
	// manager, API server, etcd.
	for _, name := range []string{"kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"} {
		pid, ok := st.PIDs[name]
		if !ok {
			continue
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) && syscall.Kill(pid, 0) == nil {
			time.Sleep(100 * time.Millisecond)
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	fmt.Fprintf(os.Stderr, "simulated cluster in %s stopped\n", abs)
	return os.Remove(subcmd.StatePath(abs))
}

// attach rebuilds a Cluster handle from a running cluster's state.
func attach(dir string) (*simcluster.Cluster, error) {
	abs, _ := filepath.Abs(dir)
	var st state
	var unread *fs.PathError
	if err := subcmd.LoadState(abs, &st); errors.As(err, &unread) {
		return nil, fmt.Errorf("no cluster in %s (run `kubelab-sim up` first): %w", abs, err)
	} else if err != nil {
		return nil, err
	}
	return simcluster.Attach(st.Dir, st.Kubeconfig, st.Server)
}

func play(args []string) error {
	fs := flag.NewFlagSet("play", flag.ExitOnError)
	dir := fs.String("dir", ".sim", "working directory of the cluster")
	scenario := fs.String("scenario", "correct", "scenario to play")
	ns := fs.String("namespace", "default", "the student's namespace")
	image := fs.String("image", "budi/hello-flask", "the student's image")
	_ = fs.Parse(args)
	c, err := attach(*dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := &simcluster.Student{C: c, Namespace: *ns, Image: *image}
	if err := s.Play(ctx, *scenario); err != nil {
		return err
	}
	out, _ := c.Kubectl(ctx, "-n", *ns, "get", "deployments,pods,services")
	fmt.Print(strings.TrimSpace(out) + "\n")
	return nil
}
