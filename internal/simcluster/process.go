package simcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// The cluster's processes: starting them in their own process group,
// stopping them (and what they leave), seeing which ones exited.

// start runs one binary in its own process group with its output in
// Dir/<name>.log.
func (c *Cluster) start(opt Options, name string, args ...string) error {
	return c.startPath(opt, name, filepath.Join(c.bins, name), args...)
}

// StartProcess runs another component of the cluster (a real node's
// containerd, kubelet, kube-proxy) like its own: in its own process group,
// output in Dir/<name>.log, stopped by Stop (newest first) and reported by
// exited while the cluster starts. path is the program to run.
func (c *Cluster) StartProcess(name, path string, args ...string) error {
	return c.startPath(Options{Detach: c.detach}, name, path, args...)
}

// BinDir is the directory of the cluster binaries (kubelet and kube-proxy
// included).
func (c *Cluster) BinDir() string { return c.bins }

// Exited reports a component that has died, with the end of its log.
func (c *Cluster) Exited() error { return c.exited() }

func (c *Cluster) startPath(opt Options, name, path string, args ...string) error {
	return c.startLogged(opt, os.O_TRUNC, name, path, args...)
}

// startLogged starts a component; logMode is os.O_TRUNC for a first start,
// os.O_APPEND for a restart (the log of the run before is evidence).
func (c *Cluster) startLogged(opt Options, logMode int, name, path string, args ...string) error {
	logf, err := os.OpenFile(c.path(name+".log"), os.O_CREATE|os.O_WRONLY|logMode, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procAttr(opt.Detach)
	if !opt.Detach {
		// If the test binary dies (a panic, a timeout, SIGKILL), the kernel
		// kills the child too (Pdeathsig, bound to this thread), so no
		// process outlives its test.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("simcluster: starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return nil
}

// PIDs returns the process ids of the components started, by name.
func (c *Cluster) PIDs() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, p := range c.procs {
		out[p.name] = p.cmd.Process.Pid
	}
	return out
}

// Stop stops every component, newest first: SIGTERM to its process group,
// then SIGKILL if it has not exited in time (kube-apiserver takes seconds).
// It is safe to call twice.
func (c *Cluster) Stop() {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		stopProc(procs[i])
	}
	for _, f := range c.nodePorts {
		f.Close()
	}
	c.nodePorts = nil
}

// StopComponent stops one component (for failure drills: the API server
// going away in the middle of a batch).
func (c *Cluster) StopComponent(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.procs {
		if p.name == name {
			stopProc(p)
			c.procs = append(c.procs[:i], c.procs[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("simcluster: no running component %q", name)
}

// RestartComponent stops one component as StopComponent does, calls
// whileDown (if not nil) while it is stopped, then starts it again with the
// same command line, its log appended to (failure drills on a real node:
// containerd or the API server restarted under running pods).
func (c *Cluster) RestartComponent(name string, whileDown func()) error {
	c.mu.Lock()
	at := -1
	for i, q := range c.procs {
		if q.name == name {
			at = i
			break
		}
	}
	c.mu.Unlock()
	if at < 0 {
		return fmt.Errorf("simcluster: no running component %q", name)
	}
	c.mu.Lock()
	p := c.procs[at]
	c.mu.Unlock()
	stopProc(p)
	if whileDown != nil {
		whileDown()
	}
	if err := c.startLogged(Options{Detach: c.detach}, os.O_APPEND, name, p.cmd.Path, p.cmd.Args[1:]...); err != nil {
		return err
	}
	// The new process takes the old one's place: Stop stops components
	// newest first, so the order stays that of the first start.
	c.mu.Lock()
	defer c.mu.Unlock()
	last := len(c.procs) - 1
	c.procs[at] = c.procs[last]
	c.procs = c.procs[:last]
	return nil
}

func stopProc(p *proc) {
	pgid := p.cmd.Process.Pid
	signalGroup(pgid, false)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		signalGroup(pgid, true)
		<-p.done
	}
	// Anything the component left in its group goes too.
	signalGroup(pgid, true)
}
