// Package registrytest is an in-process container registry for tests: a real
// Distribution-API server (go-containerregistry's pkg/registry) behind an
// httptest server on 127.0.0.1, with the behaviours a grader meets on Docker
// Hub (login required, rate limits, failures, hangs) and builders for images
// that do or do not follow the lesson. The building and the serving are
// internal/imagebuild's, shared with labs/selftest.
//
// Nothing here reaches beyond loopback.
package registrytest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kubelab/kubelab/internal/imagebuild"
)

// Kind is the kind of a request the registry received, for counting.
type Kind string

// The kinds of requests counted.
const (
	Ping         Kind = "GET /v2/"
	HeadManifest Kind = "HEAD manifest"
	GetManifest  Kind = "GET manifest"
	HeadBlob     Kind = "HEAD blob"
	GetBlob      Kind = "GET blob"
	Other        Kind = "other"
)

// Realm is the realm of the Basic challenge WithAuth answers with.
const Realm = "kubelab-test"

// FaultFunc may answer a request itself (returning true) to simulate a
// failing registry; returning false lets the registry answer normally.
type FaultFunc func(w http.ResponseWriter, r *http.Request) bool

// Registry is a running test registry. Its public address (Host) applies
// auth, rate limits and faults and counts requests; Push uses a private admin
// address to the same storage that does none of that.
type Registry struct {
	pub, admin *imagebuild.Server
	closing    chan struct{}

	user, pass string
	limitAfter int
	retryAfter time.Duration

	mu     sync.Mutex
	counts map[Kind]int
	total  int
	fault  FaultFunc
}

// Option configures New.
type Option func(*Registry)

// WithAuth requires HTTP Basic credentials on every /v2/ request, answering
// 401 with a Basic challenge (realm "kubelab-test") otherwise, like a private
// registry.
func WithAuth(user, pass string) Option {
	return func(r *Registry) { r.user, r.pass = user, pass }
}

// WithRateLimit answers 429 Too Many Requests, with a Retry-After header of
// retryAfter (whole seconds, rounded up), to every request after the first
// after requests.
func WithRateLimit(after int, retryAfter time.Duration) Option {
	return func(r *Registry) { r.limitAfter, r.retryAfter = after, retryAfter }
}

// New starts a registry on 127.0.0.1; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r := &Registry{counts: map[Kind]int{}, closing: make(chan struct{}), limitAfter: -1}
	for _, o := range opts {
		o(r)
	}
	store := imagebuild.NewRegistry()
	r.pub = serve(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.serve(store, w, req) }))
	r.admin = serve(t, store)
	t.Cleanup(func() {
		close(r.closing)
		r.pub.Close()
		r.admin.Close()
	})
	return r
}

func serve(t testing.TB, h http.Handler) *imagebuild.Server {
	t.Helper()
	s, err := imagebuild.Serve(h)
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	return s
}

// Host returns the registry's public address, "127.0.0.1:PORT".
func (r *Registry) Host() string { return r.pub.Addr }

// Ref returns repoTag ("student/flask:v1") as a reference on this registry.
func (r *Registry) Ref(repoTag string) string { return r.Host() + "/" + repoTag }

// Keychain returns a keychain holding the credentials given to WithAuth for
// this registry (anonymous elsewhere).
func (r *Registry) Keychain() authn.Keychain { return StaticKeychain(r.Host(), r.user, r.pass) }

// SetFault installs f for the requests that follow (nil removes it).
func (r *Registry) SetFault(f FaultFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
}

// Status is a fault answering every request with code and a Distribution
// error body.
func Status(code int) FaultFunc {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		writeError(w, code, "UNKNOWN", http.StatusText(code))
		return true
	}
}

// Hang is a fault that never answers: the request blocks until the client
// gives up or the registry stops.
func (r *Registry) Hang() FaultFunc {
	return func(_ http.ResponseWriter, req *http.Request) bool {
		select {
		case <-req.Context().Done():
		case <-r.closing:
		}
		return true
	}
}

