package simcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario is one kind of student the simulator can play: the lesson's
// steps done right, or with one common mistake. Every command is run with the
// real kubectl; what a kubelet would report on a real node (an image that
// cannot be pulled, an app that crashes) is written to the pod's status the
// way a kubelet writes it, since kwok's nodes run no containers.
type Scenario struct {
	Name string
	Doc  string
	// App is the name of the deployment (and service) the student creates.
	play func(ctx context.Context, s *Student) error
}

// Student plays scenarios in its own namespace.
type Student struct {
	C         *Cluster
	Namespace string
	// Image is the image the student pushed (and hands in).
	Image string
	// App names the deployment, as in `kubectl create deployment hello-flask`.
	App string
	// RealNode says the cluster's node is a real kubelet (internal/realnode):
	// the pod states of the mistakes are then the kubelet's own, waited for,
	// never written by the simulator. For crash-loop, Image must then be an
	// image whose app really exits.
	RealNode bool
}

// The scenarios. Tests, the demo and the benchmarks refer to them by name.
var Scenarios = []Scenario{
	{Name: "correct", Doc: "every step of the lesson done right: deployment 1/1, LoadBalancer service on 5000", play: playCorrect},
	{Name: "nothing", Doc: "the student did nothing in the cluster", play: func(context.Context, *Student) error { return nil }},
	{Name: "no-service", Doc: "deployment created and running, never exposed", play: playNoService},
	{Name: "image-pull-backoff", Doc: "deployment of a tag that was never pushed: pods stuck in ImagePullBackOff", play: playPullBackOff},
	{Name: "crash-loop", Doc: "the image starts and exits: pods in CrashLoopBackOff with restarts", play: playCrashLoop},
	{Name: "zero-replicas", Doc: "deployment scaled to 0 replicas, service exposed", play: playZeroReplicas},
	{Name: "clusterip", Doc: "exposed as a ClusterIP service (the default type) instead of LoadBalancer", play: exposeAs("ClusterIP", 5000)},
	{Name: "nodeport", Doc: "exposed as a NodePort service instead of LoadBalancer", play: exposeAs("NodePort", 5000)},
	{Name: "port-8080", Doc: "exposed as LoadBalancer on port 8080 (targetPort 8080) instead of 5000", play: exposeAs("LoadBalancer", 8080)},
	{Name: "selector-mismatch", Doc: "a LoadBalancer service on 5000 whose selector matches no pod", play: playSelectorMismatch},
}

// ScenarioByName returns the named scenario.
func ScenarioByName(name string) (Scenario, error) {
	var names []string
	for _, s := range Scenarios {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return Scenario{}, fmt.Errorf("no scenario %q (have: %s)", name, strings.Join(names, ", "))
}

// Play creates the student's namespace and plays the scenario, then waits
// until the cluster shows the state the scenario names.
func (s *Student) Play(ctx context.Context, scenario string) error {
	sc, err := ScenarioByName(scenario)
	if err != nil {
		return err
	}
	if s.App == "" {
		s.App = "hello-flask"
	}
	if _, err := s.C.Kubectl(ctx, "create", "namespace", s.Namespace); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		return err
	}
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		_, err := s.C.Kubectl(ctx, "-n", s.Namespace, "get", "serviceaccount", "default")
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("namespace %s: default service account: %w", s.Namespace, err)
	}
	if err := sc.play(ctx, s); err != nil {
		return fmt.Errorf("scenario %s: %w", scenario, err)
	}
	return nil
}

func (s *Student) kubectl(ctx context.Context, args ...string) (string, error) {
	return s.C.Kubectl(ctx, append([]string{"-n", s.Namespace}, args...)...)
}

func (s *Student) createDeployment(ctx context.Context, image string, extra ...string) error {
	_, err := s.kubectl(ctx, append([]string{"create", "deployment", s.App, "--image=" + image}, extra...)...)
	return err
}

func (s *Student) expose(ctx context.Context, typ string, port int) error {
	_, err := s.kubectl(ctx, "expose", "deployment", s.App, "--type="+typ, fmt.Sprintf("--port=%d", port))
	return err
}

func playCorrect(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, s.Image); err != nil {
		return err
	}
	if err := s.waitAvailable(ctx); err != nil {
		return err
	}
	if err := s.expose(ctx, "LoadBalancer", 5000); err != nil {
		return err
	}
	return s.waitEndpoints(ctx)
}

func playNoService(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, s.Image); err != nil {
		return err
	}
	return s.waitAvailable(ctx)
}

func exposeAs(typ string, port int) func(context.Context, *Student) error {
	return func(ctx context.Context, s *Student) error {
		if err := s.createDeployment(ctx, s.Image); err != nil {
			return err
		}
		if err := s.waitAvailable(ctx); err != nil {
			return err
		}
		if err := s.expose(ctx, typ, port); err != nil {
			return err
		}
		return s.waitEndpoints(ctx)
	}
}

func playZeroReplicas(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, s.Image, "--replicas=0"); err != nil {
		return err
	}
	return s.expose(ctx, "LoadBalancer", 5000)
}

