package checks

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kubelab/kubelab/internal/shellwords"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// image.entrypoint: what the image runs (Entrypoint/Cmd, a shell form, flask
// run, gunicorn), read the way the container runtime would start it.

// imgCommand is what an image's ENTRYPOINT and CMD run, as far as the judge
// understands it.
type imgCommand struct {
	// Line is the effective command line, for evidence.
	Line string
	// Server is "python", "flask" or "gunicorn" when recognised.
	Server string
	OK     bool
	// Port is the port named on the command line (flask --port, gunicorn
	// --bind), 0 when none.
	Port int
	// Why says what is wrong when not OK.
	Why L
}

func imgShowArgv(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'&;|") {
			out[i] = strconv.Quote(a)
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

var imgPythonRe = regexp.MustCompile(`^python[0-9.]*$`)

// imgAnalyzeCommand decides whether the image's command starts the app.
func imgAnalyzeCommand(c *ImageConfig) imgCommand {
	argv := snapshot.EffectiveArgv(c)
	res := imgCommand{Line: imgShowArgv(argv)}
	if len(argv) == 0 {
		res.Why = T("The image has no ENTRYPOINT or CMD, so a container of it has nothing to run.")
		return res
	}
	// Shell form: CMD python app.py is stored as /bin/sh -c "python app.py".
	if script, ok := snapshot.ShellScript(argv); ok {
		var first imgCommand
		for i, seg := range shellwords.Commands(script) {
			r := imgAnalyzeArgv(seg, c.Env)
			if r.OK {
				r.Line = res.Line
				return r
			}
			if i == 0 || (first.Server == "" && r.Server != "") {
				first = r
			}
		}
		first.Line = res.Line
		if first.Why.IsZero() {
			first.Why = imgNotAppWhy(res.Line)
		}
		return first
	}
	r := imgAnalyzeArgv(argv, c.Env)
	r.Line = res.Line
	return r
}

func imgNotAppWhy(line string) L {
	return T("The command %q does not start the Flask app (expected python app.py or an equivalent).", line)
}

// imgAnalyzeArgv judges one exec-form command.
func imgAnalyzeArgv(argv []string, env []string) imgCommand {
	line := imgShowArgv(argv)
	argv, env = snapshot.StripWrappers(argv, env)
	res := imgCommand{Line: line}
	if len(argv) == 0 {
		res.Why = imgNotAppWhy(line)
		return res
	}
	prog := path.Base(argv[0])
	switch {
	case imgPythonRe.MatchString(prog):
		res.Server = "python"
		args := argv[1:]
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-m" && i+1 < len(args):
				mod := args[i+1]
				rest := args[i+2:]
				switch mod {
				case "flask":
					return imgAnalyzeFlask(line, rest, env)
				case "gunicorn":
					return imgAnalyzeGunicorn(line, rest, env)
				}
				res.Why = T("The command %q runs the module %s, not app.py.", line, mod)
				return res
			case a == "-c":
				res.Why = T("The command %q runs inline code instead of app.py.", line)
				return res
			case strings.HasPrefix(a, "-"):
				// -u, -B, -O ... interpreter flags.
				continue
			}
			if path.Base(a) == "app.py" {
				res.OK = true
				return res
			}
			res.Why = T("The command %q runs %s, not app.py.", line, a)
			return res
		}
		res.Why = T("The command %q starts a bare Python interpreter without app.py, so the container exits at once. Give the script: CMD [\"app.py\"] after ENTRYPOINT [\"python\"], or CMD [\"python\", \"app.py\"].", line)
		return res
	case prog == "flask":
		return imgAnalyzeFlask(line, argv[1:], env)
	case prog == "gunicorn":
		return imgAnalyzeGunicorn(line, argv[1:], env)
	}
	res.Why = imgNotAppWhy(line)
	return res
}

func imgEnvValue(env []string, key string) (string, bool) {
	v, ok := "", false
	for _, e := range env {
		if k, val, found := strings.Cut(e, "="); found && k == key {
			v, ok = val, true // the last one wins, as in a shell
		}
	}
	return v, ok
}

