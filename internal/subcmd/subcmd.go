// Package subcmd is what kubelab's two by-hand programs, kubelab-sim and
// kubelab-real, share: the dispatch of `PROGRAM SUBCOMMAND [flags]` and the
// state file a detached environment leaves in its working directory for
// the later `down` (or `play`) to find. Each program is left with its own
// usage text and subcommands.
package subcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Commands maps a subcommand's name to the function that runs it with the
// arguments after the name.
type Commands map[string]func(args []string) error

// Main runs the subcommand os.Args names and exits with Run's code.
func Main(program string, usage func(io.Writer), cmds Commands) {
	os.Exit(Run(program, os.Args[1:], os.Stderr, usage, cmds))
}

// Exit codes of Run.
const (
	ExitOK     = 0
	ExitFailed = 1 // the subcommand returned an error
	ExitUsage  = 2 // no subcommand, or one that does not exist
)

// Run runs the subcommand args[0] names with the rest of args. -h, --help
// and help print the usage (code 0); no subcommand or an unknown one
// prints it too, with code 2; a subcommand's error is printed after the
// program's name, with code 1.
func Run(program string, args []string, stderr io.Writer, usage func(io.Writer), cmds Commands) int {
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stderr)
		return ExitOK
	}
	run, ok := cmds[args[0]]
	if !ok {
		usage(stderr)
		return ExitUsage
	}
	if err := run(args[1:]); err != nil {
		fmt.Fprintln(stderr, program+":", err)
		return ExitFailed
	}
	return ExitOK
}

// StatePath is the state file of the environment working in dir.
func StatePath(dir string) string { return filepath.Join(dir, "state.json") }

// SaveState writes v as the state file of dir, indented JSON.
func SaveState(dir string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(StatePath(dir), b, 0o644)
}

// LoadState reads the state file of dir into v. A file that cannot be read
// is a *fs.PathError (fs.ErrNotExist when no environment runs in dir); one
// that is not the JSON of v, a json error.
func LoadState(dir string, v any) error {
	b, err := os.ReadFile(StatePath(dir))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Running reports whether dir has a state file: an environment was left
// running there.
func Running(dir string) bool {
	_, err := os.Stat(StatePath(dir))
	return err == nil
}
