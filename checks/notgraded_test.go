package checks_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
)

// Not graded is not failed: a check the grading machine could not judge
// earns nothing and is left out of the maximum; a check the student's own
// mistake kept from running still counts as 0.

// correctSnapshot is the lesson done right (a deployment of the image, its
// pod Running, a LoadBalancer service, the app answering), with run as the
// container run.
func correctSnapshot(run *checks.RunProbe) *checks.Snapshot {
	image := "budi/hello-flask:latest"
	ns := benchNamespace(0, image)
	cluster := &checks.ClusterInfo{Server: "https://127.0.0.1:6443", Context: "minikube", Version: "v1.36.3",
		Nodes: []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "minikube"}, Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			NodeInfo:   corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "v1.36.3"},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}}}}}
	for _, c := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns"} {
		cluster.SystemPods = append(cluster.SystemPods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: c + "-minikube", Namespace: "kube-system",
			Labels: map[string]string{"component": c, "k8s-app": c}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	img := &checks.ImageInfo{Ref: image, Name: "index.docker.io/budi/hello-flask:latest",
		Digest: "sha256:" + strings.Repeat("1", 64), MediaType: "application/vnd.oci.image.manifest.v1+json", Platform: "linux/amd64",
		Platforms: []string{"linux/amd64"},
		Config:    &checks.ImageConfig{Cmd: []string{"python", "app.py"}, WorkingDir: "/app", ExposedPorts: []string{"5000/tcp"}, OS: "linux", Architecture: "amd64"},
		Files: map[string]*checks.ImageFile{"/app/app.py": {Size: int64(len(registrytest.AppPy)), Content: registrytest.AppPy},
			"/app/requirements.txt": {Size: int64(len(registrytest.Requirements)), Content: registrytest.Requirements}}}
	s := &checks.Snapshot{Cluster: cluster, NS: ns, Image: img, Run: run}
	s.Target = checks.Discover(ns, image, "")
	s.App = &checks.AppProbe{Attempts: []checks.AppAttempt{{Via: "nodeport", URL: "http://127.0.0.1:30000/", Status: 200, Body: "Hello from Flask"}}}
	return s
}

// grade judges s with lab and sums it up as kubelab check does.
func grade(t *testing.T, lab *labs.Lab, s *checks.Snapshot, lang string) *report.Report {
	t.Helper()
	r := pipeline.NewReport(lab, lang)
	r.Checks = checks.Evaluate(lab, s, lang, nil, nil)
	report.Summarize(r)
	return r
}

