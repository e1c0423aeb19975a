//go:build linux

package dockerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a fresh dockerd may take to answer. On this
// project's machines it answers in about a second; a cold data root with
// overlay2 checks takes a few more.
const startTimeout = 60 * time.Second

// args are the flags the private dockerd runs with. Every path is under dir,
// so it never collides with a system engine (or its state) on the machine.
func args(dir string) []string {
	return []string{
		// The only API endpoint: a unix socket in our directory. No -H tcp://,
		// so the engine never listens on a network port.
		"--host", "unix://" + filepath.Join(dir, "docker.sock"),
		// Images, containers and build cache live here, not in
		// /var/lib/docker; kept across runs so test images stay cached.
		"--data-root", filepath.Join(dir, "data"),
		// Runtime state (its own containerd socket, container bundles,
		// network namespaces) instead of /var/run/docker.
		"--exec-root", filepath.Join(dir, "exec"),
		// The default /var/run/docker.pid would clash with a system engine;
		// stop() reads this file to find the daemon.
		"--pidfile", filepath.Join(dir, "docker.pid"),
		// Leave the host firewall alone: published ports are served by
		// docker-proxy (the userland proxy), which listens on the host
		// address we ask for (always 127.0.0.1) and dials the container over
		// the docker0 bridge, so no NAT rules are needed.
		"--iptables=false",
		"--userland-proxy=true",
		// Do not switch on net.ipv4.ip_forward and do not masquerade: a
		// container then cannot route a packet off this machine (the
		// project's network rule). Pulls are done by dockerd itself, from
		// registries on 127.0.0.1.
		"--ip-forward=false",
		"--ip-masq=false",
		// Containers resolve names through their own loopback, i.e. not at
		// all: otherwise Docker substitutes 8.8.8.8 when the host's resolver
		// is on 127.0.0.x, and a container would try to reach it.
		"--dns", "127.0.0.1",
		// The default bridge network (docker0) is kept on purpose:
		// --bridge=none leaves only host networking, where a container's
		// port 5000 would listen on every interface, and testcontainers would
		// create (and leave behind) a "reaper_default" network of its own
		// when no "bridge" network exists.
	}
}

// lockFile opens path and takes a flock on it (syscall.LOCK_EX or LOCK_SH),
// polling so that ctx can cancel the wait. Closing the file releases the
// lock; so does the death of the process, so a crashed test never leaves a
// lock behind.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("flock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ensurePrivate(ctx context.Context, keep bool) (string, func(), error) {
	dir := Dir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	startLock, err := lockFile(ctx, filepath.Join(dir, "start.lock"), syscall.LOCK_EX)
	if err != nil {
		return "", nil, err
	}
	defer startLock.Close()

	host := Host()
	if Ping(ctx, host, 2*time.Second) != nil {
		if err := start(ctx, dir); err != nil {
			return "", nil, err
		}
		// A fresh engine belongs to Ensure until someone marks it kept.
		os.Remove(filepath.Join(dir, "kept"))
	}
	if keep {
		if err := os.WriteFile(filepath.Join(dir, "kept"), nil, 0o600); err != nil {
			return "", nil, err
		}
	}
	users, err := lockFile(ctx, filepath.Join(dir, "users.lock"), syscall.LOCK_SH)
	if err != nil {
		return "", nil, err
	}
	var once sync.Once
	return host, func() { once.Do(func() { release(dir, users) }) }, nil
}

// release drops one user's shared lock and stops the engine when that was
// the last user and the engine is not kept.
func release(dir string, users *os.File) {
	users.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := lockFile(ctx, filepath.Join(dir, "start.lock"), syscall.LOCK_EX)
	if err != nil {
		return
	}
	defer l.Close()
	if _, err := os.Stat(filepath.Join(dir, "kept")); err == nil {
		return
	}
	// An exclusive lock is granted only when no process holds a shared one.
	u, err := os.OpenFile(filepath.Join(dir, "users.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return
	}
	defer u.Close()
	if syscall.Flock(int(u.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return
	}
	_ = stopDaemon(ctx, dir)
}

// Stop stops the private engine, kept or not, whoever uses it.
func Stop(ctx context.Context) error {
	dir := Dir()
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	l, err := lockFile(ctx, filepath.Join(dir, "start.lock"), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer l.Close()
	os.Remove(filepath.Join(dir, "kept"))
	return stopDaemon(ctx, dir)
}

func findDockerd() (string, error) {
	if p, err := exec.LookPath("dockerd"); err == nil {
		return p, nil
	}
	// A non-root PATH often lacks the sbin directories.
	for _, p := range []string{"/usr/sbin/dockerd", "/usr/bin/dockerd", "/usr/local/bin/dockerd"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errNoDockerd
}

// start runs dockerd for dir and waits until it answers. The caller holds
// the start lock.
func start(ctx context.Context, dir string) error {
	bin, err := findDockerd()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("starting %s needs root (rootless Docker is not set up by kubelab); start an engine yourself and set DOCKER_HOST", bin)
	}
	sock := filepath.Join(dir, "docker.sock")
	host := "unix://" + sock

	// A daemon of ours that is alive but not answering is either still
	// starting (another process gave up waiting) or hung: give it a while,
	// then replace it.
	if pid := daemonPID(dir); pid > 0 {
		if waitAnswer(ctx, host, 30*time.Second, nil) == nil {
			return nil
		}
		if err := stopDaemon(ctx, dir); err != nil {
			return err
		}
	}
	os.Remove(filepath.Join(dir, "docker.pid"))
	os.Remove(sock)

	logf, err := os.OpenFile(filepath.Join(dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args(dir)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// dockerd finds containerd, runc and docker-proxy on PATH.
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	// Its own session: the engine outlives the test process that started it
	// (other test processes may be using it) and a Ctrl-C in the terminal,
	// sent to the foreground process group, does not take it down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	// Reap the daemon if it dies while this process lives.
	go func() { exited <- cmd.Wait() }()

	if err := waitAnswer(ctx, host, startTimeout, exited); err != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		return wrapLog(fmt.Errorf("dockerd (%s) did not come up: %w", dir, err))
	}
	return nil
}

// waitAnswer polls host until it answers, the process reports on exited
// (when not nil), ctx ends or limit passes.
func waitAnswer(ctx context.Context, host string, limit time.Duration, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if Ping(ctx, host, time.Second) == nil {
			return nil
		}
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("exit status 0")
			}
			return fmt.Errorf("dockerd exited: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// daemonPID returns the pid in dir's pidfile when that process is alive and
// is a dockerd using dir (not a recycled pid), else 0.
func daemonPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "docker.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if !alive(pid) {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte("dockerd")) || !bytes.Contains(cmdline, []byte(dir)) {
		return 0
	}
	return pid
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// stopDaemon sends SIGTERM to dir's dockerd (which stops its containers and
// its containerd) and waits for it to exit, killing it after 20 seconds.
func stopDaemon(ctx context.Context, dir string) error {
	pid := daemonPID(dir)
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			// Its containerd would outlive a killed dockerd.
			if b, err := os.ReadFile(filepath.Join(dir, "exec", "containerd", "containerd.pid")); err == nil {
				if cpid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && cpid > 0 {
					_ = syscall.Kill(cpid, syscall.SIGKILL)
				}
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
