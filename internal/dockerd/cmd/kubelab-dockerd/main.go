// Command kubelab-dockerd starts kubelab's private Docker engine once for a
// session (CI, `make demo`) so that every test process reuses it:
//
//	eval "$(go run ./internal/dockerd/cmd/kubelab-dockerd)"    # start, export DOCKER_HOST
//	go run ./internal/dockerd/cmd/kubelab-dockerd stop         # stop it
//	go run ./internal/dockerd/cmd/kubelab-dockerd status       # exit 0 when it answers
//
// start uses $DOCKER_HOST or the system socket when one answers, else starts
// dockerd under $KUBELAB_DOCKERD_DIR (default $XDG_RUNTIME_DIR/kubelab-dockerd
// or /tmp/kubelab-dockerd). It prints only the export line on stdout;
// diagnostics go to stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kubelab/kubelab/internal/dockerd"
)

func main() {
	cmd := "start"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch cmd {
	case "start":
		begin := time.Now()
		host, err := ensureKept(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubelab-dockerd:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "kubelab-dockerd: engine at %s answers (%s)\n", host, time.Since(begin).Round(time.Millisecond))
		fmt.Printf("export DOCKER_HOST=%s\n", host)
	case "stop":
		if err := dockerd.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "kubelab-dockerd:", err)
			os.Exit(1)
		}
	case "status":
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = dockerd.Host()
		}
		if err := dockerd.Ping(ctx, host, 3*time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "kubelab-dockerd: %s does not answer: %v\n", host, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "kubelab-dockerd: %s answers\n", host)
	default:
		fmt.Fprintln(os.Stderr, "usage: kubelab-dockerd [start|stop|status]")
		os.Exit(2)
	}
}

// ensureKept prefers an engine that already answers (DOCKER_HOST, the system
// socket); otherwise it starts the private one marked kept.
func ensureKept(ctx context.Context) (string, error) {
	for _, h := range []string{os.Getenv("DOCKER_HOST"), dockerd.DefaultSocket} {
		if h != "" && dockerd.Ping(ctx, h, 3*time.Second) == nil {
			return h, nil
		}
	}
	return dockerd.StartKept(ctx)
}