func textOf(t *testing.T, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteText(&b, r, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func resultOf(t *testing.T, r *report.Report, id string) report.Result {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no result for %s", id)
	return report.Result{}
}

// TestNotGradedCorrectStudentWithoutDocker: the correct student graded
// where the image cannot be run (no Docker engine, --no-run, image runs off
// for batch grading) scores 100% with "5 points not graded", and passes.
func TestNotGradedCorrectStudentWithoutDocker(t *testing.T) {
	lab := builtinLab(t)
	for _, reason := range []string{
		"no Docker engine reachable (DOCKER_HOST=unix:///var/run/docker.sock)",
		"image run disabled (--no-run)",
		"image runs are off for batch grading (kubelab grade --run-images turns them on)",
	} {
		t.Run(reason, func(t *testing.T) {
			r := grade(t, lab, correctSnapshot(&checks.RunProbe{SkipReason: reason}), "en")
			for _, c := range r.Checks {
				if c.ID != "image.runs" && c.Status != report.Pass {
					t.Errorf("%s = %s: %s (the snapshot should be the correct student's)", c.ID, c.Status, c.Message)
				}
			}
			run := resultOf(t, r, "image.runs")
			if run.Status != report.Skipped || !run.NotGraded || run.Points != 0 || run.MaxPoints != 5 || !strings.Contains(run.Message, reason) {
				t.Errorf("image.runs = %+v, want skipped, not graded, 0 of 5, the reason in the message", run)
			}
			if r.Score != 95 || r.MaxScore != 95 || r.Percent() != 100 || r.NotGradedPoints != 5 || !r.Passed || !r.Incomplete {
				t.Errorf("report %v/%v (%v%%), %v not graded, passed %v, incomplete %v; want 95/95 (100%%), 5 not graded, passed, incomplete",
					r.Score, r.MaxScore, r.Percent(), r.NotGradedPoints, r.Passed, r.Incomplete)
			}
			out := textOf(t, r)
			for _, want := range []string{"Total: 95/95 (100%; 5 points not graded)", "Lab passed",
				"○ not graded image.runs", "  ○ image.runs (5): Skipped: the image was not run as a container: " + reason} {
				if !strings.Contains(out, want) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}
		})
	}
	// In Indonesian too.
	r := grade(t, lab, correctSnapshot(&checks.RunProbe{SkipReason: "image run disabled (--no-run)"}), "id")
	if out := textOf(t, r); !strings.Contains(out, "Total: 95/95 (100%; 5 poin tidak dinilai)") || !strings.Contains(out, "Lab lulus") {
		t.Errorf("Indonesian text report:\n%s", out)
	}
}

// TestNotGradedStudentsOwnMistakeCounts: a check skipped because the
// student's own earlier step failed still counts as 0 of its points.
func TestNotGradedStudentsOwnMistakeCounts(t *testing.T) {
	lab := builtinLab(t)

	// The image is not on the registry: image.pushed fails, and image.runs
	// (which needs it) is skipped and costs its 5 points.
	s := correctSnapshot(&checks.RunProbe{SkipReason: "the image could not be found on the registry"})
	s.Image = &checks.ImageInfo{Ref: s.Image.Ref, Name: s.Image.Name, NotFound: true}
	r := grade(t, lab, s, "en")
	for _, id := range []string{"image.pushed", "image.platform", "image.runs"} {
		if c := resultOf(t, r, id); c.NotGraded || c.Points != 0 || c.Status == report.Pass {
			t.Errorf("%s = %s (not graded %v): the student's missing image must count", id, c.Status, c.NotGraded)
		}
	}
	if r.MaxScore != 100 || r.NotGradedPoints != 0 || r.Incomplete || r.Passed {
		t.Errorf("report %v/%v, %v not graded, incomplete %v, passed %v; want x/100, nothing not graded, not passed",
			r.Score, r.MaxScore, r.NotGradedPoints, r.Incomplete, r.Passed)
	}

	// Without the lab's needs, the run's own skip ("could not be found")
	// is still the student's.
	bare := labFromSpec(t, `      - {id: image.pushed, points: 10}
      - {id: image.runs, points: 5}
`)
	r = grade(t, bare, s, "en")
	if c := resultOf(t, r, "image.runs"); c.Status != report.Skipped || c.NotGraded || r.MaxScore != 15 {
		t.Errorf("image.runs = %s (not graded %v), max %v; want skipped, counted, max 15", c.Status, c.NotGraded, r.MaxScore)
	}

	// A crash-looping pod: pods.stable needs pods.running, which failed;
	// it is skipped and counts 0.
	crash := correctSnapshot(&checks.RunProbe{SkipReason: "image run disabled (--no-run)"})
	crash.NS = benchNamespace(6, "budi/hello-flask:latest")
	crash.Target = checks.Discover(crash.NS, "budi/hello-flask:latest", "")
	r = grade(t, lab, crash, "en")
	if c := resultOf(t, r, "pods.stable"); c.Status != report.Skipped || c.NotGraded || !strings.Contains(c.Message, "which did not pass (fail)") {
		t.Errorf("pods.stable = %s (not graded %v): %s; want skipped and counted", c.Status, c.NotGraded, c.Message)
	}
	if r.NotGradedPoints != 5 || r.MaxScore != 95 {
		t.Errorf("max %v with %v not graded; only image.runs (5) may be left out", r.MaxScore, r.NotGradedPoints)
	}
}

// TestNotGradedNeeds: what needs a check that was not graded is not graded
// either; but a needed check the student failed decides first.
func TestNotGradedNeeds(t *testing.T) {
	lab := labFromSpec(t, `      - {id: image.pushed, points: 10}
      - {id: deployment.exists, points: 10}
      - {id: service.exists, points: 6, needs: [image.pushed, deployment.exists]}
`)
	s := correctSnapshot(&checks.RunProbe{SkipReason: "image run disabled (--no-run)"})
	s.Image = &checks.ImageInfo{Ref: s.Image.Ref, Name: s.Image.Name,
		Err: &checks.GatherError{Kind: checks.ErrRateLimited, What: "HEAD the image's manifest", Detail: "429 Too Many Requests", RetryAfter: time.Hour}}

	// image.pushed could not be graded (rate limit), deployment.exists
	// passed: service.exists waits on the registry, not on the student.
	r := grade(t, lab, s, "en")
	if c := resultOf(t, r, "image.pushed"); c.Status != report.Error || !c.NotGraded {
		t.Errorf("image.pushed = %s (not graded %v), want an error not graded", c.Status, c.NotGraded)
	}
	c := resultOf(t, r, "service.exists")
	if c.Status != report.Skipped || !c.NotGraded || !strings.Contains(c.Message, "Not graded: it needs image.pushed, which could not be graded") {
		t.Errorf("service.exists = %s (not graded %v): %s", c.Status, c.NotGraded, c.Message)
	}
	if r.Score != 10 || r.MaxScore != 10 || r.NotGradedPoints != 16 {
		t.Errorf("report %v/%v with %v not graded, want 10/10 with 16", r.Score, r.MaxScore, r.NotGradedPoints)
	}

	// No deployment as well: the student's own failure decides, and
	// service.exists counts 0 whatever the registry said.
	s.NS.Deployments = nil
	s.Target = checks.Discover(s.NS, "budi/hello-flask:latest", "")
	r = grade(t, lab, s, "en")
	c = resultOf(t, r, "service.exists")
	if c.Status != report.Skipped || c.NotGraded || !strings.Contains(c.Message, "it needs deployment.exists, which did not pass") {
		t.Errorf("service.exists = %s (not graded %v): %s; want skipped for deployment.exists and counted", c.Status, c.NotGraded, c.Message)
	}
	if r.MaxScore != 16 || r.NotGradedPoints != 10 {
		t.Errorf("max %v with %v not graded, want 16 with 10", r.MaxScore, r.NotGradedPoints)
	}
}

// TestNotGradedUnreachableCluster grades the correct image on a real
// registry with a kubeconfig whose API server does not answer: the cluster
// checks are errors and everything that needs them is skipped, none of them
// earns or costs a point, and the report is incomplete and never passed
// (not 30/30 = 100%, passed).
func TestNotGradedUnreachableCluster(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	lab := builtinLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := pipeline.Grade(ctx, pipeline.Request{Job: pipeline.Job{Lab: lab, Lang: "en", Image: reg.Ref("budi/hello-flask:latest")},
		Kube:      gather.LoadKube(testenv.DeadKubeconfig(t), "", "default"),
		ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
		NoRun:     true, Timeout: 30 * time.Second})

	graded := 0.0
	for _, c := range r.Checks {
		switch {
		case strings.HasPrefix(c.ID, "image.") && c.ID != "image.runs":
			if c.Status != report.Pass || c.NotGraded {
				t.Errorf("%s = %s (not graded %v): %s; the registry answered", c.ID, c.Status, c.NotGraded, c.Message)
			}
			graded += c.MaxPoints
		default:
			if !c.NotGraded || c.Points != 0 || (c.Status != report.Error && c.Status != report.Skipped) {
				t.Errorf("%s = %s, %v points, not graded %v: %s; want error or skipped, not graded, no points", c.ID, c.Status, c.Points, c.NotGraded, c.Message)
			}
		}
	}
	if reach := resultOf(t, r, "cluster.reachable"); reach.Status != report.Error {
		t.Errorf("cluster.reachable = %s, want error", reach.Status)
	}
	if r.Score != graded || r.MaxScore != graded || r.NotGradedPoints != 100-graded {
		t.Errorf("report %v/%v with %v not graded; want %v/%v with %v", r.Score, r.MaxScore, r.NotGradedPoints, graded, graded, 100-graded)
	}
	if r.Passed || !r.Incomplete || !r.Undecided() || r.EnvErrors() == 0 {
		t.Errorf("passed %v, incomplete %v, undecided %v, %d errors; want not passed, incomplete, undecided, errors",
			r.Passed, r.Incomplete, r.Undecided(), r.EnvErrors())
	}
	out := textOf(t, r)
	L := report.LabelsFor("en")
	for _, want := range []string{"Total: 30/30 (100%; 70 points not graded)", L.Undecided, L.NotGradedList + ":", "  ○ cluster.reachable (2): ", "  ○ deployment.exists (10): "} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, L.Passed) {
		t.Errorf("an unreachable cluster's report says %q:\n%s", L.Passed, out)
	}
}

// labFromSpec is a one-step lab with the given check lines.
func labFromSpec(t *testing.T, checkLines string) *labs.Lab {
	t.Helper()
	spec := `id: not-graded
version: 0.0.1
title: {en: T, id: T}
languages: [en, id]
steps:
  - id: one
    title: {en: One, id: Satu}
    file: {en: s.md, id: s.md}
    checks:
` + checkLines
	l, err := labs.Load(fstest.MapFS{"lab/lab.yaml": {Data: []byte(spec)}, "lab/s.md": {Data: []byte("# Step\n")}}, "lab", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}
