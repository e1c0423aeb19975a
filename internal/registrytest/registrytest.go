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
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

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
