package gather

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/snapshot"
)

// TestStreamNamespacesRealServer: a class streamed page by page from a real
// API server gets, for every namespace, the objects a List of that
// namespace alone returns, whatever the order the students ask in, with
// namespaces whose names prefix each other ("web", "web-1": '-' sorts
// before '/' in the server's keys), a namespace two students share, and one
// nobody announced.
func TestStreamNamespacesRealServer(t *testing.T) {
	c := simclustertest.StartT(t, simcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	names := []string{"a", "web", "web-1", "web-10", "web1", "shared", "z", "other"}
	for _, ns := range names {
		script := fmt.Sprintf("create namespace %[1]s\ncreate deployment hello -n %[1]s --image=example.test/hello:1 --replicas=2\n"+
			"create deployment second -n %[1]s --image=example.test/hello:1\nexpose deployment hello -n %[1]s --port=5000\n", ns)
		for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
			if out, err := c.Kubectl(ctx, strings.Fields(line)...); err != nil {
				t.Fatalf("kubectl %s: %v\n%s", line, err, out)
			}
		}
	}
	var requests atomic.Int64
	cfg, err := c.RestConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := NewClient(cfg, &requests, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Wait until every pod exists: the two reads below must see the same.
	deadline := time.Now().Add(time.Minute)
	for {
		pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		n := 0
		if err == nil {
			for _, p := range pods.Items {
				if p.Namespace != "kube-system" && p.Spec.NodeName != "" {
					n++
				}
			}
		}
		if n == 3*len(names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods scheduled: %d, want %d (%v)", n, 3*len(names), err)
		}
		time.Sleep(300 * time.Millisecond)
	}

	announced := []string{"z", "web-1", "a", "shared", "web", "shared", "web1", "web-10"}
	requests.Store(0)
	s := StreamNamespaces(ctx, cs, announced, 2) // pages of 2: every namespace spans pages
	defer s.Close()
	// Asked in an order unlike the server's: the stream keeps what is asked
	// for later.
	got := map[string]*snapshot.Namespace{}
	for _, ns := range []string{"web", "a", "z", "shared", "web-10", "web-1", "web1", "other"} {
		got[ns] = s.Get(ctx, ns)
	}
	second := s.Get(ctx, "shared")
	if second != got["shared"] {
		t.Errorf("the second student of namespace shared got another read")
	}
	if late := s.Late(); len(late) != 0 {
		t.Errorf("Late() = %v, want none from a server paging in key order", late)
	}
	paged := requests.Load()
	for _, ns := range names {
		alone := GatherNamespaces(ctx, cs, []string{ns})[ns]
		if d := diffNamespace(got[ns], alone); d != "" {
			t.Errorf("namespace %s streamed unlike its own Lists: %s", ns, d)
		}
		if len(got[ns].Deployments) != 2 || len(got[ns].Pods) != 3 || len(got[ns].Services) != 1 || len(got[ns].ReplicaSets) != 2 {
			t.Errorf("namespace %s: %d deployments, %d pods, %d services, %d replicasets; want 2, 3, 1, 2", ns,
				len(got[ns].Deployments), len(got[ns].Pods), len(got[ns].Services), len(got[ns].ReplicaSets))
		}
		for _, p := range got[ns].Pods {
			if p.ManagedFields != nil {
				t.Errorf("pod %s/%s kept its managedFields", ns, p.Name)
			}
		}
	}
	// 8 namespaces of 2 deployments at 2 a page is 8 pages (plus the
	// kube-system objects); "other" costs one List per kind.
	if paged < 6*2 || paged > 150 {
		t.Errorf("%d requests for the stream", paged)
	}
	t.Logf("%d requests for 8 namespaces in pages of 2", paged)
}

func diffNamespace(a, b *snapshot.Namespace) string {
	names := func(kind string, metas []string) string {
		sort.Strings(metas)
		return kind + "=" + strings.Join(metas, ",")
	}
	sum := func(n *snapshot.Namespace) string {
		var d, p, sv, rs, sl []string
		for _, x := range n.Deployments {
			d = append(d, x.Name)
		}
		for _, x := range n.Pods {
			p = append(p, x.Name)
		}
		for _, x := range n.Services {
			sv = append(sv, x.Name)
		}
		for _, x := range n.ReplicaSets {
			rs = append(rs, x.Name)
		}
		for _, x := range n.EndpointSlices {
			sl = append(sl, x.Name)
		}
		errs := fmt.Sprint(n.DeploymentsErr, n.PodsErr, n.ServicesErr, n.EndpointSlicesErr, n.EventsErr, n.ReplicaSetsErr)
		return strings.Join([]string{names("deployments", d), names("pods", p), names("services", sv),
			names("replicasets", rs), names("endpointslices", sl), errs}, " ")
	}
	if sa, sb := sum(a), sum(b); sa != sb {
		return sa + " != " + sb
	}
	return ""
}

// fakePages serves deployments from a fixed list of pages; a page's error
// is returned instead of its items.
type fakePages struct {
	pages  [][]string // "namespace/name"
	errs   map[int]error
	calls  []string
	perNS  map[string]int
	served int
}

func (f *fakePages) list(_ context.Context, ns string, o metav1.ListOptions) ([]appsv1.Deployment, string, error) {
	if ns != "" {
		f.perNS[ns]++
		return []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alone"}}}, "", nil
	}
	i := 0
	if o.Continue != "" {
		fmt.Sscanf(o.Continue, "page-%d", &i)
	}
	f.calls = append(f.calls, o.Continue)
	if err := f.errs[i]; err != nil {
		delete(f.errs, i)
		return nil, "", err
	}
	var items []appsv1.Deployment
	for _, k := range f.pages[i] {
		ns, name, _ := strings.Cut(k, "/")
		items = append(items, appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}})
	}
	f.served++
	next := ""
	if i+1 < len(f.pages) {
		next = fmt.Sprintf("page-%d", i+1)
	}
	return items, next, nil
}

