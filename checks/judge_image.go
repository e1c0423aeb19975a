package checks

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/internal/pysource"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Image checks: pure functions of s.Image.

func init() {
	wd := Param{Name: "workdir", Default: "/app", Doc: "the working directory the image must use; the app's files are looked for in it"}
	register(&Check{ID: "image.pushed", Doc: "the repository:tag exists on the registry (HEAD; digest as evidence)",
		Sources: []Source{SrcImage}, Judge: judgeImagePushed,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Error}})
	register(&Check{ID: "image.platform", Doc: "the image holds a build for the architecture of the cluster's Ready nodes (and the lab's platform, if set)",
		Sources: []Source{SrcImage, SrcCluster}, Judge: judgeImagePlatform,
		Params:   []Param{{Name: "platform", Default: "", Doc: "a platform the image must hold besides its cluster's nodes' (os/arch[/variant], e.g. linux/amd64 for the lecturer's cluster); empty: the nodes decide"}},
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Error}})
	register(&Check{ID: "image.entrypoint", Doc: "Entrypoint/Cmd start the Flask app (python app.py or equivalent)",
		Sources: []Source{SrcImage}, Judge: judgeImageEntrypoint,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Error}})
	register(&Check{ID: "image.workdir", Doc: "the image's working directory is /app",
		Sources: []Source{SrcImage}, Judge: judgeImageWorkdir, Params: []Param{wd}, Gathers: gatherLessonFiles,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Error}})
	register(&Check{ID: "image.files", Doc: "/app/app.py and /app/requirements.txt are in the image; requirements name Flask",
		Sources: []Source{SrcImage}, Judge: judgeImageFiles, Params: []Param{wd}, Gathers: gatherLessonFiles,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Error}})
	register(&Check{ID: "image.port", Doc: "the app is set to serve on port 5000 (EXPOSE or the app's own code)",
		Sources: []Source{SrcImage}, Judge: judgeImagePort,
		Params:   []Param{{Name: "port", Default: 5000, Doc: "the port the app must serve on"}, wd},
		Gathers:  gatherLessonFiles,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Error}})
}

// gatherLessonFiles asks gathering for the lesson's files under the workdir
// parameter's directory.
func gatherLessonFiles(p Params, plan *Plan) {
	for _, f := range snapshot.LessonFiles(p.String("workdir", "/app")) {
		if !slices.Contains(plan.ImageFiles, f) {
			plan.ImageFiles = append(plan.ImageFiles, f)
		}
	}
}

// imageState returns the image info, or the judgement every image check gives
// when there is nothing to judge: not gathered, environment error, invalid
// reference, tag not found, private repository.
func imageState(s *Snapshot, needConfig bool) (*ImageInfo, *Judgement) {
	j := func(x Judgement) (*ImageInfo, *Judgement) { return nil, &x }
	im := s.Image
	if im == nil {
		return j(Judgement{Status: report.Error, Message: T(
			"Internal error: image metadata was not gathered.")})
	}
	if im.Err != nil {
		return j(imageEnvError(im.Err))
	}
	if im.Invalid != "" {
		return j(fail(
			T("The image reference is not valid: %s.", im.Invalid),
			T("`docker tag IMAGE user/repository:tag` and `docker push user/repository:tag`, all lowercase (e.g. budi/flask-app:v1), then hand in that name."),
			fact("image", im.Ref)))
	}
	ev := fact("image", imgShownName(im))
	if im.NotFound {
		return j(fail(
			T("%s: repository:tag not found on the registry.", imgShownName(im)),
			T("`docker push %s`, then check that the repository and tag you handed in are exactly the ones you pushed.", imgShownRef(im)),
			ev))
	}
	if im.Private {
		return j(fail(
			T("%s is private or needs login: the registry would not show it without credentials.", imgShownName(im)),
			T("`docker push %s` (check the name), then make the Docker Hub repository public (Docker Hub → your repository → Settings → Change visibility → Public), so the cluster can pull it without a login. Docker Hub answers the same for a repository that does not exist.", imgShownRef(im)),
			ev))
	}
	if needConfig && im.Config == nil {
		if len(im.Platforms) == 0 && im.IsIndex {
			return j(fail(
				T("%s is an index with no container image in it.", imgShownName(im)),
				T("Rebuild and push the image with docker build / docker buildx build --push."),
				ev, fact("media type", im.MediaType)))
		}
		return j(Judgement{Status: report.Error, Message: T(
			"Internal error: the image config of %s was not read.", imgShownName(im))})
	}
	return im, nil
}

