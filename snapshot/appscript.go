package snapshot

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/kubelab/kubelab/internal/shellwords"
)

// Where the app sits. A student may keep app.py in a subfolder (CMD python
// src/app.py, or WORKDIR /app/src): the app is the file the image's command
// starts, wherever it is. Gathering reads that file (and a requirements.txt
// beside it or above it) and the checks judge it; both ask AppScripts.

// EffectiveArgv is what a container of the image runs: Entrypoint then Cmd,
// or Cmd alone.
func EffectiveArgv(c *ImageConfig) []string {
	if len(c.Entrypoint) > 0 {
		return append(slices.Clone(c.Entrypoint), c.Cmd...)
	}
	return slices.Clone(c.Cmd)
}

var (
	envAssignRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	pythonRe    = regexp.MustCompile(`^python[0-9.]*$`)
)

// IsShell says whether p names a POSIX shell.
func IsShell(p string) bool {
	switch path.Base(p) {
	case "sh", "bash", "dash", "ash", "zsh":
		return true
	}
	return false
}

// ShellScript returns the script of a shell-form command (CMD python app.py
// is stored as /bin/sh -c "python app.py").
func ShellScript(argv []string) (string, bool) {
	if len(argv) >= 3 && IsShell(argv[0]) && strings.HasPrefix(argv[1], "-") && strings.HasSuffix(argv[1], "c") {
		return argv[2], true
	}
	return "", false
}

// StripWrappers removes what runs the real command (exec, env, tini,
// dumb-init and their flags, VAR=value prefixes) and returns the command
// with the environment those prefixes add to env.
func StripWrappers(argv, env []string) ([]string, []string) {
	env = slices.Clone(env)
	for len(argv) > 0 {
		switch b := path.Base(argv[0]); {
		case b == "exec" || b == "tini" || b == "dumb-init" || strings.HasPrefix(argv[0], "-"):
			argv = argv[1:]
		case b == "env" || envAssignRe.MatchString(argv[0]):
			if b == "env" {
				argv = argv[1:]
			}
			for len(argv) > 0 && envAssignRe.MatchString(argv[0]) {
				env = append(env, argv[0])
				argv = argv[1:]
			}
		default:
			return argv, env
		}
	}
	return argv, env
}

// PythonScript returns the script argument of a python command line
// (python -u src/app.py gives src/app.py), "" for python -m, -c or none.
func PythonScript(argv []string) string {
	argv, _ = StripWrappers(argv, nil)
	if len(argv) == 0 || !pythonRe.MatchString(path.Base(argv[0])) {
		return ""
	}
	for _, a := range argv[1:] {
		switch {
		case a == "-m" || a == "-c":
			return ""
		case strings.HasPrefix(a, "-"):
			continue
		}
		return a
	}
	return ""
}

// AppScripts returns the Python scripts the image's command starts, as
// absolute paths (a relative one is resolved against the WORKDIR, as the
// runtime does): one for an exec-form command, one per command of a shell
// script.
func AppScripts(c *ImageConfig) []string {
	if c == nil {
		return nil
	}
	argv := EffectiveArgv(c)
	cmds := [][]string{argv}
	if script, ok := ShellScript(argv); ok {
		cmds = shellwords.Commands(script)
	}
	var out []string
	for _, cmd := range cmds {
		s := PythonScript(cmd)
		if s == "" {
			continue
		}
		if !path.IsAbs(s) {
			s = path.Join(CleanDir(c.WorkingDir), s)
		}
		if s = path.Clean(s); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// RequirementsNear returns where a requirements.txt for the script may
// sit, nearest first: the script's folder and each folder above it (pip
// install -r ran in one of them; the root is left out).
func RequirementsNear(script string) []string {
	var out []string
	for d := path.Dir(script); d != "/" && d != "."; d = path.Dir(d) {
		out = append(out, path.Join(d, "requirements.txt"))
	}
	return out
}
