package checks

import (
	"fmt"
	"net/http"
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
			err = fmt.Errorf("no kubeconfig found (looked at --kubeconfig, $KUBECONFIG and ~/.kube/config); `minikube start` writes one")
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
// process, and counts the requests it lets through.
type readOnly struct {
	next  http.RoundTripper
	count *atomic.Int64
}

func (r *readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return nil, &ReadOnlyError{Method: req.Method, URL: req.URL.Path}
	}
	if r.count != nil {
		r.count.Add(1)
	}
	return r.next.RoundTrip(req)
}

// ReadOnlyConfig returns a copy of cfg whose transport refuses writes and
// counts requests in count (may be nil). timeout bounds each request.
func ReadOnlyConfig(cfg *rest.Config, count *atomic.Int64, timeout time.Duration) *rest.Config {
	c := rest.CopyConfig(cfg)
	prev := c.WrapTransport
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if prev != nil {
			rt = prev(rt)
		}
		return &readOnly{next: rt, count: count}
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
func NewClient(cfg *rest.Config, count *atomic.Int64, timeout time.Duration) (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(ReadOnlyConfig(cfg, count, timeout))
}
