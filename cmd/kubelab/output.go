package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/labs"
)

// Where commands write: --output-file or stdout, and what the terminal allows.

// openOutput returns stdout, or a file that is written in full or not at
// all (a temp file renamed on success, so a failure loses no earlier file).
func openOutput(stdout io.Writer, path string) (io.Writer, func(ok bool) error, error) {
	if path == "" {
		return stdout, func(bool) error { return nil }, nil
	}
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, nil, exitf(ExitInternal, "--output-file: %w", err)
	}
	return f, func(ok bool) error {
		if !ok {
			f.Abort()
			return nil
		}
		return f.Commit()
	}, nil
}

// isTerminal says whether w may get colour: a terminal, and NO_COLOR unset.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return labs.UseColor(ok && term.IsTerminal(int(f.Fd())), os.Getenv("NO_COLOR"))
}

func termWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd > 0 {
			return wd
		}
	}
	return 80
}