// imageEnvError is envError with hints that fit a registry.
func imageEnvError(e *GatherError) Judgement {
	j := envError(e)
	switch e.Kind {
	case ErrUnreachable:
		j.Hint = T("Run `docker pull %s` on the grading machine to test the way to the registry (network, proxy, DNS or TLS), then `kubelab check` again.", whatImage(e.What))
	case ErrConfig:
		j.Hint = T("Run `docker login` to rewrite the grader's Docker config (~/.docker/config.json, DOCKER_CONFIG), or remove it.")
	case ErrOther:
		j.Hint = T("Run `kubelab check` again later: the registry failed to answer. This is not your mistake.")
	}
	return j
}

func imgShownName(im *ImageInfo) string {
	if im.Name != "" {
		return im.Name
	}
	return im.Ref
}

// imgShownRef is the reference as the student would type it.
func imgShownRef(im *ImageInfo) string {
	if r := strings.TrimSpace(im.Ref); r != "" {
		return r
	}
	return imgShownName(im)
}

// image.pushed

func judgeImagePushed(s *Snapshot, _ Params) Judgement {
	im, j := imageState(s, false)
	if j != nil {
		return *j
	}
	ev := []report.Fact{fact("image", imgShownName(im)), fact("digest", im.Digest), fact("media type", im.MediaType)}
	msg := T("%s is on the registry (digest %s).", imgShownName(im), imgShortDigest(im.Digest))
	if t := s.Target; t != nil && t.ImageFrom != "" {
		// Say which tag was judged, and why not latest.
		tag := imgTagOf(imgShownName(im))
		ev = append(ev, fact("tag judged", fmt.Sprintf("%s (run by deployment %s)", tag, t.ImageFrom)))
		why := T("You handed in the repository without a tag, so the tag your deployment %s runs (%s) was judged, not latest.",
			t.ImageFrom, tag)
		msg = i18n.Concat(msg, i18n.Raw(" "), why)
	}
	return pass(msg, ev...)
}

// imgTagOf returns the tag of a normalised reference ("" for a digest).
func imgTagOf(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") && !strings.Contains(ref, "@") {
		return ref[i+1:]
	}
	return ""
}

func imgShortDigest(d string) string {
	if i := strings.Index(d, ":"); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// image.platform: see judge_platform.go.

// imgPlatformMatches: "linux/amd64" matches any amd64 variant; a wanted
// variant must match, with arm64's default v8 implied.
func imgPlatformMatches(have, want string) bool {
	have = strings.ToLower(have)
	if have == want || strings.HasPrefix(have, want+"/") {
		return true
	}
	return (have == "linux/arm64" && want == "linux/arm64/v8") || (have == "linux/arm64/v8" && want == "linux/arm64")
}

// image.entrypoint

func judgeImageWorkdir(s *Snapshot, p Params) Judgement {
	im, j := imageState(s, true)
	if j != nil {
		return *j
	}
	want := imgCleanDir(p.String("workdir", "/app"))
	got := im.Config.WorkingDir
	ev := []report.Fact{fact("workdir", imgOrNone(got)), fact("expected", want)}
	hint := T("Add `WORKDIR %s` to the Dockerfile before the COPY lines, then build and push again.", want)
	if strings.TrimSpace(got) == "" {
		return fail(T("The image sets no working directory (no WORKDIR), so the app starts in / instead of %s.", want), hint, ev...)
	}
	if g := imgCleanDir(got); g != want && strings.HasPrefix(g, strings.TrimSuffix(want, "/")+"/") {
		// A project that keeps its app in a subfolder (WORKDIR /app/src)
		// still works in the lesson's folder.
		return pass(T("The working directory is %s, inside %s.", g, want), ev...)
	}
	if imgCleanDir(got) != want {
		return fail(T("The working directory is %s, not %s.", got, want), hint, ev...)
	}
	return pass(T("The working directory is %s.", want), ev...)
}

func imgOrNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}

// image.files

