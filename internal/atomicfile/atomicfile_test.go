package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplacesWithMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "grades.csv")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("got %q mode %v, want \"new\" 0600", b, st.Mode().Perm())
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.html")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("render failed")
	err := Write(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "old" {
		t.Errorf("old file changed to %q", b)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("temporary file left behind: %v", names)
	}
}

func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "{}")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("visible before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing happens
	if b, _ := os.ReadFile(p); string(b) != "{}" {
		t.Errorf("got %q", b)
	}
	if err := f.Commit(); err == nil {
		t.Error("second Commit accepted")
	}

	g, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(g, "lost")
	g.Abort()
	if b, _ := os.ReadFile(p); string(b) != "{}" {
		t.Errorf("Abort replaced the file: %q", b)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestMissingDirectory(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "f"), nil, 0o644); err == nil {
		t.Error("no error for a missing directory")
	}
}

// WriteUnsynced keeps Write's promises but the sync: the file appears whole
// with its mode, a failed write leaves the old file and no temporary one,
// and SyncFS flushes the directory's file system (or says which one it
// could not open).
func TestWriteUnsyncedAndSyncFS(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s1.json")
	if err := WriteUnsynced(p, 0o640, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("render failed")
	if err := WriteUnsynced(p, 0o644, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "one" || st.Mode().Perm() != 0o640 {
		t.Errorf("got %q mode %v, want \"one\" 0640", b, st.Mode().Perm())
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
	if err := SyncFS(dir); err != nil {
		t.Errorf("SyncFS(%s): %v", dir, err)
	}
	missing := filepath.Join(dir, "gone")
	if err := SyncFS(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("SyncFS of a missing directory: %v, want an error naming it", err)
	}
}