func playSelectorMismatch(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, s.Image); err != nil {
		return err
	}
	if err := s.waitAvailable(ctx); err != nil {
		return err
	}
	// `kubectl create service` selects app=<its own name>, which is not the
	// deployment's label: a classic mismatch.
	_, err := s.kubectl(ctx, "create", "service", "loadbalancer", s.App+"-svc", "--tcp=5000:5000")
	return err
}

func playPullBackOff(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, retag(s.Image, "no-such-tag")); err != nil {
		return err
	}
	if err := s.expose(ctx, "LoadBalancer", 5000); err != nil {
		return err
	}
	return s.kubelet(ctx, func(p corev1.Pod) (map[string]any, []event) { return pullBackOffStatus(s, p) }, "ErrImagePull", "ImagePullBackOff")
}

// pullBackOffStatus is what a kubelet reports for a pod whose image tag was
// never pushed.
func pullBackOffStatus(s *Student, p corev1.Pod) (map[string]any, []event) {
	bad := retag(s.Image, "no-such-tag")
	msg := fmt.Sprintf("Back-off pulling image %q", bad)
	return map[string]any{"status": waitingStatus(p, bad, "ImagePullBackOff", msg, true)}, []event{
		// The events of a real kubelet (internal/realnode/testdata/
		// real-image-pull-backoff.json), in its order.
		{"Normal", "Pulling", fmt.Sprintf("Pulling image %q", bad)},
		{"Warning", "Failed", fmt.Sprintf("Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", bad, bad, bad, bad)},
		{"Warning", "Failed", "Error: ErrImagePull"},
		{"Normal", "BackOff", msg},
		{"Warning", "Failed", "Error: ImagePullBackOff"},
	}
}

func playCrashLoop(ctx context.Context, s *Student) error {
	if err := s.createDeployment(ctx, s.Image); err != nil {
		return err
	}
	if err := s.expose(ctx, "LoadBalancer", 5000); err != nil {
		return err
	}
	return s.kubelet(ctx, func(p corev1.Pod) (map[string]any, []event) { return crashLoopStatus(s, p) }, "CrashLoopBackOff")
}

// crashLoopStatus is what a kubelet reports for a pod whose app starts and
// exits.
func crashLoopStatus(s *Student, p corev1.Pod) (map[string]any, []event) {
	now := time.Now().UTC().Format(time.RFC3339)
	return map[string]any{"status": map[string]any{
			"phase": "Running",
			"conditions": []map[string]any{
				{"type": "PodReadyToStartContainers", "status": "True"},
				{"type": "Initialized", "status": "True"},
				{"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
				{"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady"},
				{"type": "PodScheduled", "status": "True"},
			},
			"containerStatuses": []map[string]any{{
				"name": containerName(p), "image": s.Image, "imageID": "", "ready": false, "restartCount": 5, "started": false,
				"state": map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff",
					"message": "back-off 2m40s restarting failed container=" + containerName(p)}},
				"lastState": map[string]any{"terminated": map[string]any{"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}},
			}},
		}}, []event{
			// As a real kubelet words them (internal/realnode/testdata/
			// real-crash-loop.json).
			{"Normal", "Pulled", fmt.Sprintf("Container image %q already present on machine", s.Image)},
			{"Warning", "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)", containerName(p), p.Name, p.Namespace, p.UID)},
		}
}

type event struct{ typ, reason, msg string }

func containerName(p corev1.Pod) string {
	if len(p.Spec.Containers) > 0 {
		return p.Spec.Containers[0].Name
	}
	return "app"
}