func judgeImageFiles(s *Snapshot, p Params) Judgement {
	im, j := imageState(s, true)
	if j != nil {
		return *j
	}
	if im.FilesErr != nil {
		return imageEnvError(im.FilesErr)
	}
	wd := imgCleanDir(p.String("workdir", "/app"))
	appPath, reqPath := imgLessonPaths(im, wd)
	req := im.Files[reqPath]

	var seen []string
	for _, f := range slices.Sorted(maps.Keys(im.Files)) {
		seen = append(seen, fmt.Sprintf("%s (%s)", f, imgSize(im.Files[f].Size)))
	}
	ev := []report.Fact{fact("files found", imgOrNone(strings.Join(seen, ", ")))}

	if j, missing := imgMissingFiles(im, wd, []string{appPath, reqPath}, ev); missing {
		return j
	}
	names := imgRequirementNames(req.Content)
	ev = append(ev, fact("requirements", imgOrNone(strings.Join(names, ", "))))
	if !imgNamesFlask(names) {
		return partial(0.5,
			T("%s and %s are in the image, but requirements.txt does not name Flask, so pip install will not install it.", appPath, reqPath),
			T("Add a line flask to requirements.txt (with `RUN pip install -r requirements.txt` in the Dockerfile), then build and push again."), ev...)
	}
	return pass(T("%s and %s are in the image, and requirements.txt names Flask.", appPath, reqPath), ev...)
}

func imgSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}

var (
	imgReqNameRe = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)`)
	imgReqSepRe  = regexp.MustCompile(`[-_.]+`)
)

// imgRequirementNames returns the normalised distribution names a
// requirements file lists (PEP 503: lowercase, runs of -_. become -).
func imgRequirementNames(content string) []string {
	var out []string
	// pip reads a BOM, UTF-16 (Windows PowerShell 5.1's >), a coding line
	// and CRLF; so does the grader.
	if text, err := pysource.DecodeRequirements(content); err == nil {
		content = text
	}
	for _, line := range strings.Split(content, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") {
			continue // options: -r other.txt, --index-url, -e .
		}
		m := imgReqNameRe.FindString(line)
		if m == "" {
			continue
		}
		n := strings.ToLower(m)
		n = imgReqSepRe.ReplaceAllString(n, "-")
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// imgFlaskDependents are extensions that declare Flask as a dependency, so
// pip installs Flask with them: a requirements.txt naming only one of them
// (e.g. flask-restful / flask_restful) does install Flask.
var imgFlaskDependents = []string{"flask-restful", "flask-restx", "flask-cors", "flask-sqlalchemy", "flask-login", "flask-wtf"}

func imgNamesFlask(names []string) bool {
	for _, n := range names {
		if n == "flask" || slices.Contains(imgFlaskDependents, n) {
			return true
		}
	}
	return false
}

// image.port

func judgeImagePort(s *Snapshot, p Params) Judgement {
	im, j := imageState(s, true)
	if j != nil {
		return *j
	}
	want := p.Int("port", 5000)
	c := im.Config
	cmd := imgAnalyzeCommand(c)

	var exposed []int
	for _, e := range c.ExposedPorts {
		num, proto, _ := strings.Cut(e, "/")
		if n, err := strconv.Atoi(num); err == nil && (proto == "" || proto == "tcp") {
			exposed = append(exposed, n)
		}
	}
	ev := []report.Fact{fact("exposed ports", imgOrNone(strings.Join(c.ExposedPorts, ", ")))}

	// Where does the app really listen? The command line (flask run,
	// gunicorn) decides; else app.py's app.run(...).
	served, how := 0, L{}
	hostMissing := false
	if (cmd.Server == "flask" || cmd.Server == "gunicorn") && cmd.Port > 0 {
		served, how = cmd.Port, T("command line: %s", cmd.Line)
	} else if f, where := imgAppSource(im, p); f != nil {
		if r := imgCodePort(f.Content, c.Env); r.found {
			served = r.port
			how = i18n.Raw(where + ": " + r.how) // code quoted from the image: not translated
			if r.defaultPort {
				how = T("%s: %s (Flask's default port 5000)", where, r.how)
			}
			hostMissing = r.hostMissing && cmd.Server == "python"
		}
	}
	if served > 0 {
		ev = append(ev, fact("app listens on", fmt.Sprintf("%d (%s)", served, how.In("en"))))
	}
	hint := T("Serve on port %d: `app.run(host=\"0.0.0.0\", port=%d)` in app.py, and `EXPOSE %d` in the Dockerfile; then build and push again.", want, want, want)

	switch {
	case served > 0 && served != want:
		return fail(T("The app serves on port %d (%s), not %d.", served, how, want), hint, ev...)
	case served == want && hostMissing:
		return partial(0.5,
			T("The app serves on port %d but only on 127.0.0.1 inside the container (app.run without host=\"0.0.0.0\"), so the service cannot reach it.", want),
			T("`app.run(host=\"0.0.0.0\", port=%d)` in app.py, then build and push again.", want), ev...)
	case served == want:
		if slices.Contains(exposed, want) {
			return pass(T("The app serves on port %d, and the image exposes it.", want), ev...)
		}
		return pass(T("The app serves on port %d (%s); the image does not EXPOSE it, which is optional.", want, how), ev...)
	case slices.Contains(exposed, want):
		return pass(T("The image exposes port %d.", want), ev...)
	case len(exposed) > 0:
		return fail(T("The image exposes %s, not port %d, and app.py names no port.",
			strings.Join(c.ExposedPorts, ", "), want), hint, ev...)
	}
	return fail(T("No port found: the image has no EXPOSE and app.py does not call app.run(... port=%d).", want), hint, ev...)
}

