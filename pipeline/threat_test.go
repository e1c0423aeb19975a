package pipeline_test

// Tests behind docs/threat-model.md: what a student (or a server a
// student's kubeconfig or image names) could do to the grader, and that
// kubelab contains it.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// appTarget is a NodePort service whose node port is srv's port on
// 127.0.0.1 (the node's address), as the simulated cluster has it.
func appTarget(t *testing.T, srv *httptest.Server) (*snapshot.Target, []corev1.Node) {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: "budi"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 5000, NodePort: int32(p)}}}}
	nodes := []corev1.Node{{Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}}}}
	return &snapshot.Target{Service: svc}, nodes
}

// endless writes a body that never ends, fast.
func endless(w http.ResponseWriter, r *http.Request, prefix string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, prefix)
	chunk := bytes.Repeat([]byte(`{"metadata":{"name":"n"}},`), 1<<15)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// heapPeak samples the heap until stop is called and returns the peak.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// TestThreatAppEndlessBody: an app that answers with an endless body, fast
// or a byte at a time. app.responds finishes within its timeout and keeps
// at most MaxBody of the page.
func TestThreatAppEndlessBody(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	for name, h := range map[string]http.HandlerFunc{
		"fast": func(w http.ResponseWriter, r *http.Request) { endless(w, r, "<html>") },
		"trickle": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			for r.Context().Err() == nil {
				_, _ = w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			target, nodes := appTarget(t, srv)
			const timeout = 2 * time.Second
			start := time.Now()
			ap := gather.ProbeApp(context.Background(), target, nodes, nil, gather.AppOptions{Timeout: timeout, MaxBody: 64 << 10})
			took := time.Since(start)
			if took > timeout+time.Second {
				t.Errorf("the probe took %s, timeout %s", took, timeout)
			}
			if len(ap.Attempts) != 1 {
				t.Fatalf("attempts %+v", ap.Attempts)
			}
			if n := len(ap.Attempts[0].Body); n > 64<<10 {
				t.Errorf("kept %d bytes of the body, cap 64 KiB", n)
			}
			t.Logf("%s: %s, %s", name, took.Round(time.Millisecond), ap.Attempts[0].String())
		})
	}
}

// TestThreatAppRedirect: an app that redirects the browser to another host
// (here another local server standing in for anywhere). The grader records
// the redirect and does not follow it.
func TestThreatAppRedirect(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	var hits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer elsewhere.Close()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	}))
	defer app.Close()
	target, nodes := appTarget(t, app)
	ap := gather.ProbeApp(context.Background(), target, nodes, nil, gather.AppOptions{Timeout: 2 * time.Second})
	if hits.Load() != 0 {
		t.Errorf("the grader followed the redirect to %s", elsewhere.URL)
	}
	if len(ap.Attempts) != 1 || ap.Attempts[0].Status != http.StatusFound {
		t.Fatalf("attempts %+v, want one answered 302", ap.Attempts)
	}
}

// fakeAPIServer is a TLS server standing in for an API server a student's
// kubeconfig names; it returns a kubeconfig for it.
func fakeAPIServer(t *testing.T, h http.HandlerFunc) (string, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: the-students-token}
contexts:
- name: c
  context: {cluster: c, user: u, namespace: budi}
