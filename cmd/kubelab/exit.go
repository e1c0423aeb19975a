package main

import "fmt"

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
	// ExitInternal: a bug or an I/O failure of kubelab itself.
	ExitInternal = 4
)

type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// silentExit ends with code after the command already said why.
func silentExit(code int) error { return &exitError{code: code} }
