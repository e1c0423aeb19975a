package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/snapshot"
)

// refGatherer records the image reference it is asked to read and serves
// one namespace with the student's deployment.
type refGatherer struct {
	mu   sync.Mutex
	refs []string
	deps []appsv1.Deployment
}

func (g *refGatherer) Cluster(_ context.Context, ns string, _ bool) (*snapshot.ClusterInfo, *snapshot.Namespace, map[snapshot.Source]time.Duration) {
	return &snapshot.ClusterInfo{Version: "v1.36.3"}, &snapshot.Namespace{Name: ns, Deployments: g.deps}, nil
}

func (g *refGatherer) Image(_ context.Context, ref string, _ *snapshot.Plan) *snapshot.ImageInfo {
	g.mu.Lock()
	g.refs = append(g.refs, ref)
	g.mu.Unlock()
	return &snapshot.ImageInfo{Ref: ref, NotFound: true}
}

func (g *refGatherer) App(context.Context, *snapshot.Target, []corev1.Node, *snapshot.Plan) *snapshot.AppProbe {
	return &snapshot.AppProbe{}
}

func (g *refGatherer) Run(context.Context, *snapshot.ImageInfo, *snapshot.Plan) *snapshot.RunProbe {
	return &snapshot.RunProbe{SkipReason: "test"}
}

func deploymentRunning(image string) appsv1.Deployment {
	return appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: "lab"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "hello-flask", Image: image}}}}},
	}
}

// TestCollectRepositoryWithoutTag: a lecturer who names only the
// repository means the tag the student's deployment runs; latest is read
// only when there is no deployment, and a tag handed in is read as given.
func TestCollectRepositoryWithoutTag(t *testing.T) {
	lab := builtinLab(t)
	cases := []struct {
		name, image string
		deps        []appsv1.Deployment
		want        string
	}{
		{"deployed tag", "budi/hello-flask", []appsv1.Deployment{deploymentRunning("budi/hello-flask:v1")}, "index.docker.io/budi/hello-flask:v1"},
		{"no deployment", "budi/hello-flask", nil, "budi/hello-flask"},
		{"other repository deployed", "budi/hello-flask", []appsv1.Deployment{deploymentRunning("ani/web:v2")}, "budi/hello-flask"},
		{"tag handed in", "budi/hello-flask:v2", []appsv1.Deployment{deploymentRunning("budi/hello-flask:v1")}, "budi/hello-flask:v2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &refGatherer{deps: c.deps}
			job := pipeline.Job{Lab: lab, Lang: "en", Image: c.image, Namespace: "lab"}
			s, _ := pipeline.Collect(context.Background(), job, g, nil)
			if len(g.refs) != 1 || g.refs[0] != c.want {
				t.Fatalf("image read as %q, want %q", g.refs, c.want)
			}
			r := pipeline.Assemble(job, s, nil, time.Now(), time.Now())
			if c.name == "deployed tag" && r.Target.Image != "index.docker.io/budi/hello-flask:v1" {
				t.Errorf("report target image %q, want the deployed tag", r.Target.Image)
			}
		})
	}
}
