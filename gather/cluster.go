package gather

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"
	"syscall"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/snapshot"
)

// GatherCluster reads the cluster-wide state: server version, nodes and
// kube-system pods. Each is one request.
func GatherCluster(ctx context.Context, cs kubernetes.Interface, server, context string) *snapshot.ClusterInfo {
	ci := &snapshot.ClusterInfo{Server: server, Context: context}
	v, err := serverVersion(ctx, cs)
	if err != nil {
		ci.Err = classify(err, "reach the API server at "+server)
		return ci
	}
	ci.Version = v.GitVersion
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		ci.NodesErr = classify(err, "list nodes")
	} else {
		ci.Nodes = nodes.Items
	}
	pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		ci.SystemErr = classify(err, "list pods in namespace kube-system")
	} else {
		ci.SystemPods = pods.Items
	}
	return ci
}

// serverVersion is Discovery().ServerVersion() bounded by ctx: client-go's
// own runs with context.TODO, so a server that accepts the connection and
// never answers would hold the grader for the client's whole request timeout
// whatever the deadline of the run.
func serverVersion(ctx context.Context, cs kubernetes.Interface) (*version.Info, error) {
	rc := cs.Discovery().RESTClient()
	if rc == nil || reflect.ValueOf(rc).IsNil() {
		return cs.Discovery().ServerVersion()
	}
	body, err := rc.Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	var info version.Info
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("unable to parse the server version: %v", err)
	}
	return &info, nil
}

// GatherNamespaces reads the lesson's objects for each namespace: one List
// per kind. With several namespaces it lists cluster-wide once per kind and
// splits the result, falling back to one List per namespace when the grader
// may only read some namespaces.
func GatherNamespaces(ctx context.Context, cs kubernetes.Interface, namespaces []string) map[string]*snapshot.Namespace {
	out := make(map[string]*snapshot.Namespace, len(namespaces))
	for _, ns := range namespaces {
		out[ns] = &snapshot.Namespace{Name: ns}
	}
	gatherKind(ctx, out, "deployments.apps", func(ns string) ([]appsv1.Deployment, error) {
		l, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(d *appsv1.Deployment) string { return d.Namespace },
		func(n *snapshot.Namespace, items []appsv1.Deployment, e *snapshot.GatherError) {
			n.Deployments, n.DeploymentsErr = items, e
		})
	gatherKind(ctx, out, "pods", func(ns string) ([]corev1.Pod, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(p *corev1.Pod) string { return p.Namespace },
		func(n *snapshot.Namespace, items []corev1.Pod, e *snapshot.GatherError) { n.Pods, n.PodsErr = items, e })
	gatherKind(ctx, out, "services", func(ns string) ([]corev1.Service, error) {
		l, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(s *corev1.Service) string { return s.Namespace },
		func(n *snapshot.Namespace, items []corev1.Service, e *snapshot.GatherError) {
			n.Services, n.ServicesErr = items, e
		})
	gatherKind(ctx, out, "endpointslices.discovery.k8s.io", func(ns string) ([]discoveryv1.EndpointSlice, error) {
		l, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(s *discoveryv1.EndpointSlice) string { return s.Namespace },
		func(n *snapshot.Namespace, items []discoveryv1.EndpointSlice, e *snapshot.GatherError) {
			n.EndpointSlices, n.EndpointSlicesErr = items, e
		})
	gatherKind(ctx, out, "events", func(ns string) ([]corev1.Event, error) {
		l, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(e *corev1.Event) string { return e.Namespace },
		func(n *snapshot.Namespace, items []corev1.Event, e *snapshot.GatherError) {
			n.Events, n.EventsErr = items, e
		})
	gatherKind(ctx, out, "replicasets.apps", func(ns string) ([]appsv1.ReplicaSet, error) {
		l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}, func(r *appsv1.ReplicaSet) string { return r.Namespace },
		func(n *snapshot.Namespace, items []appsv1.ReplicaSet, e *snapshot.GatherError) {
			n.ReplicaSets, n.ReplicaSetsErr = items, e
		})
	return out
}

// gatherKind lists one kind for every namespace in out, cluster-wide when
// there are several namespaces, and stores items (or the error) per namespace.
func gatherKind[T any](ctx context.Context, out map[string]*snapshot.Namespace, kind string,
	list func(ns string) ([]T, error), nsOf func(*T) string, set func(*snapshot.Namespace, []T, *snapshot.GatherError)) {
	if len(out) > 1 {
		items, err := list(metav1.NamespaceAll)
		if err == nil {
			by := map[string][]T{}
			for i := range items {
				ns := nsOf(&items[i])
				if _, want := out[ns]; want {
					by[ns] = append(by[ns], items[i])
				}
			}
			for ns, n := range out {
				set(n, by[ns], nil)
			}
			return
		}
		if !apierrors.IsForbidden(err) {
			// The server failed for everyone: the same error for each.
			for ns, n := range out {
				set(n, nil, classify(err, fmt.Sprintf("list %s in namespace %s", kind, ns)))
			}
			return
		}
		// Forbidden cluster-wide: read each namespace the grader may read.
	}
	for ns, n := range out {
		items, err := list(ns)
		if err != nil {
			set(n, nil, classify(err, fmt.Sprintf("list %s in namespace %s", kind, ns)))
			continue
		}
		set(n, items, nil)
	}
}

// classify turns a client error into a GatherError that says what happened
// without the student being blamed.
func classify(err error, what string) *snapshot.GatherError {
	ge := &snapshot.GatherError{Kind: snapshot.ErrOther, What: what, Detail: err.Error()}
	var se *apierrors.StatusError
	var other *OtherHostError
	var large *ResponseTooLargeError
	switch {
	case errors.As(err, &other):
		ge.Detail = other.Error()
	case errors.As(err, &large):
		ge.Detail = large.Error()
	case apierrors.IsForbidden(err):
		ge.Kind = snapshot.ErrForbidden
		resource, ns := forbiddenTarget(what)
		ge.Detail = fmt.Sprintf("forbidden: needs get/list on %s%s (%s)", resource, ns, trimDetail(err))
	case apierrors.IsUnauthorized(err):
		ge.Kind = snapshot.ErrUnauthorized
		ge.Detail = "unauthorized: the server refused the credentials in the kubeconfig"
	case errors.Is(err, context.DeadlineExceeded), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err), isNetTimeout(err):
		ge.Kind = snapshot.ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), isDNS(err):
		ge.Kind = snapshot.ErrUnreachable
	case errors.As(err, &se):
		ge.Detail = se.ErrStatus.Message
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			ge.Kind = snapshot.ErrUnreachable
		}
	}
	return ge
}

func forbiddenTarget(what string) (resource, ns string) {
	// what is "list <kind> in namespace <ns>" or "list nodes".
	f := strings.Fields(what)
	if len(f) >= 2 {
		resource = f[1]
	}
	if i := strings.Index(what, " in namespace "); i >= 0 {
		ns = " in namespace " + what[i+len(" in namespace "):]
	}
	return resource, ns
}

func trimDetail(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDNS(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de)
}
