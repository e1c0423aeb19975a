package handin

import (
	"errors"
	"fmt"
	"os"

	"github.com/kubelab/kubelab/internal/regularfile"
)

// readRegular reads a file only if it is a regular file of at most max
// bytes (regularfile.Read: a pipe or device is refused, not waited on), in
// words that say what a hand-in folder may hold.
func readRegular(path string, max int64) ([]byte, error) {
	data, err := regularfile.Read(path, max)
	var notRegular *regularfile.NotRegularError
	var tooLarge *regularfile.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		return nil, fmt.Errorf("not a regular file (%s): only files are read from a hand-in folder", kind(notRegular.Mode))
	case errors.As(err, &tooLarge) && tooLarge.Size >= 0:
		return nil, fmt.Errorf("%s is larger than the %s a hand-in may be (kubelab submit writes far less; --max-submission-size raises the cap)", size(tooLarge.Size), size(max))
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("larger than the %s a hand-in may be (--max-submission-size raises the cap)", size(max))
	}
	return data, err
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
