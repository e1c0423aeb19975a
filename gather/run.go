package gather

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kubelab/kubelab/snapshot"
)

// RunOptions configure ProbeRun. Zero fields take the defaults.
type RunOptions struct {
	// StartupTimeout bounds the wait from container start to the first HTTP
	// answer (default 60s).
	StartupTimeout time.Duration
	// Port is the container port the app must serve on (default 5000).
	Port int
	// PullTimeout bounds pulling the image (default 5m).
	PullTimeout time.Duration
}

// The defaults of RunOptions.
const (
	DefaultRunStartupTimeout = snapshot.DefaultRunStartupTimeout
	DefaultRunPort           = snapshot.DefaultRunPort
	DefaultRunPullTimeout    = 5 * time.Minute
)

// What the probe keeps of the app's answer and the container's output.
const (
	runBodyLimit = 1 << 10
	runLogLimit  = 2 << 10
)

// Labels put on every probe container: LabelProbe names the check, and a
// per-probe id lets the probe find (and remove) its container whatever
// happened.
const (
	LabelProbe   = "kubelab.probe"
	LabelProbeID = "kubelab.probe.id"
)

func (o RunOptions) withDefaults() RunOptions {
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = DefaultRunStartupTimeout
	}
	if o.Port <= 0 || o.Port > 65535 {
		o.Port = DefaultRunPort
	}
	if o.PullTimeout <= 0 {
		o.PullTimeout = DefaultRunPullTimeout
	}
	return o
}

var tcSetupOnce sync.Once

// setupTestcontainers prepares testcontainers-go before its first use (it
// reads its configuration once per process).
//
// It turns off the Ryuk reaper unless the user chose otherwise: Ryuk is a
// helper container (testcontainers/ryuk) that removes containers when the
// test process dies; its image comes from Docker Hub, which the grader's
// machines (and many lab networks) cannot reach, so testcontainers would
// fail before running anything. ProbeRun removes its container itself
// instead.
//
// It also silences testcontainers' global logger, which prints a banner
// and progress lines to stderr: the grader's output is the report.
func setupTestcontainers() {
	tcSetupOnce.Do(func() {
		if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
		tclog.SetDefault(tclog.NewNoopLogger())
	})
}

// runDockerHostDesc names the engine the probe talks to, for messages.
func runDockerHostDesc() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unset, so " + client.DefaultDockerHost
}

