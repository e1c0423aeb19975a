package handin

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// readRegular reads a file only if it is a regular file of at most max
// bytes. The file is opened without blocking (O_NONBLOCK: opening a named
// pipe would otherwise wait for a writer forever) and checked on the open
// descriptor, so a file swapped for a pipe or device after a directory
// listing is still refused; the read stops one byte past max whatever the
// size said.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s): only files are read from a hand-in folder", kind(st.Mode()))
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is larger than the %s a hand-in may be (kubelab submit writes far less; --max-submission-size raises the cap)", size(st.Size()), size(max))
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than the %s a hand-in may be (--max-submission-size raises the cap)", size(max))
	}
	return data, nil
}

func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
