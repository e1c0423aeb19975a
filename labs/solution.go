package labs

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubelab/kubelab/internal/shellwords"
)

// Solution is what a student does to complete a step, as `kubelab lab
// selftest` plays it on the simulated cluster: kubectl command lines, files
// written in the student's working directory first (e.g. an edited
// manifest), the image the step pushes, and whether the app answers.
type Solution struct {
	// Commands are kubectl command lines, run in order in the student's
	// namespace. They are split into arguments like a shell would (quotes and
	// backslashes), but no shell runs: no pipes, redirections or globs.
	// Variables ($IMAGE, $NAMESPACE, $REPO, $TAG) are replaced.
	Commands []string
	// Files are written, variables replaced, in the working directory the
	// commands run in (relative path -> content), before the commands.
	Files map[string]string
	// Image is the image the step builds and pushes, if any.
	Image *SolutionImage
	// ServeApp means the app answers from this step on: the self-test stands
	// in for it on the service's node port (the simulated node runs no
	// containers).
	ServeApp bool

	line int
}

// SolutionImage describes the image a step pushes: its files and config, as
// a Dockerfile would make them. The self-test builds it and pushes it to its
// test registry as $REPO:Tag.
type SolutionImage struct {
	// Tag pushed; default $TAG (the tag of the image the student hands in).
	Tag string
	// Files maps an absolute path in the image to its content.
	Files      map[string]string
	Entrypoint []string
	Cmd        []string
	Workdir    string
	// Expose lists ports as "5000/tcp" (a bare "5000" means tcp).
	Expose []string
	Env    []string
	// Platform is os/arch[/variant]; default linux/amd64.
	Platform string
}

// Variables a solution may use, with what each stands for.
var Variables = map[string]string{
	"IMAGE":     "the image the student hands in ($REPO:$TAG)",
	"REPO":      "the image's repository, without a tag",
	"TAG":       "the tag of the image the student hands in (the first tag a solution pushes; latest when none says)",
	"NAMESPACE": "the student's namespace (commands already run in it)",
}

// VariableNames returns the variable names, sorted.
func VariableNames() []string {
	return sortedKeys(Variables)
}

// placeholders stand in for the variables when a solution is validated.
func placeholders() map[string]string {
	return map[string]string{"IMAGE": "registry.test/student/app:v1", "REPO": "registry.test/student/app", "TAG": "v1", "NAMESPACE": "student"}
}

// ShellSyntaxError reports shell syntax in a solution command line.
type ShellSyntaxError struct{ Msg string }

func (e *ShellSyntaxError) Error() string { return e.Msg }

// SplitCommand splits a command line into arguments the way a POSIX shell
// would for a simple command (internal/shellwords), replacing $NAME and
// ${NAME} from vars (not inside single quotes; $$ is a literal $). It never
// runs a shell: pipes, redirections, command lists, command substitution and
// comments are refused, since they would mean something else without one.
func SplitCommand(line string, vars map[string]string) ([]string, error) {
	if strings.ContainsRune(line, '\r') {
		return nil, &ShellSyntaxError{oneLine}
	}
	args, err := shellwords.Split(line, shellwords.Options{Lookup: lookup(vars)})
	var e *shellwords.Error
	if err == nil || !errors.As(err, &e) {
		return args, err
	}
	switch e.Kind {
	case shellwords.ErrOperator:
		if e.Text == "\n" {
			return nil, &ShellSyntaxError{oneLine}
		}
		return nil, &ShellSyntaxError{fmt.Sprintf("%q is shell syntax; a solution runs kubectl directly, without a shell (one command per line; put manifests in files:)", e.Text[:1])}
	case shellwords.ErrComment:
		return nil, &ShellSyntaxError{"comments (#) are not supported in a command; quote the # if it is part of an argument"}
	case shellwords.ErrSingleQuote:
		return nil, &ShellSyntaxError{"unterminated single quote"}
	case shellwords.ErrDoubleQuote:
		return nil, &ShellSyntaxError{"unterminated double quote"}
	case shellwords.ErrSubstitution:
		return nil, &ShellSyntaxError{fmt.Sprintf("command substitution (%s) is shell syntax that needs a shell; a solution runs kubectl directly", e.Text)}
	}
	return nil, varError(e)
}

const oneLine = "a command must be on one line (write each command as its own list item)"

// lookup gives shellwords the solution's variables; an unknown one is an
// error that names the known ones.
func lookup(vars map[string]string) func(string) (string, error) {
	return func(name string) (string, error) {
		if v, ok := vars[name]; ok {
			return v, nil
		}
		return "", &ShellSyntaxError{fmt.Sprintf("unknown variable $%s (known: $%s)", name, strings.Join(VariableNames(), ", $"))}
	}
}