// ProbeRun pulls image, runs it as a container with the app's port
// published on 127.0.0.1 only, and waits for an HTTP answer on that port.
// The container is always removed before ProbeRun returns. Without a
// reachable Docker engine it returns quickly with SkipReason set: that is
// never the student's fault.
//
// The engine is the one DOCKER_HOST names (default: the system socket).
// testcontainers-go resolves the engine once per process; ProbeRun checks
// the engine itself first, so a later change of DOCKER_HOST in the same
// process is honoured for the skip but not for the run.
func ProbeRun(ctx context.Context, image string, opt RunOptions) (probe *snapshot.RunProbe) {
	opt = opt.withDefaults()
	what := "run image " + image + " as a container"
	// A panic in a library must not end a whole class's grading run.
	defer func() {
		if v := recover(); v != nil {
			probe = &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrOther, What: what, Detail: fmt.Sprintf("internal error: %v", v)}}
		}
	}()

	cli, err := client.New(client.FromEnv)
	if err != nil {
		return &snapshot.RunProbe{SkipReason: fmt.Sprintf("no Docker engine reachable (DOCKER_HOST=%s): %v", runDockerHostDesc(), err)}
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: what, Detail: ctx.Err().Error()}}
		}
		return &snapshot.RunProbe{SkipReason: fmt.Sprintf("no Docker engine reachable (DOCKER_HOST=%s)", runDockerHostDesc())}
	}

	if ge := runPullImage(ctx, cli, image, opt.PullTimeout); ge != nil {
		return &snapshot.RunProbe{Err: ge}
	}

	setupTestcontainers()
	probeID := runProbeID()
	defer removeRunContainers(cli, probeID)

	port := network.MustParsePort(strconv.Itoa(opt.Port) + "/tcp")
	answer := &runAnswerStrategy{port: port, timeout: opt.StartupTimeout}
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        image,
			ExposedPorts: []string{port.String()},
			Labels:       map[string]string{LabelProbe: "image.runs", LabelProbeID: probeID},
			HostConfigModifier: func(hc *container.HostConfig) {
				// Publish only the app's port, only on loopback: the
				// student's app is never reachable from the network.
				hc.PublishAllPorts = false
				hc.PortBindings = network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}}}
			},
			WaitingFor: answer,
		},
		Started: true,
		// testcontainers logs its progress to stderr by default; the
		// grader's output is the report.
		Logger: tclog.NewNoopLogger(),
	})
	// Always remove the container, with a fresh context: ctx may be the
	// one that just expired.
	defer func() {
		if ctr == nil {
			return
		}
		tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = ctr.Terminate(tctx, testcontainers.StopTimeout(0))
	}()

	if err == nil {
		logs, _ := runContainerLogs(ctr)
		return &snapshot.RunProbe{HTTPStatus: answer.status, Body: answer.body, Logs: logs}
	}
	if ctr == nil {
		if ctx.Err() != nil {
			return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: what, Detail: err.Error()}}
		}
		return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrOther, What: what, Detail: err.Error()}}
	}

	ictx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	state, serr := ctr.State(ictx)
	logs, _ := runContainerLogs(ctr)
	switch {
	case serr == nil && !state.Running && (state.Status == container.StateExited || state.Status == container.StateDead || state.Error != ""):
		// It stopped (or never started: a missing executable leaves it
		// "created" with an error and code 127) before answering.
		if state.Error != "" {
			if logs = strings.TrimRight(logs, "\n"); logs != "" {
				logs += "\n"
			}
			logs = runTail(logs+state.Error, runLogLimit)
		}
		return &snapshot.RunProbe{Exited: true, ExitCode: state.ExitCode, Logs: logs}
	case ctx.Err() != nil:
		// The caller's deadline, not the app, ended the run.
		return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: what, Detail: err.Error()}}
	case answer.timedOut:
		// Running but silent for the whole startup timeout.
		return &snapshot.RunProbe{Logs: logs}
	}
	return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrOther, What: what, Detail: err.Error()}, Logs: logs}
}

// runPullImage pulls ref through the engine. Pulling is done here rather than
// by testcontainers, which retries every non-permanent pull error until its
// context ends and ignores errors reported inside the pull stream; here
// each failure is classified at once.
func runPullImage(ctx context.Context, cli *client.Client, ref string, timeout time.Duration) *snapshot.GatherError {
	what := "pull image " + ref
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return &snapshot.GatherError{Kind: snapshot.ErrConfig, What: what, Detail: err.Error()}
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Anonymous pull: base64("{}"). Older engines want the header present.
	res, err := cli.ImagePull(pctx, ref, client.ImagePullOptions{RegistryAuth: "e30="})
	if err == nil {
		err = res.Wait(pctx)
	}
	if err == nil {
		return nil
	}
	if pctx.Err() != nil {
		return &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: what, Detail: err.Error()}
	}
	return &snapshot.GatherError{Kind: classifyPullError(err.Error()), What: what, Detail: pullErrorDetail(err.Error())}
}

