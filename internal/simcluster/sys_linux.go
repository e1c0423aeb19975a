package simcluster

import (
	"os"
	"syscall"
)

// tryLock takes f's exclusive lock without waiting; false if another
// process holds it.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// procAttr puts a component in its own process group (stopProc signals the
// group) and, unless it is to outlive us, has the kernel kill it when the
// thread that started it dies: no process outlives a crashed test. The
// caller holds its OS thread while starting the process.
func procAttr(detach bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if !detach {
		a.Pdeathsig = syscall.SIGKILL
	}
	return a
}

// signalGroup sends the process group led by pid SIGTERM, or SIGKILL.
func signalGroup(pid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-pid, sig)
}