// varError turns what is left of shellwords' errors (an unknown variable,
// an unclosed ${) into the solution's wording.
func varError(e *shellwords.Error) error {
	if e.Kind == shellwords.ErrBrace {
		return &ShellSyntaxError{"unterminated ${...}"}
	}
	var se *ShellSyntaxError
	if errors.As(e, &se) {
		return se
	}
	return &ShellSyntaxError{e.Error()}
}

// ExpandVars replaces $NAME and ${NAME} in s from vars ($$ is a literal $),
// as in a solution's files; $( and a lone $ stay as written.
func ExpandVars(s string, vars map[string]string) (string, error) {
	out, err := shellwords.Expand(s, lookup(vars))
	var e *shellwords.Error
	if errors.As(err, &e) {
		return "", varError(e)
	}
	return out, err
}

// Flags a solution may not pass: they would point kubectl at another
// cluster than the simulated one, or wait for input that never comes.
var (
	forbiddenFlags = map[string]string{
		"--kubeconfig": "another cluster", "--context": "another cluster", "--cluster": "another cluster",
		"--server": "another cluster", "-s": "another cluster", "--user": "another user", "--token": "other credentials",
		"--as": "another user", "--certificate-authority": "other credentials", "--client-certificate": "other credentials",
		"--client-key": "other credentials", "--insecure-skip-tls-verify": "another cluster",
		"-i": "input", "--stdin": "input", "-t": "a terminal", "--tty": "a terminal", "-it": "a terminal", "-ti": "a terminal",
		"-w": "waiting forever", "--watch": "waiting forever", "--watch-only": "waiting forever", "--follow": "waiting forever",
	}
	forbiddenCommands = map[string]string{
		"edit": "opens an editor", "exec": "runs in a container", "attach": "attaches to a container",
		"port-forward": "runs until stopped", "proxy": "runs until stopped", "cp": "copies from a container",
		"debug": "opens a debugging session", "plugin": "runs plugins", "completion": "prints shell code",
	}
)

// CheckCommand validates one solution command line: it must split, use only
// known variables, run kubectl, and not point it elsewhere or wait for input.
func CheckCommand(line string) error {
	args, err := SplitCommand(line, placeholders())
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("empty command")
	}
	if args[0] != "kubectl" {
		return fmt.Errorf("program %q is not allowed: a solution runs only kubectl (no shell, no other programs); describe images with image: and files with files:", args[0])
	}
	sub := ""
	skipValue := false
	for i, a := range args[1:] {
		if skipValue {
			skipValue = false
			continue
		}
		name := a
		if strings.HasPrefix(a, "--") {
			if eq := strings.IndexByte(a, '='); eq > 0 {
				name = a[:eq]
			}
		}
		if why, bad := forbiddenFlags[name]; bad {
			return fmt.Errorf("flag %s is not allowed in a solution (it would mean %s); commands run against the student's cluster and namespace", name, why)
		}
		if (a == "-f" || a == "--filename") && i+2 < len(args) && args[i+2] == "-" || a == "--filename=-" || a == "-f-" {
			return fmt.Errorf("reading a manifest from standard input (-f -) is not possible: write it under files: and use -f FILE")
		}
		// Global flags that take a separate value come before the command.
		if sub == "" && (a == "-n" || a == "--namespace" || a == "-v" || a == "--v" || a == "--request-timeout") {
			skipValue = true
			continue
		}
		if sub == "" && !strings.HasPrefix(a, "-") {
			sub = a
		}
	}
	if why, bad := forbiddenCommands[sub]; bad {
		return fmt.Errorf("kubectl %s is not allowed in a solution: it %s; a solution's commands must finish on their own", sub, why)
	}
	if sub == "logs" {
		for _, a := range args {
			if a == "-f" {
				return fmt.Errorf("kubectl logs -f waits forever; leave out -f")
			}
		}
	}
	return nil
}

var (
	tagRe      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	exposeRe   = regexp.MustCompile(`^[0-9]{1,5}(/(tcp|udp|sctp))?$`)
	platformRe = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)
)

