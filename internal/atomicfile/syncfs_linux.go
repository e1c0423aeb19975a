package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

const haveSyncFS = true

// SyncFS flushes the whole file system holding dir to disk (syncfs(2)):
// one call for all the files WriteUnsynced wrote there.
func SyncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