func testStream(f *fakePages, announced ...string) *NamespaceStream {
	ctx, cancel := context.WithCancel(context.Background())
	f.perNS = map[string]int{}
	s := &NamespaceStream{claims: map[string]int{}, built: map[string]*snapshot.Namespace{},
		handed: map[string]bool{}, late: map[string]bool{}, owned: map[string]bool{}, cancel: cancel}
	for _, ns := range announced {
		s.claims[ns]++
		s.owned[ns] = true
	}
	s.kinds = []kindReader{newKindStream(ctx, s, "deployments.apps", 2, func(ns string) bool { return s.claims[ns] > 0 }, f.list,
		func(d *appsv1.Deployment) *metav1.ObjectMeta { return &d.ObjectMeta },
		func(n *snapshot.Namespace, items []appsv1.Deployment, e *snapshot.GatherError) {
			n.Deployments, n.DeploymentsErr = items, e
		})}
	return s
}

func deployNames(n *snapshot.Namespace) string {
	if n.DeploymentsErr != nil {
		return "error: " + n.DeploymentsErr.Error()
	}
	var out []string
	for _, d := range n.Deployments {
		out = append(out, d.Name)
	}
	return strings.Join(out, ",")
}

func TestStreamPaths(t *testing.T) {
	gone := apierrors.NewResourceExpired("The provided continue parameter is too old")
	gone.ErrStatus.ListMeta.Continue = "page-2"
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", errors.New("no"))
	down := apierrors.NewInternalError(errors.New("etcd is down"))
	for _, tt := range []struct {
		name      string
		pages     [][]string
		errs      map[int]error
		announced []string
		ask       []string
		want      map[string]string
		late      []string
		perNS     int
	}{
		{name: "key order, asked in order",
			pages:     [][]string{{"a/1", "a/2"}, {"b/1", "c/1"}, {"c/2"}},
			announced: []string{"a", "b", "c"}, ask: []string{"a", "b", "c"},
			want: map[string]string{"a": "1,2", "b": "1", "c": "1,2"}},
		{name: "asked backwards: later namespaces are kept until asked",
			pages:     [][]string{{"a/1", "a/2"}, {"b/1", "c/1"}, {"c/2"}},
			announced: []string{"a", "b", "c"}, ask: []string{"c", "b", "a"},
			want: map[string]string{"a": "1,2", "b": "1", "c": "1,2"}},
		{name: "a namespace with no objects, and one nobody announced",
			pages:     [][]string{{"a/1", "x/1"}, {"z/1"}},
			announced: []string{"a", "m", "z"}, ask: []string{"a", "m", "z", "q"},
			want:  map[string]string{"a": "1", "m": "", "z": "1", "q": "alone"},
			perNS: 1},
		{name: "continue token expired: go on from the inconsistent token",
			pages:     [][]string{{"a/1"}, {"b/1"}, {"c/1"}},
			errs:      map[int]error{1: gone},
			announced: []string{"a", "b", "c"}, ask: []string{"a", "b", "c"},
			// b's page was skipped by the server's token: b has no objects
			// at the newer state as far as the server is concerned.
			want: map[string]string{"a": "1", "b": "", "c": "1"}},
		{name: "forbidden cluster-wide: one List per namespace",
			pages:     [][]string{{"a/1"}},
			errs:      map[int]error{0: forbidden},
			announced: []string{"a", "b"}, ask: []string{"a", "b"},
			want:  map[string]string{"a": "alone", "b": "alone"},
			perNS: 2},
		{name: "the server fails outright: the same error for everyone",
			pages:     [][]string{{"a/1"}},
			errs:      map[int]error{0: down},
			announced: []string{"a", "b"}, ask: []string{"a", "b"},
			want: map[string]string{"a": "error: list deployments.apps in namespace a: other: Internal error occurred: etcd is down",
				"b": "error: list deployments.apps in namespace b: other: Internal error occurred: etcd is down"}},
		{name: "paging breaks midway: the rest namespace by namespace",
			pages:     [][]string{{"a/1", "b/1"}, {"b/2", "c/1"}},
			errs:      map[int]error{1: down},
			announced: []string{"a", "b", "c"}, ask: []string{"a", "b", "c"},
			want:  map[string]string{"a": "1", "b": "alone", "c": "alone"},
			perNS: 2},
		{name: "out of key order: the namespace given out early is late",
			pages:     [][]string{{"a/1", "b/1"}, {"a/2", "c/1"}},
			announced: []string{"a", "b", "c"}, ask: []string{"a", "b", "c"},
			want: map[string]string{"a": "1", "b": "1", "c": "1"},
			late: []string{"a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePages{pages: tt.pages, errs: tt.errs}
			s := testStream(f, tt.announced...)
			defer s.Close()
			ctx := context.Background()
			for _, ns := range tt.ask {
				n := s.Get(ctx, ns)
				if got := deployNames(n); got != tt.want[ns] {
					t.Errorf("namespace %s: %q, want %q", ns, got, tt.want[ns])
				}
				for _, d := range n.Deployments {
					if d.ManagedFields != nil {
						t.Errorf("%s/%s kept managedFields", ns, d.Name)
					}
				}
			}
			// Asked again after every announced student had it: read alone.
			if got := s.Late(); strings.Join(got, ",") != strings.Join(tt.late, ",") {
				t.Errorf("Late() = %v, want %v", got, tt.late)
			}
			perNS := 0
			for _, n := range f.perNS {
				perNS += n
			}
			if perNS != tt.perNS {
				t.Errorf("%d Lists of one namespace, want %d", perNS, tt.perNS)
			}
			if len(s.built) != 0 || len(s.claims) != 0 {
				t.Errorf("the stream still holds %d namespaces and %d claims after every student had theirs", len(s.built), len(s.claims))
			}
		})
	}
}

// TestStreamWaitsWithinTheStudentsTime: a student whose time runs out
// waiting for a page gets a timeout error, not an empty namespace.
func TestStreamWaitsWithinTheStudentsTime(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	s := &NamespaceStream{claims: map[string]int{"a": 1}, built: map[string]*snapshot.Namespace{}, handed: map[string]bool{}, late: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	defer s.Close()
	s.kinds = []kindReader{newKindStream(ctx, s, "deployments.apps", 2, func(string) bool { return true },
		func(ctx context.Context, _ string, _ metav1.ListOptions) ([]appsv1.Deployment, string, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return nil, "", ctx.Err()
		}, func(d *appsv1.Deployment) *metav1.ObjectMeta { return &d.ObjectMeta },
		func(n *snapshot.Namespace, items []appsv1.Deployment, e *snapshot.GatherError) {
			n.Deployments, n.DeploymentsErr = items, e
		})}
	sctx, scancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer scancel()
	n := s.Get(sctx, "a")
	if n.DeploymentsErr == nil || n.DeploymentsErr.Kind != snapshot.ErrTimeout {
		t.Fatalf("DeploymentsErr = %v, want a timeout", n.DeploymentsErr)
	}
}
