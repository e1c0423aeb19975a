package gather

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Kube is how to reach a student's cluster.
type Kube struct {
	Config    *rest.Config
	Server    string
	Context   string
	Namespace string
	// Err is set when the kubeconfig could not be loaded; the cluster checks
	// then report it as an environment error.
	Err error
}

// ErrNoKubeconfig is Kube.Err when there is no kubeconfig at all (nothing
// has started a cluster yet), as opposed to one that cannot be read.
var ErrNoKubeconfig = errors.New("no kubeconfig found")

// LoadKube loads the kubeconfig exactly as kubectl does: --kubeconfig, else
// the KUBECONFIG list, else ~/.kube/config; --context overrides the current
// context; -n overrides the context's namespace, which defaults to "default".
func LoadKube(kubeconfig, context, namespace string) Kube {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	if namespace != "" {
		overrides.Context.Namespace = namespace
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	k := Kube{Context: context}
	raw, err := cc.RawConfig()
	if err == nil && k.Context == "" {
		k.Context = raw.CurrentContext
	}
	ns, _, nsErr := cc.Namespace()
	if nsErr != nil || ns == "" {
		ns = "default"
	}
	if namespace != "" {
		ns = namespace
	}
	k.Namespace = ns
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			err = fmt.Errorf("%w (looked at --kubeconfig, $KUBECONFIG and ~/.kube/config); `minikube start` writes one", ErrNoKubeconfig)
		}
		k.Err = err
		return k
	}
	k.Config, k.Server = cfg, cfg.Host
	return k
}

// ReadOnlyError is returned for any request that would change the cluster.
type ReadOnlyError struct{ Method, URL string }

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("kubelab is read-only: refused %s %s", e.Method, e.URL)
}

// readOnly refuses every request but GET and HEAD before it leaves the
// process, and counts the requests it lets through. It also keeps a server
// named by a kubeconfig (a student's, perhaps hostile) from taking the
// grader elsewhere or flooding it: a request to any host but the
// configured server's (a redirect) is refused before it is sent, so the
// credentials never reach that host, and an answer is read up to max bytes.
type readOnly struct {
	next  http.RoundTripper
	count *atomic.Int64
	// host is the configured server's host:port ("" allows any).
	host string
	// max caps each response body (0: no cap).
	max int64
	// truncate ends the body quietly at max instead of failing (for the
	// app probe through the service proxy, which keeps only a prefix).
	truncate bool
}

// MaxAPIResponseBytes caps each answer of the API server the grader reads.
// A cluster-wide List for a class of thousands is tens of megabytes; an
// endless answer is cut here instead of filling the memory.
var MaxAPIResponseBytes int64 = 256 << 20

// OtherHostError is returned when the API server redirects the grader to
// another host.
type OtherHostError struct{ Host, Server string }

func (e *OtherHostError) Error() string {
	return fmt.Sprintf("kubelab refused to follow the API server %s to another host (%s)", e.Server, e.Host)
}

// ResponseTooLargeError is returned when an answer is larger than allowed.
type ResponseTooLargeError struct {
	URL string
	Max int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("the API server's answer to %s is larger than %d MiB; kubelab stopped reading it", e.URL, e.Max>>20)
}

func (r *readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return nil, &ReadOnlyError{Method: req.Method, URL: req.URL.Path}
	}
	if r.host != "" {
		if h := hostPort(req.URL); h != r.host {
			return nil, &OtherHostError{Host: h, Server: r.host}
		}
	}
	if r.count != nil {
		r.count.Add(1)
	}
	resp, err := r.next.RoundTrip(req)
	if err == nil && r.max > 0 && resp.Body != nil {
		resp.Body = &cappedBody{rc: resp.Body, left: r.max, max: r.max, url: req.URL.Path, truncate: r.truncate}
	}
	return resp, err
}

// cappedBody reads at most max bytes of a body.
type cappedBody struct {
	rc        io.ReadCloser
	left, max int64
	url       string
	truncate  bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.truncate {
			return 0, io.EOF
		}
		return 0, &ResponseTooLargeError{URL: b.url, Max: b.max}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// hostPort is u's host with the scheme's default port made explicit.
func hostPort(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

// serverHost is the host:port requests to cfg go to ("" when unknown).
func serverHost(cfg *rest.Config) string {
	u, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil || u == nil || u.Host == "" {
		return ""
	}
	return hostPort(u)
}

// ReadOnlyConfig returns a copy of cfg whose transport refuses writes and
// requests to other hosts, caps each answer at MaxAPIResponseBytes, and
// counts requests in count (may be nil). timeout bounds each request.
func ReadOnlyConfig(cfg *rest.Config, count *atomic.Int64, timeout time.Duration) *rest.Config {
	return readOnlyConfig(cfg, count, timeout, MaxAPIResponseBytes, false)
}

func readOnlyConfig(cfg *rest.Config, count *atomic.Int64, timeout time.Duration, max int64, truncate bool) *rest.Config {
	c := rest.CopyConfig(cfg)
	prev := c.WrapTransport
	host := serverHost(cfg)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if prev != nil {
			rt = prev(rt)
		}
		return &readOnly{next: rt, count: count, host: host, max: max, truncate: truncate}
	}
	// The grader makes a handful of Lists; client-side throttling would only
	// slow a batch down.
	c.QPS, c.Burst = 200, 400
	if timeout > 0 {
		c.Timeout = timeout
	}
	c.UserAgent = "kubelab"
	return c
}

// NewClient returns a read-only clientset for cfg.
// It asks for protobuf, JSON as the fallback: every API server speaks
// protobuf for the built-in kinds, and a class's Lists decode several times
// faster from it, in less memory.
func NewClient(cfg *rest.Config, count *atomic.Int64, timeout time.Duration) (kubernetes.Interface, error) {
	c := ReadOnlyConfig(cfg, count, timeout)
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c.ContentType = "application/vnd.kubernetes.protobuf"
	return kubernetes.NewForConfig(c)
}
