// Package dockerd finds a Docker engine for kubelab's tests and demo, and
// starts a private one when none answers.
//
// The private engine is Debian's dockerd started with its own state under
// Dir() and a unix socket there (never TCP). It is shared: several test
// processes may call Ensure at once; a lock file serialises the start and a
// second caller reuses the engine already answering on the socket. Each
// caller also holds a shared lock on a "users" file until it calls stop, so
// the last user of an engine that Ensure started can stop it. An engine
// started by the kubelab-dockerd command ("kept") is stopped only by that
// command's stop.
package dockerd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// DefaultSocket is where a system Docker engine listens.
const DefaultSocket = "unix:///var/run/docker.sock"

// Dir is the directory of the private engine: $KUBELAB_DOCKERD_DIR, else
// $XDG_RUNTIME_DIR/kubelab-dockerd, else /tmp/kubelab-dockerd. It is stable
// (not per process) so that every test process finds the same engine.
func Dir() string {
	if d := os.Getenv("KUBELAB_DOCKERD_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "kubelab-dockerd")
	}
	return filepath.Join(os.TempDir(), "kubelab-dockerd")
}

// Host is the DOCKER_HOST value of the private engine.
func Host() string { return "unix://" + filepath.Join(Dir(), "docker.sock") }

// Ping reports whether a Docker engine answers on host within timeout.
func Ping(ctx context.Context, host string, timeout time.Duration) error {
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err
}

// Ensure returns the DOCKER_HOST of an answering Docker engine: $DOCKER_HOST
// if it answers, else the system socket if it answers, else the private
// engine under Dir(), started if need be (which needs root and dockerd on
// PATH). stop releases this caller's use; it stops the private engine only
// when Ensure started it and no other process is still using it. stop is
// never nil and may be called more than once.
func Ensure(ctx context.Context) (host string, stop func(), err error) {
	noop := func() {}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		if Ping(ctx, h, 3*time.Second) == nil {
			return h, noop, nil
		}
	}
	if Ping(ctx, DefaultSocket, 2*time.Second) == nil {
		return DefaultSocket, noop, nil
	}
	return ensurePrivate(ctx, false)
}

// StartKept starts (or finds) the private engine for a whole session, as the
// kubelab-dockerd command does: it is marked kept, so test processes using it
// never stop it. It returns the DOCKER_HOST value.
func StartKept(ctx context.Context) (string, error) {
	host, release, err := ensurePrivate(ctx, true)
	if err != nil {
		return "", err
	}
	release()
	return host, nil
}

// errNoDockerd is returned when dockerd is not installed.
var errNoDockerd = errors.New("dockerd not found on PATH (install Debian's docker.io)")

// logTail returns the end of the private engine's log, for error messages.
func logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(Dir(), "dockerd.log"))
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

func wrapLog(err error) error {
	if t := logTail(1500); t != "" {
		return fmt.Errorf("%w\n--- %s (end) ---\n%s", err, filepath.Join(Dir(), "dockerd.log"), t)
	}
	return err
}
