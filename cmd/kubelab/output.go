package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
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

// classroomOutput appends result=VALUE (report.ClassroomValue) to the file
// $GITHUB_OUTPUT names, when it is set: GitHub Actions makes it the step's
// `result` output, which a Classroom workflow passes to the autograding
// reporter as <STEP-ID>_RESULTS (docs/lms.md). The value is base64: one
// line, nothing to escape.
func classroomOutput(r *report.Report) error {
	path := os.Getenv("GITHUB_OUTPUT")
	if path == "" {
		return nil
	}
	v, err := report.ClassroomValue(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return exitf(ExitInternal, "GITHUB_OUTPUT: %v", err)
	}
	if _, err := f.WriteString("result=" + v + "\n"); err != nil {
		f.Close()
		return exitf(ExitInternal, "GITHUB_OUTPUT: %v", err)
	}
	if err := f.Close(); err != nil {
		return exitf(ExitInternal, "GITHUB_OUTPUT: %v", err)
	}
	return nil
}