// Only restricts f to requests of the given kinds.
func Only(f FaultFunc, kinds ...Kind) FaultFunc {
	return func(w http.ResponseWriter, req *http.Request) bool {
		k := KindOf(req)
		for _, want := range kinds {
			if k == want {
				return f(w, req)
			}
		}
		return false
	}
}

// Count returns how many requests of kind the public address received since
// the last ResetCounts.
func (r *Registry) Count(k Kind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[k]
}

// Counts returns a copy of all counters.
func (r *Registry) Counts() map[Kind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Kind]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the counters (not the rate limiter's).
func (r *Registry) ResetCounts() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts = map[Kind]int{}
}

// KindOf classifies a request.
func KindOf(req *http.Request) Kind {
	p := strings.TrimSuffix(req.URL.Path, "/")
	if p == "/v2" {
		if req.Method == http.MethodGet {
			return Ping
		}
		return Other
	}
	elems := strings.Split(p, "/")
	if len(elems) < 4 || elems[1] != "v2" {
		return Other
	}
	switch res := elems[len(elems)-2]; {
	case res == "manifests" && req.Method == http.MethodHead:
		return HeadManifest
	case res == "manifests" && req.Method == http.MethodGet:
		return GetManifest
	case res == "blobs" && req.Method == http.MethodHead:
		return HeadBlob
	case res == "blobs" && req.Method == http.MethodGet:
		return GetBlob
	}
	return Other
}

func (r *Registry) serve(store http.Handler, w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.counts[KindOf(req)]++
	r.total++
	n, fault := r.total, r.fault
	r.mu.Unlock()

	if fault != nil && fault(w, req) {
		return
	}
	if r.limitAfter >= 0 && n > r.limitAfter {
		secs := int(math.Ceil(r.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "TOOMANYREQUESTS", "You have reached your pull rate limit.")
		return
	}
	if r.user != "" || r.pass != "" {
		u, p, ok := req.BasicAuth()
		if !ok || u != r.user || p != r.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
	}
	store.ServeHTTP(w, req)
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": errCode, "message": msg}},
	})
}

// StaticKeychain answers user/pass for host and anonymous for any other
// registry.
func StaticKeychain(host, user, pass string) authn.Keychain {
	return staticKeychain{host: host, cfg: authn.AuthConfig{Username: user, Password: pass}}
}

type staticKeychain struct {
	host string
	cfg  authn.AuthConfig
}

func (k staticKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if res.RegistryStr() == k.host {
		return authn.FromConfig(k.cfg), nil
	}
	return authn.Anonymous, nil
}

// Push writes img as repoTag ("student/flask:v1") to the registry, bypassing
// its auth, rate limit, faults and counters, and returns the manifest digest.
func Push(t testing.TB, r *Registry, repoTag string, img v1.Image) v1.Hash {
	t.Helper()
	ref := r.adminRef(t, repoTag)
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("registrytest: push %s: %v", repoTag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("registrytest: digest: %v", err)
	}
	return d
}

// PushIndex writes a multi-platform index as repoTag and returns its digest.
func PushIndex(t testing.TB, r *Registry, repoTag string, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	ref := r.adminRef(t, repoTag)
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("registrytest: push index %s: %v", repoTag, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatalf("registrytest: digest: %v", err)
	}
	return d
}

func (r *Registry) adminRef(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	repoTag = strings.TrimPrefix(repoTag, r.Host()+"/")
	ref, err := name.ParseReference(r.admin.Addr+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatalf("registrytest: bad reference %q: %v", repoTag, err)
	}
	return ref
}

// Image builders.

// AppPy is the lesson's Flask app.
const AppPy = `from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello from Kubernetes!"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
`

// Requirements is the lesson's requirements.txt.
const Requirements = "flask\n"