// kubelet waits for the deployment's pods to be created and started by kwok,
// then writes the status (and events) a kubelet would report for them. On a
// real node it waits instead until the kubelet itself reports one of the
// waiting reasons given for every pod.
func (s *Student) kubelet(ctx context.Context, status func(corev1.Pod) (map[string]any, []event), realReasons ...string) error {
	if s.RealNode {
		return s.waitRealReason(ctx, realReasons)
	}
	var pods []corev1.Pod
	if err := waitFor(ctx, 60*time.Second, func() (bool, error) {
		out, err := s.kubectl(ctx, "get", "pods", "-l", "app="+s.App, "-o", "json")
		if err != nil {
			return false, nil
		}
		var l corev1.PodList
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			return false, err
		}
		pods = l.Items
		if len(pods) == 0 {
			return false, nil
		}
		for _, p := range pods {
			if p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("pods of %s never started: %w", s.App, err)
	}
	for _, p := range pods {
		patch, events := status(p)
		b, _ := json.Marshal(patch)
		if _, err := s.kubectl(ctx, "patch", "pod", p.Name, "--subresource=status", "--type=merge", "-p", string(b)); err != nil {
			return err
		}
		if p.Status.Phase == corev1.PodRunning && isPending(patch) {
			// kwok "created" and "started" the pod before the kubelet's
			// status was written; a pod whose image was never pulled has
			// no Created or Started event on a real node.
			sel := "involvedObject.name=" + p.Name + ",reason="
			_ = waitFor(ctx, 5*time.Second, func() (bool, error) {
				out, err := s.kubectl(ctx, "get", "events", "--field-selector", sel+"Started", "-o", "name")
				return err == nil && strings.TrimSpace(out) != "", nil
			})
			for _, r := range []string{"Created", "Started"} {
				if _, err := s.kubectl(ctx, "delete", "events", "--field-selector", sel+r); err != nil {
					return err
				}
			}
		}
		for i, e := range events {
			if err := s.recordEvent(ctx, p, i, e); err != nil {
				return err
			}
		}
	}
	// Wait for the deployment controller to see the pods are not ready.
	return waitFor(ctx, 30*time.Second, func() (bool, error) {
		d, err := s.deployment(ctx)
		return err == nil && d.Status.ReadyReplicas == 0 && d.Status.ObservedGeneration >= d.Generation, nil
	})
}

// waitRealReason waits until a real kubelet reports every pod of the app
// waiting for one of reasons, and the deployment controller has seen that no
// pod is ready.
func (s *Student) waitRealReason(ctx context.Context, reasons []string) error {
	// What the last poll saw, for the error: a timeout on a loaded CI
	// machine must say which part of the state never came.
	var seen []string
	// Normally reached in under a minute; a real kubelet on a machine
	// running other test packages has been seen to need more than three.
	err := waitFor(ctx, 5*time.Minute, func() (bool, error) {
		seen = seen[:0]
		out, err := s.kubectl(ctx, "get", "pods", "-l", "app="+s.App, "-o", "json")
		if err != nil {
			return false, nil
		}
		var l corev1.PodList
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			return false, err
		}
		if len(l.Items) == 0 {
			return false, nil
		}
		for _, p := range l.Items {
			found := false
			for _, cs := range p.Status.ContainerStatuses {
				state := "running"
				if cs.State.Waiting != nil {
					state = "waiting " + cs.State.Waiting.Reason
				} else if cs.State.Terminated != nil {
					state = "terminated " + cs.State.Terminated.Reason
				}
				seen = append(seen, fmt.Sprintf("%s: %s, %d restarts", p.Name, state, cs.RestartCount))
				for _, r := range reasons {
					// A crash loop alternates between running and waiting;
					// the kubelet's back-off doubles (10 s, 20 s, 40 s), so
					// from the second restart on the pod waits 40 s: a
					// steady state to grade.
					if cs.State.Waiting != nil && cs.State.Waiting.Reason == r && (r != "CrashLoopBackOff" || cs.RestartCount >= 2) {
						found = true
					}
				}
			}
			if !found {
				return false, nil
			}
		}
		d, err := s.deployment(ctx)
		if err == nil {
			seen = append(seen, fmt.Sprintf("deployment: %d ready, generation %d observed %d", d.Status.ReadyReplicas, d.Generation, d.Status.ObservedGeneration))
		}
		return err == nil && d.Status.ReadyReplicas == 0 && d.Status.ObservedGeneration >= d.Generation, nil
	})
	if err != nil {
		return fmt.Errorf("pods of %s never reported %s (last seen: %s): %w", s.App, strings.Join(reasons, " or "), strings.Join(seen, "; "), err)
	}
	return nil
}

func (s *Student) recordEvent(ctx context.Context, p corev1.Pod, i int, e event) error {
	now := metav1.NewTime(time.Now())
	ev := corev1.Event{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.kubelet%d", p.Name, i), Namespace: s.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: s.Namespace, Name: p.Name, UID: p.UID,
			APIVersion: "v1", FieldPath: "spec.containers{" + containerName(p) + "}"},
		Type: e.typ, Reason: e.reason, Message: e.msg, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet", Host: s.C.NodeName},
	}
	b, _ := json.Marshal(ev)
	cmd := exec.CommandContext(ctx, filepath.Join(s.C.bins, "kubectl"), "--kubeconfig", s.C.Kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("recording event: %v: %s", err, out)
	}
	return nil
}

func (s *Student) deployment(ctx context.Context) (*appsv1.Deployment, error) {
	out, err := s.kubectl(ctx, "get", "deployment", s.App, "-o", "json")
	if err != nil {
		return nil, err
	}
	var d appsv1.Deployment
	return &d, json.Unmarshal([]byte(out), &d)
}

func (s *Student) waitAvailable(ctx context.Context) error {
	_, err := s.kubectl(ctx, "rollout", "status", "deployment/"+s.App, "--timeout=60s")
	return err
}

func (s *Student) waitEndpoints(ctx context.Context) error {
	return waitFor(ctx, 30*time.Second, func() (bool, error) {
		out, err := s.kubectl(ctx, "get", "endpointslices", "-l", "kubernetes.io/service-name="+s.App, "-o", "jsonpath={.items[*].endpoints[*].addresses[*]}")
		return err == nil && strings.TrimSpace(out) != "", nil
	})
}

func isPending(patch map[string]any) bool {
	st, _ := patch["status"].(map[string]any)
	return st["phase"] == "Pending"
}

// retag returns image with its tag replaced.
func retag(image, tag string) string {
	i := strings.LastIndex(image, ":")
	if i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	if at := strings.Index(image, "@"); at >= 0 {
		image = image[:at]
	}
	return image + ":" + tag
}
