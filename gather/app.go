package gather

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/internal/netguard"
	"github.com/kubelab/kubelab/snapshot"
)

// AppOptions control how the app is reached.
type AppOptions struct {
	// Path requested (default "/").
	Path string
	// Timeout per attempt (default 5s).
	Timeout time.Duration
	// ServiceProxy allows the last resort, the API server's service proxy.
	// It makes the API server dial a pod IP; off against the simulated
	// cluster, whose pod IPs are fake.
	ServiceProxy bool
	// MaxBody caps what is read of an answer (default 64 KiB): an app that
	// answers with an endless body cannot stall or flood the grader.
	MaxBody int64
}

// ProbeApp reaches the app the way a browser would on minikube: the
// LoadBalancer's ingress address (minikube tunnel), else a node address with
// the NodePort (minikube service), else the API server's service proxy. It
// stops at the first way that answers 2xx and records every attempt.
func ProbeApp(ctx context.Context, t *snapshot.Target, nodes []corev1.Node, cfg *rest.Config, opt AppOptions) *snapshot.AppProbe {
	if opt.Path == "" {
		opt.Path = "/"
	}
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.MaxBody == 0 {
		opt.MaxBody = 64 << 10
	}
	ap := &snapshot.AppProbe{}
	if t == nil || t.Service == nil {
		return ap
	}
	svc := t.Service
	client := &http.Client{
		Timeout: opt.Timeout,
		// One transport per probe and no idle connections: a pooled
		// connection (and its two goroutines) would outlive the probe, one
		// per student of a class.
		Transport: &http.Transport{DialContext: netguard.Dialer(opt.Timeout).DialContext, Proxy: nil, DisableKeepAlives: true},
		// A browser follows redirects, but a redirect could send the grader
		// anywhere; record it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	try := func(via, url string) bool {
		a := snapshot.AppAttempt{Via: via, URL: url}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			req.Header.Set("User-Agent", "kubelab")
			var resp *http.Response
			resp, err = client.Do(req)
			if err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, opt.MaxBody))
				resp.Body.Close()
				a.Status, a.Body = resp.StatusCode, string(body)
			}
		}
		if err != nil {
			a.Err = shortErr(err)
		}
		ap.Attempts = append(ap.Attempts, a)
		return a.Err == "" && a.Status >= 200 && a.Status < 300
	}
	for _, sp := range svc.Spec.Ports {
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			for _, ing := range svc.Status.LoadBalancer.Ingress {
				host := ing.IP
				if host == "" {
					host = ing.Hostname
				}
				if host != "" && try("loadbalancer", "http://"+net.JoinHostPort(host, strconv.Itoa(int(sp.Port)))+opt.Path) {
					return ap
				}
			}
		}
		if sp.NodePort != 0 {
			for _, addr := range nodeAddresses(nodes) {
				if try("nodeport", "http://"+net.JoinHostPort(addr, strconv.Itoa(int(sp.NodePort)))+opt.Path) {
					return ap
				}
			}
		}
	}
	if opt.ServiceProxy && cfg != nil && len(svc.Spec.Ports) > 0 {
		a := snapshot.AppAttempt{Via: "service-proxy", URL: fmt.Sprintf("%s/api/v1/namespaces/%s/services/%s:%d/proxy%s", cfg.Host, svc.Namespace, svc.Name, svc.Spec.Ports[0].Port, opt.Path)}
		cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
		// Read-only, never to another host, and at most MaxBody of the
		// answer is read (an endless page must not fill the memory).
		rc, err := rest.RESTClientFor(restForProxy(readOnlyConfig(cfg, nil, opt.Timeout, opt.MaxBody, true)))
		if err == nil {
			var status int
			res := rc.Get().AbsPath("/api/v1/namespaces", svc.Namespace, "services", fmt.Sprintf("%s:%d", svc.Name, svc.Spec.Ports[0].Port), "proxy").Suffix(opt.Path).Do(cctx)
			res.StatusCode(&status)
			raw, rerr := res.Raw()
			a.Status = status
			if len(raw) > int(opt.MaxBody) {
				raw = raw[:opt.MaxBody]
			}
			a.Body = string(raw)
			if rerr != nil && status == 0 {
				err = rerr
			}
		}
		if err != nil {
			a.Err = shortErr(err)
		}
		ap.Attempts = append(ap.Attempts, a)
	}
	return ap
}

func restForProxy(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.APIPath = "/api"
	c.NegotiatedSerializer = noSerializer{}
	return c
}

// nodeAddresses lists the nodes' reachable addresses, InternalIP first (what
// `minikube service` opens), then ExternalIP.
func nodeAddresses(nodes []corev1.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, typ := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP} {
		for _, n := range nodes {
			for _, a := range n.Status.Addresses {
				if a.Type == typ && !seen[a.Address] {
					seen[a.Address] = true
					out = append(out, a.Address)
				}
			}
		}
	}
	return out
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i > 0 && strings.Contains(s, "dial tcp") {
		s = "connection failed: " + s[i+2:]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
