package main

import (
	"io"
	"os"
	"strings"

	"github.com/kubelab/kubelab/report"
)

// Reading what commands are given: saved reports and other files, or stdin for "-".

// readReport reads a saved JSON report from path ("-": stdin).
func readReport(stdin io.Reader, path string) (*report.Report, error) {
	data, err := readInput(stdin, path)
	if err != nil {
		return nil, err
	}
	// A report given to a command may be a student's: one with a member
	// named twice would verify over what encoding/json keeps (the last)
	// while other readers show the first. Checked here, not in report.Read,
	// which also reads kubelab's own output by the thousand.
	if err := report.NoDuplicateMembers(data); err != nil {
		return nil, exitf(ExitUsage, "%s: not a valid kubelab report: %v", path, err)
	}
	r, err := report.Read(data)
	if err != nil {
		return nil, exitf(ExitUsage, "%s: %w", path, err)
	}
	return r, nil
}

func readInput(stdin io.Reader, path string) ([]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, exitf(ExitUsage, "%w", err)
	}
	return data, nil
}

// lessonURL turns --lesson-url into a link per step: the URL with {step}
// replaced, else URL#STEP (the lesson page's anchors are the step ids).
func lessonURL(base string) func(string) string {
	if base == "" {
		return nil
	}
	return func(step string) string {
		if strings.Contains(base, "{step}") {
			return strings.ReplaceAll(base, "{step}", step)
		}
		return strings.SplitN(base, "#", 2)[0] + "#" + step
	}
}

// printable makes report text safe to print on one terminal line
// (report.CleanLine: no control characters, no bidi overrides).
func printable(s string) string { return report.CleanLine(s) }
