package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/goldentest"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
)

var update = flag.Bool("update", false, "rewrite report/testdata/*.json from the real grading run")

// Hostile is text a student controls (their name, the app's page, the
// image's command) that tries to break every format kubelab renders.
const Hostile = "<script>window.__pwned=1;document.title='pwned'</script><img src=x onerror=\"window.__pwned=2\"> \"quotes\" {{.}} ]]> | `tick` =1+1 @here"

// hostileApp answers like a Flask app whose page is hostile.
var hostileApp = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, Hostile)
})

// fixtureRun is one real grading run saved as a report fixture.
type fixtureRun struct {
	file, scenario, lang, image string
	app                         http.Handler
	student                     report.Student
	// steps limits the run as `kubelab check --step` does; lesson marks
	// the runs whose text the lessons show (content/testdata).
	steps  []string
	lesson bool
}

// lessonTestdata holds the runs the lessons show as kubelab's output
// (content's TestLessonOutputs renders them into the Markdown).
const lessonTestdata = "../content/testdata"

// TestReportFixtures grades real scenarios on the simulated cluster with
// fingerprinting on, normalises what changes from run to run (times,
// ports, digests, generated names, durations) and compares the reports
// with report/testdata/*.json, the fixtures the report package renders
// its golden files from. With -update it writes them.
func TestReportFixtures(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	registrytest.Push(t, reg, "budi/hostile:latest", registrytest.LessonImage(registrytest.Command([]string{"python"}, []string{"app.py", Hostile})))
	lab := builtinLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	runs := []fixtureRun{
		{file: "correct.json", scenario: "correct", lang: "en", image: "budi/hello-flask:latest", app: simcluster.FlaskStandIn,
			student: report.Student{ID: "2201234", Name: "Budi Santoso"}},
		{file: "mistakes.json", scenario: "crash-loop", lang: "id", image: "budi/hello-flask:latest",
			student: report.Student{ID: "2205678", Name: "Sari Dewi"}},
		{file: "hostile.json", scenario: "correct", lang: "en", image: "budi/hostile:latest", app: hostileApp,
			student: report.Student{ID: "x" + Hostile, Name: Hostile}},
		// Step 20 of the lesson: `kubelab check --step expose` for a
		// student who exposed a NodePort instead of a LoadBalancer, in the
		// language of each lesson.
		{file: "expose-nodeport.en.json", scenario: "nodeport", lang: "en", image: "budi/hello-flask:latest", steps: []string{"expose"}, lesson: true},
		{file: "expose-nodeport.id.json", scenario: "nodeport", lang: "id", image: "budi/hello-flask:latest", steps: []string{"expose"}, lesson: true},
	}
	for _, run := range runs {
		t.Run(run.file, func(t *testing.T) {
			ns := "report-" + strings.TrimSuffix(run.file, ".json")
			if run.lesson {
				ns = "lesson-" + strings.ReplaceAll(strings.TrimSuffix(run.file, ".json"), ".", "-")
			}
			var steps map[string]bool
			for _, s := range run.steps {
				if steps == nil {
					steps = map[string]bool{}
				}
				steps[s] = true
			}
			image := reg.Ref(run.image)
			st := &simcluster.Student{C: c, Namespace: ns, Image: image}
			if err := st.Play(ctx, run.scenario); err != nil {
				t.Fatal(err)
			}
			if run.app != nil {
				stop, err := c.ServeApp(ctx, ns, "hello-flask", run.app, false)
				if err != nil {
					t.Fatal(err)
				}
				defer stop()
			}
			r := pipeline.Grade(ctx, pipeline.Request{
				Job:         pipeline.Job{Lab: lab, Lang: run.lang, Image: image, Student: run.student, Steps: steps},
				Kube:        gather.LoadKube(c.Kubeconfig, "", ns),
				ImageOpts:   gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
				NoRun:       true,
				Fingerprint: !run.lesson, // a student's check fingerprints only when signing
			})
			if !run.lesson && (r.Fingerprint == nil || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(r.Fingerprint.Cluster) || r.Fingerprint.ImageDigest != r.Target.Digest || r.Target.Digest == "") {
				t.Fatalf("fingerprint not recorded: %+v (digest %q)", r.Fingerprint, r.Target.Digest)
			}
			// The fingerprint is the CA the kubeconfig trusts plus the real
			// kube-system UID.
			cs, err := c.Clientset()
			if err != nil {
				t.Fatal(err)
			}
			ksys, err := cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := report.ClusterFingerprint(c.CACert(), string(ksys.UID)); !run.lesson && r.Fingerprint.Cluster != want {
				t.Errorf("cluster fingerprint %s, want %s", r.Fingerprint.Cluster, want)
			}
			if run.file == "hostile.json" {
				raw, _ := report.JSON(r)
				if !strings.Contains(string(raw), `\u003cscript\u003ewindow.__pwned=1`) {
					t.Fatalf("the hostile text did not reach the report; the fixture would prove nothing:\n%s", raw)
				}
			}
			// The saved JSON renders exactly as the report in memory did.
			raw, err := report.JSON(r)
			if err != nil {
				t.Fatal(err)
			}
			saved, err := report.Read(raw)
			if err != nil {
				t.Fatalf("the JSON of a real run does not read back: %v", err)
			}
			for _, f := range report.FormatNames() {
				var a, b bytes.Buffer
				if err := report.Render(&a, f, r, report.RenderOptions{Evidence: true}); err != nil {
					t.Fatal(err)
				}
				if err := report.Render(&b, f, saved, report.RenderOptions{Evidence: true}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Errorf("%s rendered from the saved JSON differs from the report in memory:\n%s", f, goldentest.Diff(a.String(), b.String()))
				}
			}
			got := normalise(t, r, reg.Host(), c.Server)
			path := filepath.Join("..", "report", "testdata", run.file)
			if run.lesson {
				got = asOnMinikube(t, got, ns)
				path = filepath.Join(lessonTestdata, run.file)
			}
			goldentest.Check(t, path, got, *update, "go test ./pipeline -run TestReportFixtures -update")
		})
	}
}