// imgAppSource returns the app: the app.py the image's command starts,
// wherever it sits (CMD python src/app.py), else app.py in the workdir
// parameter's directory or in the image's WORKDIR.
func imgAppSource(im *ImageInfo, p Params) (*ImageFile, string) {
	for _, f := range imgAppCandidates(im, imgCleanDir(p.String("workdir", "/app"))) {
		if im.Files[f] != nil {
			return im.Files[f], f
		}
	}
	return nil, ""
}

// imgAppCandidates are where the app may be, in the order imgAppSource
// tries them.
func imgAppCandidates(im *ImageInfo, wd string) []string {
	var out []string
	add := func(f string) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, f := range snapshot.AppScripts(im.Config) {
		if path.Base(f) == "app.py" {
			add(f)
		}
	}
	add(path.Join(wd, "app.py"))
	if im.Config != nil && im.Config.WorkingDir != "" {
		add(path.Join(imgCleanDir(im.Config.WorkingDir), "app.py"))
	}
	return out
}

// imgLessonPaths returns where the image's app.py and requirements.txt
// are, or, for one that is missing, where it should be: the app as
// imgAppSource finds it (else the one the command names), and the
// requirements.txt in the workdir parameter's directory, beside the app or
// in a folder above it, or in the WORKDIR, since pip install -r may have
// run in any of them.
func imgLessonPaths(im *ImageInfo, wd string) (app, req string) {
	cands := imgAppCandidates(im, wd)
	app = cands[0]
	if _, where := imgAppSource(im, Params{"workdir": wd}); where != "" {
		app = where
	}
	reqs := append([]string{path.Join(wd, "requirements.txt")}, snapshot.RequirementsNear(app)...)
	if im.Config != nil && im.Config.WorkingDir != "" {
		reqs = append(reqs, path.Join(imgCleanDir(im.Config.WorkingDir), "requirements.txt"))
	}
	for _, r := range reqs {
		if im.Files[r] != nil {
			return app, r
		}
	}
	if !strings.HasPrefix(app, wd+"/") {
		return app, path.Join(path.Dir(app), "requirements.txt")
	}
	return app, reqs[0]
}

type imgPortResult struct {
	found       bool
	port        int
	how         string
	defaultPort bool // app.run() names no port: Flask's 5000
	hostMissing bool
}

// imgCodePort finds the port app.py's app.run(...) serves on; the reading
// of the source is internal/pysource's. Flask's default is 5000 when
// app.run() names none.
func imgCodePort(raw string, env []string) imgPortResult {
	// Read as Python reads it: BOM, coding line, CRLF.
	src, err := pysource.Decode(raw)
	if err != nil {
		return imgPortResult{}
	}
	py := pysource.Scan(src)
	appVar := "app"
	if v, ok := py.AssignedCall("Flask", "flask.Flask"); ok {
		appVar = v
	}
	run, found := py.FindCall(appVar, "run")
	if !found {
		return imgPortResult{}
	}
	call := fmt.Sprintf("%s.run(%s)", appVar, strings.TrimSpace(run.Args))
	res := imgPortResult{found: true, how: call}
	portExpr, hasPort := run.Keyword["port"]
	if !hasPort && len(run.Positional) >= 2 {
		portExpr, hasPort = run.Positional[1], true
	}
	_, hasHost := run.Keyword["host"]
	res.hostMissing = !hasHost && len(run.Positional) == 0 && !strings.Contains(run.Args, "**")
	if !hasPort {
		res.port, res.defaultPort = 5000, true
		return res
	}
	if n, ok := py.Int(portExpr, func(k string) (string, bool) { return imgEnvValue(env, k) }); ok {
		res.port = n
		return res
	}
	// A port we cannot work out (computed at run time): say nothing.
	return imgPortResult{}
}
