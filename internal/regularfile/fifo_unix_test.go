//go:build unix

package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe with no writer is refused at once, not waited on.
func TestReadRefusesPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo, 100); done <- err }()
	select {
	case err := <-done:
		var notReg *NotRegularError
		if !errors.As(err, &notReg) || notReg.Mode&os.ModeNamedPipe == 0 || err.Error() != "not a regular file (p---------)" {
			t.Fatalf("Read(fifo) = %v, want not a regular file (p---------)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read(fifo) blocked")
	}
}
