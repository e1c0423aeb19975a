package gather

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/moby/client"

	"github.com/kubelab/kubelab/snapshot"
	"k8s.io/client-go/tools/clientcmd"
)

// EnvProblem is one thing missing from a student's machine before any step
// can be checked. Kind says which (the caller words it in the student's
// language); Detail is the library's own text, kept as evidence only.
type EnvProblem struct {
	Kind   EnvKind
	Detail string
	// Context is the context a wrong-context problem would switch to.
	Context string
}

// EnvKind names an environment problem.
type EnvKind string

const (
	EnvNoKubeconfig  EnvKind = "no-kubeconfig"
	EnvBadKubeconfig EnvKind = "bad-kubeconfig"
	EnvWrongContext  EnvKind = "wrong-context"
	EnvClusterDown   EnvKind = "cluster-down"
	EnvUnauthorized  EnvKind = "cluster-unauthorized"
	EnvRegistryDown  EnvKind = "registry-down"
	EnvNoDocker      EnvKind = "docker-down"
)

// EnvOptions say what ProbeEnv looks at.
type EnvOptions struct {
	Kube Kube
	// Kubeconfig is the --kubeconfig path given ("" for kubectl's default).
	Kubeconfig string
	// Image is the student's image; its registry is probed (Docker Hub
	// when empty).
	Image    string
	Insecure bool
	// NoDocker leaves the Docker engine out (it only matters for building
	// and for the image.runs check).
	NoDocker bool
	// Timeout bounds each probe (default 5s).
	Timeout time.Duration
}

// ProbeEnv looks at what every step needs before it can be checked: a
// kubeconfig, a reachable cluster in the expected context, the image's
// registry and a running Docker engine. The probes run at once, each with
// its own short timeout, and only read: a GET of /version from the API
// server, an unauthenticated GET of /v2/ from the registry (any HTTP answer,
// 401 included, means it is reachable), a ping of the Docker engine.
func ProbeEnv(ctx context.Context, opt EnvOptions) []EnvProblem {
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	var (
		mu   sync.Mutex
		out  = map[int][]EnvProblem{}
		wg   sync.WaitGroup
		add  = func(i int, p EnvProblem) { mu.Lock(); out[i] = append(out[i], p); mu.Unlock() }
		jobs = []func(int){
			func(i int) {
				for _, p := range probeCluster(ctx, opt) {
					add(i, p)
				}
			},
			func(i int) {
				if p := probeRegistry(ctx, opt); p != nil {
					add(i, *p)
				}
			},
			func(i int) {
				if opt.NoDocker {
					return
				}
				if p := probeDocker(ctx, opt.Timeout); p != nil {
					add(i, *p)
				}
			},
		}
	)
	for i, j := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); j(i) }()
	}
	wg.Wait()
	// Always in the same order, the order a student fixes them in.
	var ps []EnvProblem
	for i := range jobs {
		ps = append(ps, out[i]...)
	}
	return ps
}

func probeCluster(ctx context.Context, opt EnvOptions) []EnvProblem {
	k := opt.Kube
	if k.Err != nil || k.Config == nil {
		detail := "no kubeconfig"
		if k.Err != nil {
			detail = k.Err.Error()
		}
		if k.Err == nil || errors.Is(k.Err, ErrNoKubeconfig) {
			return []EnvProblem{{Kind: EnvNoKubeconfig, Detail: detail}}
		}
		return []EnvProblem{{Kind: EnvBadKubeconfig, Detail: detail}}
	}
	cs, err := NewClient(k.Config, nil, opt.Timeout)
	if err != nil {
		return []EnvProblem{{Kind: EnvBadKubeconfig, Detail: err.Error()}}
	}
	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	if _, err = serverVersion(cctx, cs); err == nil {
		return nil
	}
	ge := classify(err, "reach the API server at "+k.Server)
	if ge.Kind == snapshot.ErrUnauthorized {
		return []EnvProblem{{Kind: EnvUnauthorized, Detail: ge.Detail}}
	}
	ps := []EnvProblem{{Kind: EnvClusterDown, Detail: ge.Detail}}
	// The lesson's cluster is minikube. When the current context is another
	// one and does not answer, but a minikube context exists, switching is
	// the fix; a student on another working cluster is never told to.
	if k.Context != "minikube" {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = opt.Kubeconfig
		if raw, err := rules.Load(); err == nil && raw.Contexts["minikube"] != nil {
			ps = []EnvProblem{{Kind: EnvWrongContext, Detail: ge.Detail, Context: "minikube"}}
		}
	}
	return ps
}

func probeRegistry(ctx context.Context, opt EnvOptions) *EnvProblem {
	img := opt.Image
	if img == "" {
		img = "library/python"
	}
	var nopts []name.Option
	if opt.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(img, nopts...)
	if err != nil {
		return nil // a bad --image is a usage error, reported elsewhere
	}
	reg := ref.Context().Registry
	host := reg.Name()
	if host == name.DefaultRegistry {
		host = "registry-1.docker.io"
	}
	u := reg.Scheme() + "://" + host + "/v2/"
	rctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return &EnvProblem{Kind: EnvRegistryDown, Detail: err.Error()}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return &EnvProblem{Kind: EnvRegistryDown, Detail: err.Error()}
	}
	resp.Body.Close()
	return nil
}

func probeDocker(ctx context.Context, timeout time.Duration) *EnvProblem {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return &EnvProblem{Kind: EnvNoDocker, Detail: err.Error()}
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return &EnvProblem{Kind: EnvNoDocker, Detail: "DOCKER_HOST=" + runDockerHostDesc() + ": " + err.Error()}
	}
	return nil
}