// Spec describes an image to build (see imagebuild.Spec). Options change
// the lesson's Spec.
type Spec = imagebuild.Spec

// ImageOption changes the Spec LessonImage builds.
type ImageOption func(*Spec)

// LessonSpec is the image the lesson's Dockerfile builds:
//
//	FROM python:3.12-slim
//	WORKDIR /app
//	COPY requirements.txt .
//	RUN pip install -r requirements.txt
//	COPY app.py .
//	EXPOSE 5000
//	ENTRYPOINT ["python"]
//	CMD ["app.py"]
func LessonSpec() *Spec {
	return &Spec{
		Layers: []map[string]string{
			{ // base image
				"/usr/local/bin/python3": "#!placeholder python 3.12\n",
				"/usr/local/bin/python":  "#!placeholder python 3.12\n",
				"/etc/os-release":        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
			},
			{"/app/requirements.txt": Requirements},
			{"/usr/local/lib/python3.12/site-packages/flask/__init__.py": "# placeholder\n"},
			{"/app/app.py": AppPy},
		},
		Entrypoint:   []string{"python"},
		Cmd:          []string{"app.py"},
		WorkingDir:   "/app",
		ExposedPorts: []string{"5000/tcp"},
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=3.12.8"},
		OS:           "linux",
		Architecture: "amd64",
		Created:      time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		CreatedBy:    "test layer",
	}
}

// LessonImage builds the lesson's image, changed by opts.
func LessonImage(opts ...ImageOption) v1.Image {
	s := LessonSpec()
	for _, o := range opts {
		o(s)
	}
	return build(s)
}

// build builds s; a Spec of this package always builds, so a failure is a
// bug here.
func build(s *Spec) v1.Image {
	img, err := s.Build()
	if err != nil {
		panic(err)
	}
	return img
}

// Created sets the image's creation time.
func Created(t time.Time) ImageOption { return func(s *Spec) { s.Created = t } }

// Command sets ENTRYPOINT and CMD (nil for none).
func Command(entrypoint, cmd []string) ImageOption {
	return func(s *Spec) { s.Entrypoint, s.Cmd = entrypoint, cmd }
}

// AppSource replaces app.py's content.
func AppSource(src string) ImageOption {
	return func(s *Spec) { s.SetFile(path.Join(s.WorkingDir, "app.py"), src) }
}

// RequirementsText replaces requirements.txt's content.
func RequirementsText(txt string) ImageOption {
	return func(s *Spec) { s.SetFile(path.Join(s.WorkingDir, "requirements.txt"), txt) }
}

// Workdir moves the app's files from /app to dir and sets WORKDIR dir, as a
// Dockerfile with "WORKDIR /src" and "COPY . ." would.
func Workdir(dir string) ImageOption {
	return func(s *Spec) {
		for _, l := range s.Layers {
			for p, c := range l {
				if strings.HasPrefix(p, "/app/") {
					delete(l, p)
					l[path.Join(dir, strings.TrimPrefix(p, "/app/"))] = c
				}
			}
		}
		s.WorkingDir = dir
	}
}

// WrongWorkdir is the image built with WORKDIR /src instead of /app.
func WrongWorkdir() ImageOption { return Workdir("/src") }

// NoRequirements leaves requirements.txt out of the image.
func NoRequirements() ImageOption {
	return func(s *Spec) { s.RemoveFile(path.Join(s.WorkingDir, "requirements.txt")) }
}

// RequirementsWithoutFlask has a requirements.txt that does not name Flask.
func RequirementsWithoutFlask() ImageOption {
	return RequirementsText("requests==2.32.3\ngunicorn\n")
}

// EntrypointNotApp has ENTRYPOINT ["python"] and no CMD: the container starts
// a bare interpreter, not the app.
func EntrypointNotApp() ImageOption { return Command([]string{"python"}, nil) }

// NoExpose drops EXPOSE; app.py still serves on port 5000.
func NoExpose() ImageOption { return func(s *Spec) { s.ExposedPorts = nil } }

