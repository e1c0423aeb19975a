// Package testimages builds small container images locally for tests that
// run a container (nothing can be pulled from the internet here), and pushes
// them to a registry on 127.0.0.1 so that a probe pulls them the way it
// pulls a student's image from Docker Hub.
//
// Every image holds one static Go binary (built with CGO_ENABLED=0 from the
// source below) FROM scratch; the variants differ only in ENTRYPOINT. They
// stand in for the lab's Flask app and its usual failures.
package testimages

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// Greeting is what the serving variant answers on /.
const Greeting = "Hello from Flask stand-in"

// CrashLine is the last line the crashing variant prints to stderr.
const CrashLine = "ModuleNotFoundError: No module named 'flask'"

// Variant selects how the container behaves.
type Variant string

// The variants.
const (
	// Serves answers HTTP 200 Greeting on 0.0.0.0:5000.
	Serves Variant = "serves"
	// Exits prints a Python-like traceback ending in CrashLine to stderr
	// and exits with code 1 at once: a Flask app whose requirements were
	// not installed.
	Exits Variant = "exits"
	// Localhost listens on 127.0.0.1:5000 inside the container, so nothing
	// outside it gets an answer: Flask's default app.run().
	Localhost Variant = "localhost"
	// Status500 answers HTTP 500 on every path.
	Status500 Variant = "status500"
	// NoPython has ENTRYPOINT ["python", "app.py"] in an image without
	// python: the container cannot even start (exit code 127).
	NoPython Variant = "nopython"
	// Lesson is built the way the lesson's Dockerfile builds the image
	// (WORKDIR /app, app.py and requirements.txt in /app, EXPOSE 5000,
	// ENTRYPOINT ["python"], CMD ["app.py"]), except that "python" is the
	// stand-in server: every image check and image.runs pass on it.
	Lesson Variant = "lesson"
)

// Variants lists every variant.
var Variants = []Variant{Serves, Exits, Localhost, Status500, NoPython, Lesson}

func (v Variant) entrypoint() []string {
	if v == NoPython {
		return []string{"python", "app.py"}
	}
	return []string{"/app/server", string(v)}
}

// lessonAppPy is the lesson's app.py, put in the Lesson variant's /app.
const lessonAppPy = `from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello from Flask on Kubernetes!"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
`

const serverSource = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	mode := "serves"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	addr := ":5000"
	status := http.StatusOK
	switch mode {
	case "exits":
		fmt.Fprintln(os.Stderr, "Traceback (most recent call last):")
		fmt.Fprintln(os.Stderr, "  File \"/app/app.py\", line 1, in <module>")
		fmt.Fprintln(os.Stderr, "    from flask import Flask")
		fmt.Fprintln(os.Stderr, "` + CrashLine + `")
		os.Exit(1)
	case "localhost":
		addr = "127.0.0.1:5000"
	case "status500":
		status = http.StatusInternalServerError
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		if status == http.StatusOK {
			fmt.Fprintln(w, "` + Greeting + `")
		} else {
			fmt.Fprintln(w, "Internal Server Error")
		}
	})
	fmt.Fprintf(os.Stderr, " * Running on http://%s (%s)\n", addr, mode)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary compiles the server once per process and returns its path.
func binary() (string, error) {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kubelab-testimage-")
		if err != nil {
			binErr = err
			return
		}
		// Left for the OS to clean: several builds in this process use it.
		files := map[string]string{
			"main.go": serverSource,
			"go.mod":  "module kubelab.test/flaskstandin\n\ngo 1.22\n",
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				binErr = err
				return
			}
		}
		binPath = filepath.Join(dir, "app")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binPath, ".")
		cmd.Dir = dir
		// A static Linux binary for the engine's architecture (the engine
		// is on this machine); no workspace, vendoring or toolchain switch
		// from the caller's environment.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH,
			"GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build test server: %v\n%s", err, out)
		}
	})
	return binPath, binErr
}

func newClient(host string) (*client.Client, error) {
	return client.New(client.WithHost(host))
}

