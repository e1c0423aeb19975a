package grade

import "fmt"

// InputError is a problem with what the user gave kubelab to read: a
// results.json or shard directory that is missing, unfinished or not
// kubelab's. Commands exit 2 (bad input) for it; a failure to write the
// output is never one.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// badInput makes an InputError; format may wrap its cause with %w.
func badInput(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}
