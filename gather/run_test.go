package gather

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/moby/moby/client"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/dockerd"
	"github.com/kubelab/kubelab/internal/testimages"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// testRegistry is a Distribution-API registry on 127.0.0.1 standing in for
// Docker Hub. It counts manifest requests, so a test can tell that the
// engine really pulled from it.
type testRegistry struct {
	addr      string
	manifests atomic.Int64
}

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	inner := h
	h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/manifests/") && req.Method != http.MethodPut {
			r.manifests.Add(1)
		}
		inner.ServeHTTP(w, req)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	r.addr = ln.Addr().String()
	return r
}

// engine returns a client for the engine RequireDocker found.
func engine(t *testing.T) *client.Client {
	t.Helper()
	host := dockerd.RequireDocker(t)
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// publish pushes variant v to reg and removes the pulled copy after the test.
func publish(t *testing.T, v testimages.Variant, reg *testRegistry) string {
	t.Helper()
	host := dockerd.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	ref, err := testimages.Publish(ctx, host, v, reg.addr, "student/flask-app")
	if err != nil {
		t.Fatalf("publish %s: %v", v, err)
	}
	t.Logf("built and pushed %s in %s", ref, time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() { _ = testimages.Remove(context.Background(), host, ref) })
	return ref
}

func networkNames(t *testing.T, cli *client.Client) []string {
	t.Helper()
	res, err := cli.NetworkList(context.Background(), client.NetworkListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range res.Items {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	return names
}

// probe runs ProbeRun on ref and checks that nothing is left behind: no
// container from ref or labelled by the probe, no new network.
func probe(t *testing.T, cli *client.Client, ref string, opt RunOptions) *snapshot.RunProbe {
	t.Helper()
	before := networkNames(t, cli)
	begin := time.Now()
	r := ProbeRun(context.Background(), ref, opt)
	t.Logf("probe of %s took %s: %+v", ref, time.Since(begin).Round(time.Millisecond), *r)
	all, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.Items {
		if _, ok := c.Labels[LabelProbe]; ok || c.Image == ref {
			t.Errorf("container left behind: %s %v (%s, %s)", c.ID[:12], c.Names, c.Image, c.State)
		}
	}
	if after := networkNames(t, cli); !slices.Equal(before, after) {
		t.Errorf("networks changed: before %v, after %v", before, after)
	}
	return r
}

func judge(r *snapshot.RunProbe) checks.Judgement {
	c, _ := checks.Lookup("image.runs")
	return c.Judge(&snapshot.Snapshot{Run: r}, checks.Params{})
}

func evidence(j checks.Judgement, name string) string {
	for _, f := range j.Evidence {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestProbeRunServes(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	ref := publish(t, testimages.Serves, reg)
	pushed := reg.manifests.Load()

	r := probe(t, cli, ref, RunOptions{StartupTimeout: 30 * time.Second})
	if r.SkipReason != "" || r.Err != nil || r.Exited {
		t.Fatalf("probe did not get an answer: %+v", r)
	}
	if r.HTTPStatus != 200 || !strings.Contains(r.Body, testimages.Greeting) {
		t.Errorf("answer = %d %q, want 200 %q", r.HTTPStatus, r.Body, testimages.Greeting)
	}
	if reg.manifests.Load() == pushed {
		t.Errorf("the engine did not fetch the manifest from the registry")
	}
	j := judge(r)
	if j.Status != report.Pass || j.Fraction != 1 {
		t.Errorf("judgement = %s %v: %s", j.Status, j.Fraction, j.Message.In("en"))
	}
	if got := evidence(j, "body"); got != testimages.Greeting {
		t.Errorf("body evidence = %q", got)
	}
}

func TestProbeRunExits(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	ref := publish(t, testimages.Exits, reg)

	r := probe(t, cli, ref, RunOptions{StartupTimeout: 30 * time.Second})
	if !r.Exited || r.ExitCode != 1 {
		t.Fatalf("want exited with code 1, got %+v", r)
	}
	if !strings.Contains(r.Logs, testimages.CrashLine) || !strings.Contains(r.Logs, "Traceback") {
		t.Errorf("logs lack the traceback: %q", r.Logs)
	}
	j := judge(r)
	if j.Status != report.Fail {
		t.Errorf("status = %s, want fail", j.Status)
	}
	if !strings.Contains(j.Message.In("en"), "exited with code 1 before answering on port 5000") {
		t.Errorf("message = %q", j.Message.In("en"))
	}
	if !strings.Contains(evidence(j, "logs"), testimages.CrashLine) {
		t.Errorf("evidence lacks %q: %v", testimages.CrashLine, j.Evidence)
	}
	if !strings.Contains(j.Hint.In("en"), "requirements.txt") {
		t.Errorf("hint = %q", j.Hint.In("en"))
	}
}

func TestProbeRunNoPython(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	ref := publish(t, testimages.NoPython, reg)

	r := probe(t, cli, ref, RunOptions{StartupTimeout: 30 * time.Second})
	if !r.Exited || r.ExitCode == 0 {
		t.Fatalf("want a container that could not start, got %+v", r)
	}
	if j := judge(r); j.Status != report.Fail || !strings.Contains(j.Hint.In("en"), "ENTRYPOINT/CMD") {
		t.Errorf("judgement = %s, hint %q", j.Status, j.Hint.In("en"))
	}
}

func TestProbeRunNoAnswer(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	ref := publish(t, testimages.Localhost, reg)

	begin := time.Now()
	r := probe(t, cli, ref, RunOptions{StartupTimeout: 3 * time.Second})
	if r.Err != nil || r.Exited || r.HTTPStatus != 0 || r.SkipReason != "" {
		t.Fatalf("want no answer, got %+v", r)
	}
	if d := time.Since(begin); d > 30*time.Second {
		t.Errorf("a 3s startup timeout took %s", d)
	}
	if !strings.Contains(r.Logs, "127.0.0.1:5000") {
		t.Errorf("logs = %q", r.Logs)
	}
	if j := judge(r); j.Status != report.Fail || !strings.Contains(j.Hint.In("en"), "0.0.0.0") {
		t.Errorf("judgement = %s, hint %q", j.Status, j.Hint.In("en"))
	}
}

func TestProbeRunStatus500(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	ref := publish(t, testimages.Status500, reg)

	r := probe(t, cli, ref, RunOptions{StartupTimeout: 30 * time.Second})
	if r.HTTPStatus != 500 {
		t.Fatalf("want HTTP 500, got %+v", r)
	}
	if j := judge(r); j.Status != report.Partial || j.Fraction != 0.5 {
		t.Errorf("judgement = %s %v", j.Status, j.Fraction)
	}
}

func TestProbeRunPullErrors(t *testing.T) {
	cli := engine(t)
	reg := startRegistry(t, nil)
	locked := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="kubelab-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name, ref string
		kind      snapshot.ErrKind
		detail    string
	}{
		{"unknown repository", reg.addr + "/student/nothing:latest", snapshot.ErrOther, "not found"},
		{"unauthorized", locked.addr + "/student/private:latest", snapshot.ErrUnauthorized, ""},
		{"registry down", closed + "/student/app:latest", snapshot.ErrUnreachable, ""},
		{"invalid reference", "Student/App:latest", snapshot.ErrConfig, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			begin := time.Now()
			r := probe(t, cli, tc.ref, RunOptions{})
			if r.Err == nil {
				t.Fatalf("want a pull error, got %+v", r)
			}
			if r.Err.Kind != tc.kind || !strings.Contains(r.Err.Detail, tc.detail) {
				t.Errorf("error = %s %q, want %s containing %q", r.Err.Kind, r.Err.Detail, tc.kind, tc.detail)
			}
			if d := time.Since(begin); d > 30*time.Second {
				t.Errorf("took %s", d)
			}
			if j := judge(r); j.Status != report.Error {
				t.Errorf("judgement = %s, want error", j.Status)
			}
		})
	}
}

func TestProbeRunWithoutDocker(t *testing.T) {
	dead := "unix://" + t.TempDir() + "/no-docker.sock"
	t.Setenv("DOCKER_HOST", dead)
	begin := time.Now()
	r := ProbeRun(context.Background(), "127.0.0.1:1/student/app:latest", RunOptions{})
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("skipping took %s", d)
	}
	if r.SkipReason == "" || !strings.Contains(r.SkipReason, "DOCKER_HOST="+dead) || r.Err != nil {
		t.Fatalf("want a skip naming %s, got %+v", dead, r)
	}
	if j := judge(r); j.Status != report.Skipped || j.Fraction != 0 {
		t.Errorf("judgement = %s", j.Status)
	}
}

func TestJudgeRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		probe    *snapshot.RunProbe
		params   checks.Params
		status   report.Status
		fraction float64
		message  string // part of Message.En
		hint     string // part of Hint.En
		evidence string // part of some evidence value
	}{
		{name: "not gathered", probe: nil, status: report.Error, message: "not run"},
		{name: "no docker", probe: &snapshot.RunProbe{SkipReason: "no Docker engine reachable (DOCKER_HOST=unix:///x.sock)"},
			status: report.Skipped, message: "DOCKER_HOST=unix:///x.sock"},
		{name: "pull failed", probe: &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrUnreachable, What: "pull image r/a:1", Detail: "connection refused"}},
			status: report.Error, message: "pull image r/a:1", evidence: "connection refused"},
		{name: "crashed", probe: &snapshot.RunProbe{Exited: true, ExitCode: 1, Logs: "Traceback (most recent call last):\nModuleNotFoundError: No module named 'flask'\n"},
			status: report.Fail, message: "exited with code 1 before answering on port 5000", hint: "requirements.txt",
			evidence: "No module named 'flask'"},
		{name: "syntax error", probe: &snapshot.RunProbe{Exited: true, ExitCode: 1, Logs: "  File \"app.py\", line 3\nSyntaxError: invalid syntax"},
			status: report.Fail, hint: "syntax error"},
		{name: "exit 0", probe: &snapshot.RunProbe{Exited: true, ExitCode: 0},
			status: report.Fail, message: "exited with code 0", hint: "0.0.0.0:5000"},
		{name: "no command", probe: &snapshot.RunProbe{Exited: true, ExitCode: 127, Logs: `exec: "python": executable file not found in $PATH`},
			status: report.Fail, hint: "ENTRYPOINT/CMD"},
		{name: "answers", probe: &snapshot.RunProbe{HTTPStatus: 200, Body: "\nHello from Flask!\nmore"},
			status: report.Pass, fraction: 1, message: "HTTP 200", evidence: "Hello from Flask!"},
		{name: "answers 204", probe: &snapshot.RunProbe{HTTPStatus: 204},
			status: report.Pass, fraction: 1},
		{name: "other port", probe: &snapshot.RunProbe{HTTPStatus: 200}, params: checks.Params{"port": 8080},
			status: report.Pass, fraction: 1, message: "port 8080"},
		{name: "server error", probe: &snapshot.RunProbe{HTTPStatus: 500, Body: "Internal Server Error"},
			status: report.Partial, fraction: 0.5, message: "HTTP 500", evidence: "Internal Server Error"},
		{name: "not found", probe: &snapshot.RunProbe{HTTPStatus: 404},
			status: report.Partial, fraction: 0.5},
		{name: "silent", probe: &snapshot.RunProbe{Logs: " * Running on http://127.0.0.1:5000"},
			status: report.Fail, message: "did not answer", hint: "host=\"0.0.0.0\"", evidence: "127.0.0.1:5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := checks.Lookup("image.runs")
			if !ok {
				t.Fatal("image.runs is not registered")
			}
			if !slices.Equal(c.Sources, []snapshot.Source{snapshot.SrcRun}) {
				t.Errorf("sources = %v", c.Sources)
			}
			p := checks.Params{}
			for k, v := range tc.params {
				p[k] = v
			}
			j := c.Judge(&snapshot.Snapshot{Run: tc.probe}, p)
			if j.Status != tc.status || j.Fraction != tc.fraction {
				t.Errorf("status = %s %v, want %s %v (%s)", j.Status, j.Fraction, tc.status, tc.fraction, j.Message.In("en"))
			}
			if !strings.Contains(j.Message.In("en"), tc.message) {
				t.Errorf("message %q lacks %q", j.Message.In("en"), tc.message)
			}
			if !strings.Contains(j.Hint.In("en"), tc.hint) {
				t.Errorf("hint %q lacks %q", j.Hint.In("en"), tc.hint)
			}
			if j.Message.In("id") == "" || j.Message.In("id") == j.Message.In("en") {
				t.Errorf("no Indonesian message: %+v", j.Message)
			}
			if j.Hint.In("en") != "" && (j.Hint.In("id") == "" || j.Hint.In("id") == j.Hint.In("en")) {
				t.Errorf("no Indonesian hint: %+v", j.Hint)
			}
			if tc.evidence != "" && !slices.ContainsFunc(j.Evidence, func(f report.Fact) bool { return strings.Contains(f.Value, tc.evidence) }) {
				t.Errorf("evidence %v lacks %q", j.Evidence, tc.evidence)
			}
		})
	}
}

