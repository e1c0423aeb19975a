package simcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ServeApp stands in for kube-proxy and the student's app on the simulated
// node: for each port of the service that has a NodePort, it serves handler
// on 127.0.0.1:<nodePort>, the address `minikube service` would open (the
// node's InternalIP is 127.0.0.1). With lb set, it also serves on
// 127.0.0.1:<port>, standing in for `minikube tunnel` after
// SetLoadBalancerIP. It returns a function that stops the servers.
func (c *Cluster) ServeApp(ctx context.Context, ns, service string, handler http.Handler, lb bool) (stop func(), err error) {
	out, err := c.Kubectl(ctx, "-n", ns, "get", "service", service, "-o", "json")
	if err != nil {
		return nil, err
	}
	var svc corev1.Service
	if err := json.Unmarshal([]byte(out), &svc); err != nil {
		return nil, err
	}
	var servers []*http.Server
	stop = func() {
		for _, s := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.Shutdown(ctx)
			cancel()
		}
	}
	listen := func(port int32) error {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(int(port)))
		if err != nil {
			return fmt.Errorf("simcluster: standing in for the app on port %d: %w", port, err)
		}
		s := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, s)
		go func() { _ = s.Serve(l) }()
		return nil
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			if err := listen(p.NodePort); err != nil {
				stop()
				return nil, err
			}
		}
		if lb {
			if err := listen(p.Port); err != nil {
				stop()
				return nil, err
			}
		}
	}
	if len(servers) == 0 {
		return nil, errors.New("simcluster: the service has no NodePort to stand in for")
	}
	return stop, nil
}

// SetLoadBalancerIP gives a LoadBalancer service the ingress address
// 127.0.0.1, as `minikube tunnel` gives one on some systems. (The API server
// accepts a loopback ingress; nothing else in the cluster uses it.)
func (c *Cluster) SetLoadBalancerIP(ctx context.Context, ns, service string) error {
	_, err := c.Kubectl(ctx, "-n", ns, "patch", "service", service, "--subresource=status", "--type=merge",
		"-p", `{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}`)
	return err
}

// FlaskStandIn answers like the lesson's Flask app.
var FlaskStandIn = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "Hello from Flask on Kubernetes!")
})
