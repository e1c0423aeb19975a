// Package atomicfile writes files in full or not at all. A reader (a
// browser opening a student's report, the LMS importing grades.csv, a second
// kubelab run reading the image cache) sees either the old file or the new
// one, never half of one: the data goes to a temporary file in the same
// directory, which is given its mode before any byte is written, synced, and
// renamed over the target. On any failure the temporary file is removed and
// the old file is left as it was.
//
// Syncing every file costs most of a millisecond each; a batch of ten
// thousand small files uses WriteUnsynced (readers still never see half a
// file) and one SyncFS before the files that point at them are written.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a file being written; nothing is visible at its path until
// Commit.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path with mode perm (umask does not apply).
func Create(path string, perm fs.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the data and puts the file at its path, replacing what was
// there. After a failed Commit the path is unchanged.
func (f *File) Commit() error { return f.commit(true) }

func (f *File) commit(sync bool) error {
	if f.done {
		return errors.New("atomicfile: " + f.path + " already committed or aborted")
	}
	f.done = true
	var err error
	if sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Abort drops what was written; the path is unchanged. It is safe to call
// after Commit (it does nothing then), so it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write writes path with mode perm from what write writes.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeFile(path, perm, write, true)
}

// WriteUnsynced is Write without the sync: a reader still sees the old
// file or the new one, but after a crash the new one may be empty until
// SyncFS has run on its file system.
func WriteUnsynced(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeFile(path, perm, write, !haveSyncFS)
}

func writeFile(path string, perm fs.FileMode, write func(io.Writer) error, sync bool) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.commit(sync)
}

// WriteFile is os.WriteFile, in full or not at all.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
