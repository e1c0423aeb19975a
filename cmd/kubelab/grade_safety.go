package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/grade"
)

// removeStaleTemps deletes the temporary files of atomic writes that a
// killed run (SIGKILL, a power cut) left in an output directory: every
// report and class file is written to ".tmp-<name>-<random>" and renamed
// over its name, so such a file is never a result, only litter that would
// otherwise stay beside the results after --resume.
func removeStaleTemps(stderr io.Writer, out string) {
	var n int
	for _, dir := range []string{out, filepath.Join(out, grade.StudentsDir)} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasPrefix(e.Name(), ".tmp-") {
				if os.Remove(filepath.Join(dir, e.Name())) == nil {
					n++
				}
			}
		}
	}
	if n > 0 {
		fmt.Fprintf(stderr, "removed %d temporary file(s) an interrupted run left in %s\n", n, out)
	}
}

// vetStudentKubeconfigs refuses a roster whose kubeconfig column names a
// kubeconfig that would run a program or read the grader's files
// (gather.VetKubeconfig): students write those files, the lecturer's
// machine would run them. A kubeconfig that cannot be read or is not one
// is refused too: graded with it, every cluster check would be "not
// graded". Each refusal names the roster's file and line.
func vetStudentKubeconfigs(roster string, students []grade.Student) error {
	var msgs []string
	seen := map[string]bool{}
	for _, s := range students {
		if s.Kubeconfig == "" || seen[s.Kubeconfig] {
			continue
		}
		seen[s.Kubeconfig] = true
		if err := gather.VetKubeconfig(s.Kubeconfig); err != nil {
			msgs = append(msgs, fmt.Sprintf("%s:%d: student %s: %v", roster, s.Line, s.ID, err))
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%d student kubeconfig(s) refused:\n  %s", len(msgs), strings.Join(msgs, "\n  "))
	}
	return nil
}