// normalise replaces what differs between runs with fixed values and
// returns the report's JSON. It fails when the result is no valid report.
func normalise(t *testing.T, r *report.Report, registryHost, server string) []byte {
	t.Helper()
	r.StartedAt = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r.FinishedAt = r.StartedAt.Add(4200 * time.Millisecond)
	for i := range r.Checks {
		r.Checks[i].DurationMS = 0
	}
	r.Tool.Version = "dev"
	if r.Fingerprint != nil && r.Fingerprint.Cluster != "" {
		r.Fingerprint.Cluster = "sha256:" + strings.Repeat("c", 64)
	}
	b, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	s = strings.ReplaceAll(s, registryHost, "127.0.0.1:5001")
	s = strings.ReplaceAll(s, server, "https://127.0.0.1:6443")
	// Digests, full and short (sha256: + 12 hex digits), numbered in order.
	for i, d := range regexp.MustCompile(`sha256:[0-9a-f]{64}`).FindAllString(s, -1) {
		if !strings.Contains(s, d) {
			continue
		}
		fixed := fmt.Sprintf("sha256:%064x", i+1)
		s = strings.ReplaceAll(s, d, fixed)
		s = strings.ReplaceAll(s, d[:7+12], fixed[:7+12])
	}
	for _, re := range []struct{ re, repl string }{
		{`(hello-flask)-[a-z0-9]{8,10}-[a-z0-9]{5}\b`, "$1-7d9c8b6f5-x2k4q"}, // pod
		{`(hello-flask)-[a-z0-9]{8,10}\b`, "$1-7d9c8b6f5"},                   // replica set
		{`(kube-proxy)-[a-z0-9]{5}\b`, "$1-x7k2p"},
		{`127\.0\.0\.1:3[0-9]{4}\b`, "127.0.0.1:31234"}, // node port
		{`\b3[0-9]{4}/TCP\b`, "31234/TCP"},
		{`\b(nodePort|NodePort|node port) 3[0-9]{4}\b`, "$1 31234"},
		{`\b10\.244\.[0-9]+\.[0-9]+\b`, "10.244.0.5"}, // pod IP
		{`\b10\.96\.[0-9]+\.[0-9]+\b`, "10.96.0.10"},  // cluster IP
		{`\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ`, "2026-03-02 08:59:30Z"},
		{`\b\d+(\.\d+)?(ms|s) ago\b`, "30s ago"},
	} {
		s = regexp.MustCompile(re.re).ReplaceAllString(s, re.repl)
	}
	rr, err := report.Read([]byte(s))
	if err != nil {
		t.Fatalf("normalised report: %v\n%s", err, s)
	}
	out, err := report.JSON(rr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReportsHoldNoSecrets grades with a kubeconfig that holds a bearer
// token and a client key, and a Docker config that holds the registry
// password, renders every format and finds none of them in any output.
func TestReportsHoldNoSecrets(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	const user, pass = "budi", "Pa55w0rd-registry-SECRET-91c2"
	reg := registrytest.New(t, registrytest.WithAuth(user, pass))
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:latest")

	// The registry password lives only in a Docker config, as `docker login`
	// leaves it.
	home := t.TempDir()
	dockerDir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{reg.Host(): map[string]string{"auth": auth}}})
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dockerDir)

	// The kubeconfig holds a client key (the simulated cluster's) and a
	// bearer token.
	const token = "kubelab-token-SECRET-5e1f0c9a7b3d"
	kc, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var keyPEM []byte
	for _, a := range kc.AuthInfos {
		a.Token = token
		keyPEM = a.ClientKeyData
	}
	if len(keyPEM) == 0 {
		t.Fatal("the simulated cluster's kubeconfig has no client key")
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := "secrets"
	st := &simcluster.Student{C: c, Namespace: ns, Image: image}
	if err := st.Play(ctx, "correct"); err != nil {
		t.Fatal(err)
	}
	stop, err := c.ServeApp(ctx, ns, "hello-flask", simcluster.FlaskStandIn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pub, priv, err := report.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_ = pub
	r := pipeline.Grade(ctx, pipeline.Request{
		Job:       pipeline.Job{Lab: builtinLab(t), Lang: "en", Image: image, Student: report.Student{ID: "1", Name: "Budi"}},
		Kube:      gather.LoadKube(kubeconfig, "", ns),
		ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()}, NoRun: true, Fingerprint: true,
	})
	if err := report.Sign(r, priv); err != nil {
		t.Fatal(err)
	}
	// The credentials were used: the image was read with the password and
	// the cluster with the kubeconfig's user.
	for _, res := range r.Checks {
		if (res.ID == "image.pushed" || res.ID == "deployment.exists" || res.ID == "app.responds") && res.Status != report.Pass {
			t.Fatalf("%s = %s (%s): the test would prove nothing", res.ID, res.Status, res.Message)
		}
	}
	secrets := map[string]string{
		"registry password":        pass,
		"docker auth":              auth,
		"bearer token":             token,
		"client key (PEM)":         string(keyPEM),
		"client key (base64 data)": base64.StdEncoding.EncodeToString(keyPEM),
	}
	// Any 24-character run of the key's PEM body counts as a leak.
	body := strings.Join(strings.Split(strings.TrimSpace(string(keyPEM)), "\n")[1:], "")
	for i := 0; i+24 <= len(body) && i < 24*20; i += 24 {
		secrets[fmt.Sprintf("client key chunk %d", i/24)] = body[i : i+24]
	}
	for _, name := range report.FormatNames() {
		var buf bytes.Buffer
		if err := report.Render(&buf, name, r, report.RenderOptions{Evidence: true}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if buf.Len() < 500 {
			t.Fatalf("%s: output too short to mean anything: %q", name, buf.String())
		}
		for what, secret := range secrets {
			if strings.Contains(buf.String(), secret) {
				t.Errorf("%s output contains the %s", name, what)
			}
		}
	}
}

// asOnMinikube turns a normalised report into what the lesson's student
// sees: the image on Docker Hub (as kubelab names it) with the digest of
// the lesson's push, minikube's API server address and the default
// namespace. Only these names change; every
// status, message and hint is the real run's.
func asOnMinikube(t *testing.T, normalised []byte, ns string) []byte {
	t.Helper()
	s := string(normalised)
	for _, r := range [][2]string{
		{"127.0.0.1:5001/", "index.docker.io/"},
		{"https://127.0.0.1:6443", "https://192.168.49.2:8443"},
		{ns, "default"},
		// the digest `docker push` printed in step 12
		{"sha256:" + strings.Repeat("0", 63) + "1", "sha256:4e8b1c7a9d2f6e03b5c8a1d4f7e2b9c6a3d0e5f8b1c4a7d2e9f6b3c0a5d8e1f4"},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	rr, err := report.Read([]byte(s))
	if err != nil {
		t.Fatalf("lesson report: %v\n%s", err, s)
	}
	out, err := report.JSON(rr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
