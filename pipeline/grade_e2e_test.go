package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/dockerd"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/internal/testimages"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
)

// startSim starts a simulated cluster, with the audit log on, for the test.
func startSim(t *testing.T) *simcluster.Cluster {
	return simclustertest.StartT(t, simcluster.Options{Audit: true})
}

func builtinLab(t *testing.T) *labs.Lab {
	t.Helper()
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGradeScenarios plays every scenario with the real kubectl on the
// simulated cluster, grades it, and checks the status of every check.
func TestGradeScenarios(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:latest")
	lab := builtinLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for _, sc := range simcluster.Scenarios {
		sc := sc
		t.Run(sc.Name, func(t *testing.T) {
			want, ok := simclustertest.Expected[sc.Name]
			if !ok {
				t.Fatalf("no expectations for scenario %s", sc.Name)
			}
			ns := "grade-" + sc.Name
			st := &simcluster.Student{C: c, Namespace: ns, Image: image}
			if err := st.Play(ctx, sc.Name); err != nil {
				t.Fatal(err)
			}
			if simclustertest.AppAnswers[sc.Name] {
				stop, err := c.ServeApp(ctx, ns, "hello-flask", simcluster.FlaskStandIn, false)
				if err != nil {
					t.Fatal(err)
				}
				defer stop()
			}
			r := pipeline.Grade(ctx, pipeline.Request{
				Job:       pipeline.Job{Lab: lab, Lang: "en", Image: image},
				Kube:      gather.LoadKube(c.Kubeconfig, "", ns),
				ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: t.TempDir()},
				NoRun:     true,
				App:       gather.AppOptions{ServiceProxy: false},
			})
			got := map[string]report.Result{}
			for _, res := range r.Checks {
				got[res.ID] = res
			}
			for _, res := range r.Checks {
				exp, listed := want[res.ID]
				switch {
				case strings.HasPrefix(res.ID, "cluster."), res.ID == "image.pushed", res.ID == "image.platform",
					res.ID == "image.entrypoint", res.ID == "image.workdir", res.ID == "image.files", res.ID == "image.port":
					exp = report.Pass
				case res.ID == "image.runs":
					exp = report.Skipped
				case !listed:
					exp = report.Skipped
				}
				if res.Status != exp {
					t.Errorf("%s: %s = %s, want %s: %s (evidence %v)", sc.Name, res.ID, res.Status, exp, res.Message, res.Evidence)
				}
			}
			if sc.Name == "correct" {
				// Full marks; image.runs, which needs Docker (NoRun here),
				// is not graded: left out of the maximum.
				runs := got["image.runs"].MaxPoints
				if r.Score != r.MaxScore || r.NotGradedPoints != runs || !got["image.runs"].NotGraded || !r.Passed {
					t.Errorf("correct student: score %g/%g (%g not graded) passed=%v, want full marks with %g not graded", r.Score, r.MaxScore, r.NotGradedPoints, r.Passed, runs)
				}
				if r.Target.Deployment != "hello-flask" || r.Target.Service != "hello-flask" || r.Target.Digest == "" {
					t.Errorf("target not filled: %+v", r.Target)
				}
			}
			if sc.Name == "image-pull-backoff" && !strings.Contains(got["pods.running"].Message, "ImagePullBackOff") {
				t.Errorf("pods.running does not explain ImagePullBackOff: %q", got["pods.running"].Message)
			}
			if sc.Name == "crash-loop" && !strings.Contains(got["pods.running"].Message, "crash") {
				t.Errorf("pods.running does not explain the crash loop: %q", got["pods.running"].Message)
			}
			if t.Failed() {
				var b strings.Builder
				_ = report.WriteText(&b, r, report.TextOptions{Evidence: true})
				t.Log("\n" + b.String())
			}
		})
	}

	t.Run("tunnel", func(t *testing.T) {
		ns := "grade-tunnel"
		st := &simcluster.Student{C: c, Namespace: ns, Image: image}
		if err := st.Play(ctx, "correct"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLoadBalancerIP(ctx, ns, "hello-flask"); err != nil {
			t.Fatal(err)
		}
		stop, err := c.ServeApp(ctx, ns, "hello-flask", simcluster.FlaskStandIn, true)
		if err != nil {
			t.Skipf("port 5000 busy on this machine: %v", err)
		}
		defer stop()
		r := pipeline.Grade(ctx, pipeline.Request{Job: pipeline.Job{Lab: lab, Lang: "id", Image: image, Steps: map[string]bool{"open-in-browser": true}}, Kube: gather.LoadKube(c.Kubeconfig, "", ns),
			ImageOpts: gather.ImageOptions{Insecure: true}, NoRun: true})
		if len(r.Checks) != 1 || r.Checks[0].Status != report.Pass || !strings.Contains(r.Checks[0].Message, "loadbalancer") {
			t.Fatalf("app.responds via the LoadBalancer address: %+v", r.Checks)
		}
		if !strings.Contains(r.Checks[0].Message, "Aplikasi menjawab") {
			t.Errorf("message not in Indonesian: %q", r.Checks[0].Message)
		}
	})
}

// TestGradeEnvironmentErrors: an unreachable cluster, a wrong context and a
// forbidden namespace are error states (no points), never failures.
func TestGradeEnvironmentErrors(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	lab := builtinLab(t)
	ctx := context.Background()
	only := map[string]bool{"your-cluster": true, "create-deployment": true, "get-pods": true}

	// A user who may read nothing.
	nobody, err := c.UserKubeconfig("nobody")
	if err != nil {
		t.Fatal(err)
	}
	// A user who may read the cluster (nodes, kube-system) but not the
	// student's namespace.
	limited, err := c.UserKubeconfig("limited", "kubelab:limited")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "create", "clusterrole", "limited", "--verb=get,list", "--resource=nodes,pods"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "create", "clusterrolebinding", "limited", "--clusterrole=limited", "--group=kubelab:limited"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "create", "namespace", "secret-ns"); err != nil {
		t.Fatal(err)
	}
	dead := testenv.DeadKubeconfig(t)

	cases := []struct {
		name    string
		kube    gather.Kube
		wantMsg string
	}{
		{"unreachable", gather.LoadKube(dead, "", "default"), "unreachable"},
		{"wrong context", gather.LoadKube(c.Kubeconfig, "no-such-context", "default"), "kubeconfig"},
		{"forbidden everywhere", gather.LoadKube(nobody, "", "default"), "forbidden"},
		{"forbidden namespace", gather.LoadKube(limited, "", "secret-ns"), "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := pipeline.Grade(ctx, pipeline.Request{Job: pipeline.Job{Lab: lab, Lang: "en", Image: "budi/hello-flask", Steps: only}, Kube: tc.kube, Timeout: 30 * time.Second})
			if time.Since(start) > 25*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			for _, res := range r.Checks {
				// Whoever is authenticated may read the server version, so
				// cluster.reachable can pass; nothing in the namespace can.
				if !strings.HasPrefix(res.ID, "cluster.") && (res.Points != 0 || (res.Status != report.Error && res.Status != report.Skipped)) {
					t.Errorf("%s = %s with %g points, want error or skipped with none", res.ID, res.Status, res.Points)
				}
			}
			errs := 0
			for _, res := range r.Checks {
				if res.Status == report.Fail {
					t.Errorf("%s failed (the student was blamed): %s", res.ID, res.Message)
				}
				if res.Status == report.Error {
					errs++
					all := strings.ToLower(res.Message + " " + fmt.Sprint(res.Evidence))
					if !strings.Contains(all, tc.wantMsg) {
						t.Errorf("%s: message %q lacks %q", res.ID, all, tc.wantMsg)
					}
				}
			}
			if errs == 0 {
				t.Errorf("no error result: %+v", r.Checks)
			}
			if tc.name == "forbidden namespace" {
				for _, res := range r.Checks {
					if res.ID == "cluster.reachable" && res.Status != report.Pass {
						t.Errorf("cluster.reachable should pass for a user who can reach the server: %s", res.Status)
					}
					if res.ID == "deployment.exists" && !strings.Contains(fmt.Sprint(res.Evidence), "needs get/list on deployments.apps in namespace secret-ns") {
						t.Errorf("deployment.exists evidence should say what permission is missing: %v", res.Evidence)
					}
				}
			}
		})
	}
}