// buildContext is the tar stream `docker build` would send.
func buildContext(v Variant, bin []byte) (io.Reader, error) {
	ep, _ := json.Marshal(v.entrypoint())
	dockerfile := "FROM scratch\n" +
		"COPY app /app/server\n" +
		"WORKDIR /app\n" +
		"EXPOSE 5000\n" +
		"ENTRYPOINT " + string(ep) + "\n"
	if v == Lesson {
		dockerfile = "FROM scratch\n" +
			"COPY app /usr/local/bin/python\n" +
			"ENV PATH=/usr/local/bin\n" +
			"WORKDIR /app\n" +
			"COPY requirements.txt app.py ./\n" +
			"EXPOSE 5000\n" +
			"ENTRYPOINT [\"python\"]\n" +
			"CMD [\"app.py\"]\n"
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"app", 0o755, bin},
		{"app.py", 0o644, []byte(lessonAppPy)}, {"requirements.txt", 0o644, []byte("flask\n")}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &buf, nil
}

// streamErr drains a build or push progress stream and returns the first
// error it reports.
func streamErr(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
	}
}

// Build builds variant v with the Docker engine at host (a DOCKER_HOST
// value) and tags it tag.
func Build(ctx context.Context, host string, v Variant, tag string) error {
	bin, err := binary()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	bctx, err := buildContext(v, data)
	if err != nil {
		return err
	}
	cli, err := newClient(host)
	if err != nil {
		return err
	}
	defer cli.Close()
	res, err := cli.ImageBuild(ctx, bctx, client.ImageBuildOptions{
		Tags:        []string{tag},
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{"kubelab.testimage": string(v)},
		// The classic builder: BuildKit needs a session the API client
		// would have to serve, and engines differ in their default.
		Version: build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", tag, err)
	}
	defer res.Body.Close()
	if err := streamErr(res.Body); err != nil {
		return fmt.Errorf("build %s: %w", tag, err)
	}
	return nil
}

// emptyAuth is base64("{}"): no credentials. Older engines (20.10) want the
// X-Registry-Auth header present on push.
const emptyAuth = "e30="

// Push pushes the local image src to dst, a reference on a registry such
// as 127.0.0.1:PORT/repo:tag (the engine treats registries on 127.0.0.0/8
// as insecure, so plain HTTP works), then removes the dst tag again so that
// a later pull of dst must go to the registry.
func Push(ctx context.Context, host, src, dst string) error {
	cli, err := newClient(host)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: src, Target: dst}); err != nil {
		return fmt.Errorf("tag %s as %s: %w", src, dst, err)
	}
	defer cli.ImageRemove(context.WithoutCancel(ctx), dst, client.ImageRemoveOptions{})
	res, err := cli.ImagePush(ctx, dst, client.ImagePushOptions{RegistryAuth: emptyAuth})
	if err != nil {
		return fmt.Errorf("push %s: %w", dst, err)
	}
	if err := res.Wait(ctx); err != nil {
		return fmt.Errorf("push %s: %w", dst, err)
	}
	return nil
}

// Remove removes the local image ref (by name: only that tag goes, and the
// image with it when no other tag names it).
func Remove(ctx context.Context, host, ref string) error {
	cli, err := newClient(host)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	return err
}

// Publish builds variant v, pushes it to the registry at registry
// (host:port, e.g. 127.0.0.1:41234) as repo:<variant> and removes every
// local copy, so the engine has to pull it from the registry like a
// student's image. It returns the pushed reference.
func Publish(ctx context.Context, host string, v Variant, registry, repo string) (string, error) {
	local := "kubelab-testimage-" + randomHex(6) + ":" + string(v)
	if err := Build(ctx, host, v, local); err != nil {
		return "", err
	}
	defer Remove(context.WithoutCancel(ctx), host, local)
	ref := registry + "/" + strings.TrimPrefix(repo, "/") + ":" + string(v)
	if err := Push(ctx, host, local, ref); err != nil {
		return "", err
	}
	return ref, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