current-context: c
`, srv.URL)
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc, srv
}

const versionJSON = `{"major":"1","minor":"36","gitVersion":"v1.36.3"}`

// TestThreatAPIServerEndlessBody: a server a kubeconfig names answers a
// List with an endless body. The grader stops reading at its cap
// (MaxAPIResponseBytes) with an error saying so, instead of filling the
// memory (before the cap: 2.6 GB of heap in five seconds).
func TestThreatAPIServerEndlessBody(t *testing.T) {
	old := gather.MaxAPIResponseBytes
	gather.MaxAPIResponseBytes = 8 << 20
	defer func() { gather.MaxAPIResponseBytes = old }()
	kc, _ := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			fmt.Fprint(w, versionJSON)
			return
		}
		endless(w, r, `{"kind":"NodeList","apiVersion":"v1","items":[`)
	})
	k := gather.LoadKube(kc, "", "")
	cs, err := gather.NewClient(k.Config, nil, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	stop := heapPeak()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	ci := gather.GatherCluster(ctx, cs, k.Server, "")
	took, peak := time.Since(start), stop()
	t.Logf("endless List: %s, heap peak %d MiB, %v", took.Round(time.Millisecond), peak>>20, ci.NodesErr)
	if ci.NodesErr == nil || !strings.Contains(ci.NodesErr.Detail, "larger than 8 MiB") {
		t.Errorf("nodes error %v, want the size cap", ci.NodesErr)
	}
	if took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	if peak > 200<<20 {
		t.Errorf("heap peaked at %d MiB reading an endless answer capped at 8 MiB", peak>>20)
	}
}

// TestThreatAPIServerRedirect: a server a kubeconfig names redirects the
// grader to another host. The request to that host is never sent (so the
// kubeconfig's token never reaches it) and the cluster checks say why.
func TestThreatAPIServerRedirect(t *testing.T) {
	var hits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, versionJSON)
	}))
	defer elsewhere.Close()
	kc, _ := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	k := gather.LoadKube(kc, "", "")
	cs, err := gather.NewClient(k.Config, nil, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ci := gather.GatherCluster(context.Background(), cs, k.Server, "")
	if hits.Load() != 0 {
		t.Errorf("the grader followed the API server to another host %d time(s)", hits.Load())
	}
	if ci.Err == nil || !strings.Contains(ci.Err.Detail, "refused to follow") {
		t.Errorf("cluster error %v, want the refused redirect", ci.Err)
	}
}

// TestThreatServiceProxyEndlessBody: through the API server's service
// proxy, an app's endless page is read up to MaxBody within the timeout.
func TestThreatServiceProxyEndlessBody(t *testing.T) {
	kc, _ := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) { endless(w, r, "<html>") })
	k := gather.LoadKube(kc, "", "")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: "budi"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Port: 5000}}}}
	stop := heapPeak()
	start := time.Now()
	ap := gather.ProbeApp(context.Background(), &snapshot.Target{Service: svc}, nil, k.Config,
		gather.AppOptions{Timeout: 2 * time.Second, ServiceProxy: true, MaxBody: 64 << 10})
	took, peak := time.Since(start), stop()
	if len(ap.Attempts) != 1 || ap.Attempts[0].Via != "service-proxy" {
		t.Fatalf("attempts %+v", ap.Attempts)
	}
	if n := len(ap.Attempts[0].Body); n > 64<<10 {
		t.Errorf("kept %d bytes", n)
	}
	if took > 3*time.Second || peak > 200<<20 {
		t.Errorf("took %s, heap peak %d MiB", took, peak>>20)
	}
	t.Logf("service proxy, endless page: %s, heap peak %d MiB, %s", took.Round(time.Millisecond), peak>>20, ap.Attempts[0].String())
}

// TestThreatKubeconfigRunsPrograms: a kubeconfig a student hands in may
// name a program to run for credentials, or files of the grader's to read
// and send. VetKubeconfig refuses each (kubelab grade checks every roster
// kubeconfig with it before grading); an inline kubeconfig passes.
func TestThreatKubeconfigRunsPrograms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, user, cluster string) string {
		p := filepath.Join(dir, name)
		cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"" + cluster + "}\n" +
			"users:\n- name: u\n  user:\n" + user + "\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n"
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, c := range map[string]struct{ user, cluster, want string }{
		"exec":          {"    exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: [-c, 'touch /tmp/pwned'], interactiveMode: Never}", "", "runs a program"},
		"auth-provider": {"    auth-provider: {name: gcp, config: {cmd-path: /bin/sh}}", "", "auth provider"},
		"token file":    {"    tokenFile: /etc/shadow", "", "reads its token from the file"},
		"client cert":   {"    client-certificate: /home/lecturer/.kube/admin.crt\n    client-key: /home/lecturer/.kube/admin.key", "", "client certificate or key from a file"},
		"CA file":       {"    token: x", ", certificate-authority: /dev/zero", "CA certificate from the file"},
	} {
		err := gather.VetKubeconfig(write(strings.ReplaceAll(name, " ", "-"), c.user, c.cluster))
		var ue *gather.UnsafeKubeconfigError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--flatten") {
			t.Errorf("%s: %v, want it refused (%q)", name, err, c.want)
		}
	}
	ok := write("inline", "    token: the-students-token\n    client-certificate-data: "+"TUlJ", ", certificate-authority-data: TUlJ")
	if err := gather.VetKubeconfig(ok); err != nil {
		t.Errorf("an inline kubeconfig refused: %v", err)
	}
}

// gzipBomb is a layer whose first entry inflates to size bytes of zeros
// (a few hundred KiB on the wire), followed by the lesson's files.
func gzipBomb(t *testing.T, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "app/zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"app/app.py": registrytest.AppPy, "app/requirements.txt": registrytest.Requirements} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestThreatImageGzipBomb: an image whose top layer inflates to far more
// than it weighs before the lesson's files. image.files stops at its cap
// (MaxReadBytes) with an error, not a failure; under the cap it reads
// through and finds the files.
func TestThreatImageGzipBomb(t *testing.T) {
	reg := registrytest.New(t)
	const bomb = 256 << 20
	data := gzipBomb(t, bomb)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(registrytest.LessonImage(), layer)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Push(t, reg, "student/bomb:latest", img)
	ref := reg.Ref("student/bomb:latest")
	t.Logf("a %d MiB layer inflating to %d MiB", len(data)>>20, bomb>>20)

	stop := heapPeak()
	start := time.Now()
	info := gather.GatherImage(context.Background(), ref, gather.ImageOptions{Insecure: true, MaxReadBytes: 32 << 20})
	took, peak := time.Since(start), stop()
	if info.Err != nil || info.FilesErr == nil || !strings.Contains(info.FilesErr.Detail, "more than 32 MiB") {
		t.Fatalf("Err %v FilesErr %v, want the read cap", info.Err, info.FilesErr)
	}
	t.Logf("capped at 32 MiB: %s, heap peak %d MiB", took.Round(time.Millisecond), peak>>20)
	if peak > 200<<20 {
		t.Errorf("heap peaked at %d MiB", peak>>20)
	}
	snap := &snapshot.Snapshot{Image: info}
	lab := builtinLab(t)
	for _, r := range checks.Evaluate(lab, snap, "en", nil, nil) {
		if r.ID == "image.files" && r.Status != report.Error {
			t.Errorf("image.files = %s when the cap stopped the read, want error: %s", r.Status, r.Message)
		}
	}

	// Under the default cap (2 GiB) the layer is read through.
	info = gather.GatherImage(context.Background(), ref, gather.ImageOptions{Insecure: true})
	if info.FilesErr != nil || info.Files["/app/app.py"] == nil {
		t.Errorf("under the cap: FilesErr %v, files %v", info.FilesErr, info.Files)
	}
}

// TestThreatLyingClusterHostileText: a cluster that lies about itself with
// markup and terminal escapes in what it reports. The report carries the
// text, and every renderer neutralises it.
func TestThreatLyingClusterHostileText(t *testing.T) {
	hostile := "<script>alert(1)</script>\x1b[2J\x1b]0;pwned\x07"
	q, _ := json.Marshal(hostile)
	kc, _ := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			fmt.Fprintf(w, `{"major":"1","minor":"36","gitVersion":%s}`, q)
		case "/api/v1/nodes":
			fmt.Fprintf(w, `{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"minikube"},"status":{"conditions":[{"type":"Ready","status":"False","reason":%s,"message":%s}]}}]}`, q, q)
		default:
			fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","items":[]}`)
		}
	})
	lab := builtinLab(t)
	r := pipeline.Grade(context.Background(), pipeline.Request{Job: pipeline.Job{Lab: lab, Lang: "en", Image: "budi/hello-flask", Steps: map[string]bool{"your-cluster": true}}, Kube: gather.LoadKube(kc, "", ""),
		Timeout: 20 * time.Second})
	js, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`\u003cscript\u003e`)) {
		t.Fatalf("the hostile text did not reach the report (the test proves nothing):\n%s", js)
	}
	for _, f := range report.FormatNames() {
		var out bytes.Buffer
		if err := report.Render(&out, f, r, report.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		// Markup matters where a browser or a Markdown/XML reader will
		// read it; the terminal text and the CSV keep the text as text.
		if f != "text" && f != "csv" && bytes.Contains(out.Bytes(), []byte("<script>alert")) {
			t.Errorf("%s: raw <script> from the cluster", f)
		}
		if bytes.ContainsAny(out.Bytes(), "\x1b\x07") {
			t.Errorf("%s: a terminal escape from the cluster", f)
		}
	}
}
