package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Exit codes, documented in the README (Exit codes).
const (
	// ExitOK: the command did its job; for check, the lab passed.
	ExitOK = 0
	// ExitNotPassed: the work is graded but incomplete (a required check did
	// not pass, or the score is below --min-score).
	ExitNotPassed = 1
	// ExitUsage: bad flags or bad input (an invalid lab spec, roster, file).
	ExitUsage = 2
	// ExitEnv: the environment failed (cluster unreachable, forbidden,
	// registry rate limit); the grade cannot be trusted.
	ExitEnv = 3
	// ExitInternal: a bug or an I/O failure of kubelab itself, and any
	// error no rule below recognises.
	ExitInternal = 4
)

// exitError carries the exit code a command chose, and its cause.
type exitError struct {
	code int
	err  error // nil: the command already said why
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitf ends the command with code; format may wrap a cause with %w.
func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// silentExit ends with code after the command already said why.
func silentExit(code int) error { return &exitError{code: code} }

// commandError marks an error returned by a command's own code (RunE or a
// PreRunE), as against one cobra made while parsing the command line.
type commandError struct{ err error }

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// exitCode decides the exit code from the error's type, never its text:
// a code the command chose; then the cause's type (an environment failure
// is 3, bad input 2); an error cobra made parsing flags and arguments
// (unknown command or flag, wrong number of arguments, a required flag
// missing) is usage, 2; anything else is internal, 4.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ge *snapshot.GatherError
	if errors.As(err, &ge) {
		return ExitEnv
	}
	var ie *grade.InputError
	if errors.As(err, &ie) {
		return ExitUsage
	}
	var ce *commandError
	if !errors.As(err, &ce) {
		return ExitUsage
	}
	return ExitInternal
}

// markCommandErrors wraps the run functions of cmd and every command under
// it so that what they return is told apart from cobra's own errors.
func markCommandErrors(cmd *cobra.Command) {
	wrap := func(f func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
		if f == nil {
			return nil
		}
		return func(c *cobra.Command, args []string) error {
			if err := f(c, args); err != nil {
				return &commandError{err}
			}
			return nil
		}
	}
	cmd.RunE = wrap(cmd.RunE)
	cmd.PreRunE = wrap(cmd.PreRunE)
	cmd.PersistentPreRunE = wrap(cmd.PersistentPreRunE)
	cmd.PostRunE = wrap(cmd.PostRunE)
	cmd.PersistentPostRunE = wrap(cmd.PersistentPostRunE)
	for _, c := range cmd.Commands() {
		markCommandErrors(c)
	}
}

func isExit(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code != ExitInternal
}

// exitFor maps a report to the exit code: environment errors first (the
// grade cannot be trusted), then not passed.
func exitFor(r *report.Report, minScore float64) error {
	if r.EnvErrors() > 0 {
		return silentExit(ExitEnv)
	}
	if !r.Passed || (minScore > 0 && r.Score < minScore) {
		return silentExit(ExitNotPassed)
	}
	return nil
}
