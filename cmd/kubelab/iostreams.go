package main

import (
	"io"

	"github.com/spf13/cobra"
)

// ioStreams is where a command reads and writes, as gh's iostreams: a
// command's run function takes it instead of reaching for os.Stdout, so a
// test captures what a user sees by giving the root command other streams
// (cmd.SetIn/SetOut/SetErr; cobra defaults them to the process's own).
type ioStreams struct {
	In         io.Reader
	Out        io.Writer
	ErrOut     io.Writer
	IsTerminal bool // Out is a terminal: colour and width may follow it
}

// streams returns the command's streams as set on it or its root.
func streams(cmd *cobra.Command) *ioStreams {
	out := cmd.OutOrStdout()
	return &ioStreams{In: cmd.InOrStdin(), Out: out, ErrOut: cmd.ErrOrStderr(), IsTerminal: isTerminal(out)}
}
