package checks

import (
	"strings"
	"time"

	"github.com/kubelab/kubelab/report"
)

func init() {
	register(&Check{
		ID:      "image.runs",
		Doc:     "the image, run as a container, answers HTTP on port 5000 (skipped without Docker)",
		Sources: []Source{SrcRun},
		Params: []Param{
			{Name: "port", Default: DefaultRunPort, Doc: "container port the app must answer on"},
			{Name: "startup_timeout_seconds", Default: int(DefaultRunStartupTimeout.Seconds()), Doc: "how long the app may take to answer after the container starts"},
		},
		Judge:    judgeRun,
		Outcomes: []report.Status{report.Pass, report.Fail, report.Partial, report.Skipped, report.Error},
		Gathers: func(p Params, plan *Plan) {
			plan.RunPort = p.Int("port", DefaultRunPort)
			plan.RunStartup = time.Duration(p.Int("startup_timeout_seconds", int(DefaultRunStartupTimeout/time.Second))) * time.Second
		},
	})
}

func judgeRun(s *Snapshot, p Params) Judgement {
	port := p.Int("port", DefaultRunPort)
	r := s.Run
	switch {
	case r == nil:
		return Judgement{Status: report.Error,
			Message: T("The container run was not done (not run).")}
	case r.SkipReason != "":
		return skip(T("Skipped: the image was not run as a container: %s.", r.SkipReason),
			fact("reason", r.SkipReason))
	case r.Err != nil:
		return envError(r.Err)
	case r.Exited:
		ev := []report.Fact{fact("exit_code", r.ExitCode)}
		if r.Logs != "" {
			ev = append(ev, fact("logs", r.Logs))
		}
		return fail(T("The container exited with code %d before answering on port %d.", r.ExitCode, port),
			runExitHint(r.Logs, runImage(s), port), ev...)
	case r.HTTPStatus >= 200 && r.HTTPStatus < 300:
		return pass(T("The container answered HTTP %d on port %d.", r.HTTPStatus, port),
			fact("http_status", r.HTTPStatus), fact("body", runFirstLine(r.Body)))
	case r.HTTPStatus != 0:
		ev := []report.Fact{fact("http_status", r.HTTPStatus), fact("body", runFirstLine(r.Body))}
		if r.Logs != "" {
			ev = append(ev, fact("logs", r.Logs))
		}
		return partial(0.5,
			T("The container answered on port %d, but with HTTP %d instead of a success (2xx).", port, r.HTTPStatus),
			T("`docker run --rm -p %d:%d %s`, open http://localhost:%d/ and read the error the container prints in that terminal; check the route for \"/\" in app.py (the app runs but its page fails).", port, port, runImage(s), port),
			ev...)
	}
	var ev []report.Fact
	if r.Logs != "" {
		ev = append(ev, fact("logs", r.Logs))
	}
	if why := localhostOnly(s); !why.IsZero() {
		ev = append(ev, fact("listens on", "127.0.0.1 only: "+why.In("en")))
		return fail(T(
			"The container kept running but did not answer HTTP on port %d: the app listens on 127.0.0.1 inside the container only (%s).", port, why,
		),
			localhostHint(runImage(s), "", port), ev...)
	}
	return fail(T("The container kept running but did not answer HTTP on port %d.", port),
		T("`app.run(host=\"0.0.0.0\", port=%d)` in app.py: Flask's app.run() listens on 127.0.0.1 inside the container, which nothing outside can reach. Check that the port in app.py, EXPOSE and -p agree.", port),
		ev...)
}

// runImage is the image as the student wrote it, for commands.
func runImage(s *Snapshot) string {
	if s.Image != nil {
		return imgShownRef(s.Image)
	}
	return "user/repository:tag"
}

// runExitHint picks a hint from what the container printed before it exited.
func runExitHint(logs, image string, port int) L {
	switch {
	case strings.Contains(logs, "ModuleNotFoundError") || strings.Contains(logs, "ImportError"):
		return T("A Python module is missing in the image: list it (e.g. Flask) in requirements.txt and make sure the Dockerfile has `RUN pip install -r requirements.txt` before the app starts. `docker run --rm %s` prints the traceback in your terminal.", image)
	case strings.Contains(logs, "SyntaxError") || strings.Contains(logs, "IndentationError"):
		return T("Run `python app.py` on your machine, fix the line the traceback names (app.py has a syntax error), then rebuild and push the image.")
	case strings.Contains(logs, "executable file not found") || strings.Contains(logs, "no such file or directory"):
		return T("The container's command cannot be started: check ENTRYPOINT/CMD in the Dockerfile (e.g. CMD [\"python\", \"app.py\"]) and that the base image has Python.")
	}
	// --rm removes the container when it exits, so its output is read in
	// the terminal it runs in: there is nothing left for docker logs.
	return T("Run the image yourself: `docker run --rm -p %d:%d %s` prints what the app prints, its error too, in your terminal. Look for a requirement missing from requirements.txt, a syntax error in app.py, or an app that does not keep serving on 0.0.0.0:%d.", port, port, image, port)
}

// runFirstLine is the first non-empty line of s, cut to 200 bytes.
func runFirstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 200 {
				l = strings.ToValidUTF8(l[:200], "")
			}
			return l
		}
	}
	return ""
}