// imgOption reads "--name=value", "--name value" or "-x value" from args.
func imgOption(args []string, names ...string) (string, bool) {
	val, ok := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		for _, n := range names {
			switch {
			case a == n && i+1 < len(args):
				val, ok = args[i+1], true
			case strings.HasPrefix(n, "--") && strings.HasPrefix(a, n+"="):
				val, ok = strings.TrimPrefix(a, n+"="), true
			case !strings.HasPrefix(n, "--") && len(n) == 2 && strings.HasPrefix(a, n) && len(a) > 2 && a[2] != '-':
				val, ok = a[2:], true
			}
		}
	}
	return val, ok
}

func imgAnyHost(h string) bool {
	switch strings.Trim(h, "[]") {
	case "", "0.0.0.0", "::", "*":
		return true
	}
	return false
}

// imgAnalyzeFlask judges "flask [--app X] run [--host H] [--port P]".
func imgAnalyzeFlask(line string, args, env []string) imgCommand {
	res := imgCommand{Line: line, Server: "flask"}
	run := slices.Index(args, "run")
	if run < 0 {
		res.Why = T("The command %q does not run the app: use flask run --host=0.0.0.0 --port=5000, or python app.py.", line)
		return res
	}
	opts := args[run+1:]
	host, hok := imgOption(opts, "--host", "-h")
	if !hok {
		host, hok = imgEnvValue(env, "FLASK_RUN_HOST")
	}
	port := 5000
	if p, ok := imgOption(opts, "--port", "-p"); ok {
		port, _ = strconv.Atoi(p)
	} else if p, ok := imgEnvValue(env, "FLASK_RUN_PORT"); ok {
		port, _ = strconv.Atoi(p)
	}
	res.Port = port
	if !hok || !imgAnyHost(host) || host == "" {
		res.Why = T("The command %q makes Flask listen only on 127.0.0.1 inside the container, where nothing outside can reach it; add --host=0.0.0.0.", line)
		return res
	}
	res.OK = true
	return res
}

var imgAppModuleRe = regexp.MustCompile(`^app:[A-Za-z_][A-Za-z0-9_]*(\(.*\))?$`)

// imgAnalyzeGunicorn judges "gunicorn [-b HOST:PORT] app:app".
func imgAnalyzeGunicorn(line string, args, env []string) imgCommand {
	res := imgCommand{Line: line, Server: "gunicorn"}
	if extra, ok := imgEnvValue(env, "GUNICORN_CMD_ARGS"); ok {
		args = append(strings.Fields(extra), args...)
	}
	bind, bok := imgOption(args, "--bind", "-b")
	if !bok {
		if p, ok := imgEnvValue(env, "PORT"); ok {
			bind, bok = "0.0.0.0:"+p, true
		}
	}
	module := slices.ContainsFunc(args, imgAppModuleRe.MatchString)
	if !module {
		res.Why = T("The command %q does not load the Flask app from app.py; name it as app:app (module app, variable app).", line)
		return res
	}
	if !bok {
		res.Port = 8000
		res.Why = T("The command %q makes gunicorn listen on its default 127.0.0.1:8000, unreachable from outside the container; add --bind 0.0.0.0:5000.", line)
		return res
	}
	host, portStr := bind, ""
	if i := strings.LastIndex(bind, ":"); i >= 0 {
		host, portStr = bind[:i], bind[i+1:]
	}
	res.Port, _ = strconv.Atoi(portStr)
	if strings.HasPrefix(bind, "unix:") || !imgAnyHost(host) {
		res.Why = T("The command %q binds gunicorn to %s, unreachable from outside the container; bind 0.0.0.0:5000.", line, bind)
		return res
	}
	res.OK = true
	return res
}

func judgeImageEntrypoint(s *Snapshot, _ Params) Judgement {
	im, j := imageState(s, true)
	if j != nil {
		return *j
	}
	c := im.Config
	cmd := imgAnalyzeCommand(c)
	ev := []report.Fact{
		fact("command", cmd.Line),
		fact("entrypoint", imgShowJSON(c.Entrypoint)),
		fact("cmd", imgShowJSON(c.Cmd)),
	}
	if cmd.OK {
		return pass(T("The container starts the app with: %s.", cmd.Line), ev...)
	}
	return fail(cmd.Why,
		T("End the Dockerfile with `CMD [\"python\", \"app.py\"]` (or `ENTRYPOINT [\"python\"]` and `CMD [\"app.py\"]`), then build and push again."),
		ev...)
}

func imgShowJSON(v []string) string {
	if len(v) == 0 {
		return "(none)"
	}
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// image.workdir