// AppPort makes app.py serve on port (and EXPOSE it).
func AppPort(port int) ImageOption {
	return func(s *Spec) {
		s.SetFile(path.Join(s.WorkingDir, "app.py"), strings.Replace(AppPy, "port=5000", fmt.Sprintf("port=%d", port), 1))
		s.ExposedPorts = []string{fmt.Sprintf("%d/tcp", port)}
	}
}

// Platform sets the image's os/architecture[/variant].
func Platform(os, arch, variant string) ImageOption {
	return func(s *Spec) { s.OS, s.Architecture, s.Variant = os, arch, variant }
}

// ARM64 is the image as an Apple Silicon laptop builds it by default.
func ARM64() ImageOption { return Platform("linux", "arm64", "v8") }

// LegacyPython27 is the image of the original lab notes: FROM python:2.7, no
// ENTRYPOINT, CMD ["python","app.py"]. It must be graded valid.
func LegacyPython27() ImageOption {
	return func(s *Spec) {
		s.Layers[0] = map[string]string{
			"/usr/local/bin/python2.7": "#!placeholder python 2.7\n",
			"/usr/local/bin/python":    "#!placeholder python 2.7\n",
			"/etc/os-release":          "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\n",
		}
		s.RemoveFile("/usr/local/lib/python3.12/site-packages/flask/__init__.py")
		s.Layers[2]["/usr/local/lib/python2.7/site-packages/flask/__init__.py"] = "# placeholder\n"
		s.Entrypoint, s.Cmd = nil, []string{"python", "app.py"}
		s.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=2.7.18"}
	}
}

// WhiteoutAppPy adds a top layer deleting app.py (as "RUN rm app.py" does):
// the file is in a lower layer but not in the image.
func WhiteoutAppPy() ImageOption {
	return func(s *Spec) {
		s.Layers = append(s.Layers, map[string]string{path.Join(s.WorkingDir, ".wh.app.py"): ""})
	}
}

// OpaqueAppDir adds a top layer that makes the app directory opaque (as
// "RUN rm -rf /app && mkdir /app" does), keeping only a README.
func OpaqueAppDir() ImageOption {
	return func(s *Spec) {
		s.Layers = append(s.Layers, map[string]string{
			path.Join(s.WorkingDir, ".wh..wh..opq"): "",
			path.Join(s.WorkingDir, "README"):       "moved\n",
		})
	}
}

// DotSlashPaths names tar entries "./app/app.py".
func DotSlashPaths() ImageOption { return func(s *Spec) { s.DotSlash = true } }

// OCI uses OCI media types.
func OCI() ImageOption { return func(s *Spec) { s.OCI = true } }

// LessonIndex is a multi-platform index of the lesson's image, one image
// per platform ("linux/amd64", "linux/arm64/v8"; both when none given), as
// "docker buildx build --platform linux/amd64,linux/arm64" pushes it.
func LessonIndex(platforms ...string) v1.ImageIndex {
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64", "linux/arm64/v8"}
	}
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		parts := strings.Split(p, "/")
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		img := LessonImage(Platform(parts[0], parts[1], parts[2]))
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]},
		}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// BuildxIndex is what "docker buildx build --push" writes by default: an OCI
// index holding the image and a provenance attestation manifest whose
// platform is unknown/unknown.
func BuildxIndex(opts ...ImageOption) v1.ImageIndex {
	img := LessonImage(append([]ImageOption{OCI()}, opts...)...)
	d, err := img.Digest()
	if err != nil {
		panic(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	att := build(&Spec{
		Layers:    []map[string]string{{"/provenance.json": `{"_type":"https://in-toto.io/Statement/v0.1"}`}},
		CreatedBy: "test layer",
		OCI:       true,
	})
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	return mutate.AppendManifests(idx,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": d.String(),
			},
		}},
	)
}