func TestClassifyPullError(t *testing.T) {
	for msg, want := range map[string]snapshot.ErrKind{
		"manifest for 127.0.0.1:5000/a/b:c not found: manifest unknown: manifest unknown":                             snapshot.ErrOther,
		"pull access denied for student/app, repository does not exist or may require 'docker login'":                 snapshot.ErrUnauthorized,
		"Head \"https://registry-1.docker.io/v2/a/b/manifests/latest\": unauthorized: incorrect username or password": snapshot.ErrUnauthorized,
		"toomanyrequests: You have reached your pull rate limit.":                                                     snapshot.ErrRateLimited,
		"Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused":                           snapshot.ErrUnreachable,
		"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host":               snapshot.ErrUnreachable,
		"Get \"https://registry-1.docker.io/v2/\": net/http: TLS handshake timeout":                                   snapshot.ErrTimeout,
		"no matching manifest for linux/amd64 in the manifest list entries":                                           snapshot.ErrOther,
	} {
		if got := classifyPullError(msg); got != want {
			t.Errorf("classifyPullError(%q) = %s, want %s", msg, got, want)
		}
	}
}

func TestRunTail(t *testing.T) {
	long := strings.Repeat("x", 100) + "\nlast line é\n"
	if got := runTail(long, 20); got != "last line é\n" {
		t.Errorf("runTail = %q", got)
	}
	if got := runTail("short", 20); got != "short" {
		t.Errorf("runTail = %q", got)
	}
	w := &runTailWriter{max: 4}
	io.WriteString(w, "abc")
	io.WriteString(w, "defg")
	if string(w.buf) != "defg" {
		t.Errorf("tail writer kept %q", w.buf)
	}
}
