// Command kubelab-real runs kubelab's real node by hand (`make real-up`,
// `make real-down`): a real kubelet, kube-proxy and containerd beside the
// control plane, all inside a network namespace of their own (see
// internal/realnode).
//
//	kubelab-real up   [--dir .real] [--netns kubelab-real]
//	kubelab-real down [--dir .real] [--netns kubelab-real]
//	kubelab-real demo [--kubelab bin/kubelab] [--out out/demo-real]
//
// up prints the `export KUBECONFIG=...` line and, on a line of its own, the
// `nsenter --net=...` prefix that runs a command inside the namespace.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/internal/realnode"
	"github.com/kubelab/kubelab/internal/subcmd"
)

func main() {
	subcmd.Main("kubelab-real", usage, subcmd.Commands{"up": up, "down": down, "node": node, "demo": demo})
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kubelab-real up   [--dir .real] [--netns kubelab-real]   start a real node and leave it running
  kubelab-real down [--dir .real] [--netns kubelab-real]   stop it and remove everything it made
  kubelab-real demo [--kubelab bin/kubelab] [--out out/demo-real]
                                                          the lesson played on a real node, graded, torn down
Needs root and Debian's containerd, runc, containernetworking-plugins,
iptables, conntrack and gcc.
`)
}

// state is what a running node's process writes once the node is Ready.
type state struct {
	PID        int    `json:"pid"`
	Dir        string `json:"dir"`
	Netns      string `json:"netns"`
	Kubeconfig string `json:"kubeconfig"`
	Server     string `json:"server"`
	Registry   string `json:"registry"`
}

func flags(name string, args []string) (dir, netns string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	d := fs.String("dir", ".real", "working directory of the node")
	ns := fs.String("netns", "kubelab-real", "name of the network namespace")
	_ = fs.Parse(args)
	abs, _ := filepath.Abs(*d)
	return abs, *ns
}

func up(args []string) error {
	dir, netns := flags("up", args)
	if subcmd.Running(dir) {
		return fmt.Errorf("a node already runs in %s; run `make real-down` first", dir)
	}
	if m := realnode.Missing(); len(m) > 0 {
		return fmt.Errorf("missing: %s (Debian: containerd runc containernetworking-plugins iptables conntrack gcc)", strings.Join(m, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	if err := realnode.CreateNetns(netns); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "node.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("nsenter", append(realnode.Prefix(netns)[1:], self, "node", "--dir", dir, "--netns", netns)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own session: the node outlives this command.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		realnode.Sweep(netns, dir)
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(5 * time.Minute)
	for {
		var st state
		if subcmd.LoadState(dir, &st) == nil && st.Kubeconfig != "" {
			fmt.Fprintf(os.Stderr, "real node up in %s: node minikube (%s), API server %s, registry %s (inside the namespace)\n",
				time.Since(start).Round(100*time.Millisecond), realnode.NodeIP, st.Server, st.Registry)
			fmt.Printf("export KUBECONFIG=%s\n", st.Kubeconfig)
			fmt.Println(strings.Join(realnode.Prefix(netns), " "))
			return nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "node.log"))
			realnode.Sweep(netns, dir)
			return fmt.Errorf("the node exited while starting (%v):\n%s", err, tail(log, 3000))
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			realnode.Sweep(netns, dir)
			return errors.New("the node was not Ready after 5 minutes; see " + filepath.Join(dir, "node.log"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// node runs inside the namespace: it starts the node, writes the state
// file, and on SIGTERM stops everything it started.
func node(args []string) error {
	dir, netns := flags("node", args)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	n, err := realnode.Start(ctx, realnode.Options{Netns: netns, Dir: dir})
	cancel()
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	st := state{PID: os.Getpid(), Dir: dir, Netns: netns, Kubeconfig: n.Kubeconfig, Server: n.Server, Registry: n.Registry}
	if err := subcmd.SaveState(dir, st); err != nil {
		n.Stop()
		return err
	}
	fmt.Println("node ready")
	<-sig
	fmt.Println("stopping")
	n.Stop()
	fmt.Println("stopped")
	return nil
}

func down(args []string) error {
	dir, netns := flags("down", args)
	start := time.Now()
	var st state
	var unread *fs.PathError
	if err := subcmd.LoadState(dir, &st); !errors.As(err, &unread) {
		if err == nil && st.PID > 0 {
			_ = syscall.Kill(st.PID, syscall.SIGTERM)
			deadline := time.Now().Add(3 * time.Minute)
			for time.Now().Before(deadline) && syscall.Kill(st.PID, 0) == nil {
				time.Sleep(200 * time.Millisecond)
			}
		}
		os.Remove(subcmd.StatePath(dir))
	}
	if left := realnode.Sweep(netns, dir); len(left) > 0 {
		return fmt.Errorf("left behind:\n  %s", strings.Join(left, "\n  "))
	}
	fmt.Fprintf(os.Stderr, "real node in %s stopped in %s; nothing left behind\n", dir, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
