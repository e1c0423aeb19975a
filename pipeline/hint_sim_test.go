package pipeline_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/shellwords"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
)

var kubectlInHint = regexp.MustCompile("`(kubectl [^`]+)`")

// TestEndpointsHintTypedOnSim types the kubectl commands of service.endpoints'
// "no endpoints" hint into a real API server and requires the service they
// make to pass every service check: the hint names the real deployment and
// --type=LoadBalancer (without it kubectl expose makes a ClusterIP, and
// service.type fails).
func TestEndpointsHintTypedOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated cluster")
	}
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:v1", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:v1")
	lab := builtinLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns = "hint-endpoints"
	for _, args := range [][]string{
		{"create", "namespace", ns},
		{"-n", ns, "create", "deployment", "hello-flask", "--image=" + image, "--port=5000"},
		// A ClusterIP service on another port: what a student who typed
		// the old hint (no --type) would have.
		{"-n", ns, "expose", "deployment", "hello-flask", "--port=80", "--target-port=5000"},
	} {
		if out, err := c.Kubectl(ctx, args...); err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	req := pipeline.Request{
		Job:       pipeline.Job{Lab: lab, Lang: "en", Image: image},
		Kube:      gather.LoadKube(c.Kubeconfig, "", ns),
		ImageOpts: gather.ImageOptions{Insecure: true},
		NoRun:     true,
		App:       gather.AppOptions{ServiceProxy: false},
	}
	s, _ := pipeline.Gather(ctx, req)
	if s.Target == nil || s.Target.Service == nil {
		t.Fatalf("the service was not found: %+v", s.Target)
	}
	// The judge's "no endpoints" branch, as a service whose selector lost
	// its pods would see it. (With the selector still matching the pod,
	// Ready only seconds ago, the judge rightly says the Service has not
	// listed it yet.)
	s.Target.EndpointSlices = nil
	s.Target.Service.Spec.Selector = map[string]string{"app": "hello-flask-old"}
	chk, _ := checks.Lookup("service.endpoints")
	j := chk.Judge(s, checks.Params{})
	if j.Status != report.Fail {
		t.Fatalf("service.endpoints = %s (%s), want fail", j.Status, j.Message.In("en"))
	}
	cmds := kubectlInHint.FindAllStringSubmatch(j.Hint.In("en"), -1)
	if len(cmds) < 2 {
		t.Fatalf("hint has no kubectl fix: %q", j.Hint.In("en"))
	}
	for _, m := range cmds {
		words, err := shellwords.Split(m[1], shellwords.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if words[1] == "describe" || words[1] == "get" {
			continue // looking, not fixing
		}
		if out, err := c.Kubectl(ctx, words[1:]...); err != nil {
			t.Fatalf("typed %q: %v\n%s", m[1], err, out)
		}
	}
	// Give the endpoint controller time to publish the new service's slice.
	var got map[string]report.Result
	for i := 0; i < 30; i++ {
		r := pipeline.Grade(ctx, req)
		got = map[string]report.Result{}
		for _, res := range r.Checks {
			got[res.ID] = res
		}
		if got["service.endpoints"].Status == report.Pass {
			break
		}
		time.Sleep(time.Second)
	}
	for _, id := range []string{"service.exists", "service.type", "service.port", "service.endpoints"} {
		if got[id].Status != report.Pass {
			t.Errorf("after typing the hint, %s = %s: %s", id, got[id].Status, got[id].Message)
		}
	}
}
