package gather

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"

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

// Reachable asks the API server for its version (one small request) and
// says why it could not be reached, nil when it answered. kubelab check
// --watch asks it every few seconds: its watches say nothing while the
// server is gone (client-go retries a refused connection quietly).
func Reachable(ctx context.Context, cs kubernetes.Interface, server string) *snapshot.GatherError {
	if _, err := serverVersion(ctx, cs); err != nil {
		return classify(err, "reach the API server at "+server)
	}
	return nil
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
		return nil, fmt.Errorf("unable to parse the server version: %w", err)
	}
	return &info, nil
}

// GatherNamespaces reads the lesson's objects for each namespace: one
// namespace with one List per kind in it; several with one cluster-wide
// paged List per kind (NamespaceStream), falling back to one List per
// namespace when the grader may only read some namespaces.
func GatherNamespaces(ctx context.Context, cs kubernetes.Interface, namespaces []string) map[string]*snapshot.Namespace {
	names := append([]string(nil), namespaces...)
	sort.Slice(names, func(i, j int) bool { return NamespaceBefore(names[i], names[j]) })
	names = slices.Compact(names)
	announced := names
	if len(names) < 2 {
		announced = nil // read alone: Lists in the namespace
	}
	s := StreamNamespaces(ctx, cs, announced, PageSize)
	defer s.Close()
	out := make(map[string]*snapshot.Namespace, len(names))
	for _, ns := range names {
		out[ns] = s.Get(ctx, ns)
	}
	for _, ns := range s.Late() {
		out[ns] = s.Get(ctx, ns) // asked again: read alone
	}
	return out
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
