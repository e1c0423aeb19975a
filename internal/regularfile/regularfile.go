// Package regularfile reads a file the user named only if it is a regular
// file of bounded size: a named pipe, device or socket put where a file was
// expected must be refused, not waited on or read forever. Callers word
// their own refusal from the typed errors.
package regularfile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// NotRegularError is Read's error for a path that is not a regular file.
type NotRegularError struct {
	Mode os.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("not a regular file (%s)", e.Mode.Type())
}

// TooLargeError is Read's error for a file of more than Max bytes. Size is
// the size the file said it had, or -1 when it said less but more came
// (a file growing while read).
type TooLargeError struct {
	Size, Max int64
}

func (e *TooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.Max) }

// Read reads path only if it is a regular file of at most max bytes. The
// file is opened without blocking (O_NONBLOCK: opening a named pipe would
// otherwise wait for a writer forever) and checked on the open descriptor,
// so a file swapped for a pipe or device after a directory listing is still
// refused; the read stops one byte past max whatever the size said.
func Read(path string, max int64) ([]byte, error) {
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
		return nil, &NotRegularError{Mode: st.Mode()}
	}
	if st.Size() > max {
		return nil, &TooLargeError{Size: st.Size(), Max: max}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &TooLargeError{Size: -1, Max: max}
	}
	return data, nil
}