// TestCorrectStudentFullMarks: with a real Docker engine, the correct
// student's image (built like the lesson's Dockerfile, pulled from the
// registry and run) earns every point of the lab.
func TestCorrectStudentFullMarks(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	host := dockerd.RequireDocker(t)
	c := startSim(t)
	reg := registrytest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	image, err := testimages.Publish(ctx, host, testimages.Lesson, reg.Host(), "budi/hello-flask")
	if err != nil {
		t.Fatal(err)
	}
	st := &simcluster.Student{C: c, Namespace: "full-marks", Image: image}
	if err := st.Play(ctx, "correct"); err != nil {
		t.Fatal(err)
	}
	stop, err := c.ServeApp(ctx, "full-marks", "hello-flask", simcluster.FlaskStandIn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := pipeline.Grade(ctx, pipeline.Request{Job: pipeline.Job{Lab: builtinLab(t), Lang: "en", Image: image},
		Kube: gather.LoadKube(c.Kubeconfig, "", "full-marks"), ImageOpts: gather.ImageOptions{Insecure: true}})
	if r.Score != r.MaxScore || r.MaxScore != 100 || !r.Passed {
		var b strings.Builder
		_ = report.WriteText(&b, r, report.TextOptions{Evidence: true})
		t.Fatalf("correct student with Docker: %g/%g, want 100/100\n%s", r.Score, r.MaxScore, b.String())
	}
}