// solution validates a step's solution block.
func (v *validator) solution(n *yaml.Node, f string) *Solution {
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f, "must be a mapping with commands, files, image and/or serve_app")
		return nil
	}
	v.fields(n, f, []string{"commands", "files", "image", "serve_app"})
	sol := &Solution{line: n.Line}
	if cn := get(n, "commands"); cn != nil {
		if cn.Kind != yaml.SequenceNode {
			v.add(cn.Line, f+".commands", "must be a list of kubectl command lines")
		} else {
			for i, c := range cn.Content {
				cf := fmt.Sprintf("%s.commands[%d]", f, i)
				if c.Kind == yaml.MappingNode {
					v.add(c.Line, cf, "reads as a YAML mapping because of a \": \" inside; put the whole command line in quotes")
					continue
				}
				if c.Kind != yaml.ScalarNode || strings.TrimSpace(c.Value) == "" {
					v.add(c.Line, cf, "must be a non-empty command line, e.g. kubectl create deployment hello-flask --image=$IMAGE")
					continue
				}
				if err := CheckCommand(c.Value); err != nil {
					v.add(c.Line, cf, err.Error())
					continue
				}
				sol.Commands = append(sol.Commands, c.Value)
			}
		}
	}
	if fn := get(n, "files"); fn != nil {
		sol.Files = v.fileMap(fn, f+".files", false)
	}
	if in := get(n, "image"); in != nil {
		sol.Image = v.solutionImage(in, f+".image")
	}
	if sn := get(n, "serve_app"); sn != nil {
		if err := sn.Decode(&sol.ServeApp); err != nil || sn.Kind != yaml.ScalarNode {
			v.add(sn.Line, f+".serve_app", "must be true or false")
		}
	}
	if get(n, "commands") == nil && get(n, "image") == nil && get(n, "serve_app") == nil {
		v.add(n.Line, f, "a solution needs commands, an image or serve_app")
	}
	if len(sol.Files) > 0 && get(n, "commands") == nil {
		v.add(keyLine(n, "files"), f+".files", "files are only useful to commands (e.g. kubectl apply -f FILE); add the commands that use them")
	}
	return sol
}

// fileMap reads a mapping of paths to contents. abs says whether paths are
// absolute (in an image) or relative (in the working directory).
func (v *validator) fileMap(n *yaml.Node, f string, abs bool) map[string]string {
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f, "must map each path to its content")
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := k.Value
		ff := f + "." + p
		switch {
		case abs && !path.IsAbs(p):
			v.add(k.Line, ff, fmt.Sprintf("%q must be an absolute path in the image, e.g. /app/app.py", p))
			continue
		case !abs && (p == "" || path.IsAbs(p) || strings.Contains(p, "..")):
			v.add(k.Line, ff, fmt.Sprintf("%q must be a relative path inside the working directory", p))
			continue
		case val.Kind != yaml.ScalarNode:
			v.add(val.Line, ff, "the content must be a string (use a | block for several lines)")
			continue
		}
		if _, err := ExpandVars(val.Value, placeholders()); err != nil && !abs {
			v.add(val.Line, ff, err.Error())
			continue
		}
		out[path.Clean(p)] = val.Value
	}
	return out
}

func (v *validator) solutionImage(n *yaml.Node, f string) *SolutionImage {
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f, "must be a mapping: files, entrypoint, cmd, workdir, expose, env, tag, platform")
		return nil
	}
	v.fields(n, f, []string{"tag", "files", "entrypoint", "cmd", "workdir", "expose", "env", "platform"})
	im := &SolutionImage{}
	if t := get(n, "tag"); t != nil {
		if t.Kind != yaml.ScalarNode || !tagRe.MatchString(t.Value) {
			v.add(t.Line, f+".tag", fmt.Sprintf("%q is not a valid image tag", t.Value))
		} else {
			im.Tag = t.Value
		}
	}
	if fn := get(n, "files"); fn != nil {
		im.Files = v.fileMap(fn, f+".files", true)
	}
	im.Entrypoint = v.strList(n, f, "entrypoint")
	im.Cmd = v.strList(n, f, "cmd")
	im.Env = v.strList(n, f, "env")
	if wd := get(n, "workdir"); wd != nil {
		if wd.Kind != yaml.ScalarNode || !path.IsAbs(wd.Value) {
			v.add(wd.Line, f+".workdir", fmt.Sprintf("%q must be an absolute path, e.g. /app", wd.Value))
		} else {
			im.Workdir = wd.Value
		}
	}
	if en := get(n, "expose"); en != nil {
		for i, e := range v.strList(n, f, "expose") {
			if !exposeRe.MatchString(e) {
				v.add(en.Line, fmt.Sprintf("%s.expose[%d]", f, i), fmt.Sprintf("%q must be a port like 5000 or 5000/tcp", e))
				continue
			}
			if !strings.Contains(e, "/") {
				e += "/tcp"
			}
			im.Expose = append(im.Expose, e)
		}
	}
	im.Platform = "linux/amd64"
	if pn := get(n, "platform"); pn != nil {
		if pn.Kind != yaml.ScalarNode || !platformRe.MatchString(pn.Value) {
			v.add(pn.Line, f+".platform", fmt.Sprintf("%q must be os/arch[/variant], e.g. linux/amd64", pn.Value))
		} else {
			im.Platform = pn.Value
		}
	}
	if len(im.Files) == 0 && get(n, "files") == nil {
		v.add(n.Line, f+".files", "required: the files the image holds, e.g. {/app/app.py: ...}")
	}
	return im
}

// HasSolution reports whether any step of the lab has a solution.
func (l *Lab) HasSolution() bool {
	for _, s := range l.Steps {
		if s.Solution != nil {
			return true
		}
	}
	return false
}

// SortedFiles returns the paths of files, sorted.
func SortedFiles(files map[string]string) []string {
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
