package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(small, 5); err != nil || string(b) != "hello" {
		t.Fatalf("Read(5 bytes, max 5) = %q, %v", b, err)
	}
	var big *TooLargeError
	if _, err := Read(small, 4); !errors.As(err, &big) || big.Size != 5 || big.Max != 4 {
		t.Fatalf("Read(5 bytes, max 4) = %v, want TooLargeError{5, 4}", err)
	}
	var notReg *NotRegularError
	if _, err := Read(dir, 100); !errors.As(err, &notReg) || !notReg.Mode.IsDir() {
		t.Fatalf("Read(directory) = %v, want NotRegularError", err)
	}
	if _, err := Read(filepath.Join(dir, "missing"), 100); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read(missing) = %v, want ErrNotExist", err)
	}
}