// classifyPullError maps an engine's pull error text to an ErrKind. The engine
// reports registry failures as text (often with HTTP 500), so the text is
// what there is to go on.
func classifyPullError(msg string) snapshot.ErrKind {
	m := strings.ToLower(msg)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(m, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("toomanyrequests", "too many requests", "rate limit"):
		return snapshot.ErrRateLimited
	case has("pull access denied", "unauthorized", "authentication required", "denied:", "no basic auth credentials"):
		return snapshot.ErrUnauthorized
	case has("manifest unknown", "not found", "name unknown", "no such image", "does not exist"):
		// The registry answered: the repository or tag is not there.
		return snapshot.ErrOther
	case has("i/o timeout", "tls handshake timeout", "deadline exceeded", "timeout exceeded"):
		return snapshot.ErrTimeout
	case has("connection refused", "no such host", "dial tcp", "network is unreachable", "no route to host",
		"server misbehaving", "connection reset", "eof", "lookup "):
		return snapshot.ErrUnreachable
	}
	return snapshot.ErrOther
}

// pullErrorDetail makes the "not found" case read as such in the report.
func pullErrorDetail(msg string) string {
	m := strings.ToLower(msg)
	if classifyPullError(msg) == snapshot.ErrOther && (strings.Contains(m, "manifest unknown") || strings.Contains(m, "not found") || strings.Contains(m, "name unknown")) {
		return "image not found on the registry: " + msg
	}
	return msg
}

// removeRunContainers removes any container left with this probe's id:
// the safety net behind Terminate (a container created while a context
// was being cancelled has no handle).
func removeRunContainers(cli *client.Client, probeID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelProbeID+"="+probeID),
	})
	if err != nil {
		return
	}
	for _, c := range list.Items {
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

// runContainerLogs returns the end of the container's stdout and stderr.
func runContainerLogs(ctr testcontainers.Container) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	w := &runTailWriter{max: 4 * runLogLimit}
	_, err = io.Copy(w, rc)
	return runTail(string(w.buf), runLogLimit), err
}

// runTailWriter keeps the last max bytes written to it.
type runTailWriter struct {
	max int
	buf []byte
}

func (w *runTailWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-w.max:]...)
	}
	return len(p), nil
}

// runTail returns about the last n bytes of s, starting at a line when one
// starts in the last n bytes, as valid UTF-8.
func runTail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func runProbeID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runAnswerStrategy is the probe's wait strategy: poll the published port on
// 127.0.0.1 until the app answers HTTP (any status), the container stops,
// or the startup timeout passes. testcontainers' own wait.ForHTTP dials the
// engine's "host", which is not loopback when the grader itself runs in a
// container, and accepts only the statuses it is told to; this records the
// first answer whatever its status.
type runAnswerStrategy struct {
	port    network.Port
	timeout time.Duration

	status   int
	body     string
	timedOut bool
}

var _ wait.Strategy = (*runAnswerStrategy)(nil)

func (s *runAnswerStrategy) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errRunStartupTimeout)
	defer cancel()
	hc := &http.Client{
		Timeout: 3 * time.Second,
		// No proxy from the environment: the request must go to 127.0.0.1.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		// Follow redirects only on the same host and port.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 || req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	for {
		state, err := target.State(ctx)
		if err != nil {
			return s.stop(ctx, fmt.Errorf("container state: %w", err))
		}
		if !state.Running {
			return fmt.Errorf("container stopped (%s) with code %d before answering", state.Status, state.ExitCode)
		}
		if mapped, err := target.MappedPort(ctx, s.port.String()); err == nil {
			u := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(int(mapped.Num())), Path: "/"}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			// Docker's port proxy accepts the connection even when nothing
			// listens in the container, then closes it: that is no answer.
			if resp, err := hc.Do(req); err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, runBodyLimit))
				resp.Body.Close()
				s.status = resp.StatusCode
				s.body = strings.ToValidUTF8(string(body), "\uFFFD")
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return s.stop(ctx, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

var errRunStartupTimeout = errors.New("startup timeout passed without an HTTP answer")

// stop records whether the startup timeout (not the caller's context) ended
// the wait.
func (s *runAnswerStrategy) stop(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errRunStartupTimeout) {
		s.timedOut = true
		return errRunStartupTimeout
	}
	return err
}
