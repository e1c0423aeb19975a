package simcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Starting writes, to every pod of the student's deployment, what a
// kubelet reports while it is still creating the container (pulling the
// image, making the sandbox): phase Pending, ContainerCreating. It is how a
// new pod or an evicted pod's replacement looks in its first seconds, the
// moment kubelab calls settling. kwok's nodes run no containers, so the
// simulator writes the kubelet's word, as the scenarios do.
func (s *Student) Starting(ctx context.Context) error { return s.kubeletSays(ctx, creatingStatus) }

// Started writes what a kubelet reports once the container has started:
// Running, and Ready at once (the lesson's app has no readiness probe).
func (s *Student) Started(ctx context.Context) error { return s.kubeletSays(ctx, startedStatus) }

func (s *Student) kubeletSays(ctx context.Context, status func(p corev1.Pod, now string) map[string]any) error {
	if s.App == "" {
		s.App = "hello-flask"
	}
	out, err := s.kubectl(ctx, "get", "pods", "-l", "app="+s.App, "-o", "json")
	if err != nil {
		return err
	}
	var l corev1.PodList
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return err
	}
	if len(l.Items) == 0 {
		return fmt.Errorf("%s: no pods of %s", s.Namespace, s.App)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	for _, p := range l.Items {
		b, _ := json.Marshal(map[string]any{"status": status(p, now)})
		if _, err := s.kubectl(ctx, "patch", "pod", p.Name, "--subresource=status", "--type=merge", "-p", string(b)); err != nil {
			return err
		}
	}
	return nil
}

// creatingStatus: the sandbox not ready yet, the container being created.
func creatingStatus(p corev1.Pod, _ string) map[string]any {
	return waitingStatus(p, p.Spec.Containers[0].Image, "ContainerCreating", "", false)
}

// waitingStatus is a kubelet's status of a pod whose one container waits
// for reason (with message, if any); sandbox says whether the pod's sandbox
// is up (PodReadyToStartContainers). Initialized False keeps kwok's
// pod-ready stage from "starting" the pod again (a real kubelet says True).
func waitingStatus(p corev1.Pod, image, reason, message string, sandbox bool) map[string]any {
	waiting := map[string]any{"reason": reason}
	if message != "" {
		waiting["message"] = message
	}
	ready := "False"
	if sandbox {
		ready = "True"
	}
	return map[string]any{
		"phase": "Pending",
		"conditions": []map[string]any{
			{"type": "PodReadyToStartContainers", "status": ready},
			{"type": "Initialized", "status": "False", "reason": reason},
			{"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
			{"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady"},
			{"type": "PodScheduled", "status": "True"},
		},
		"containerStatuses": []map[string]any{{
			"name": containerName(p), "image": image, "imageID": "", "ready": false, "restartCount": 0, "started": false,
			"state": map[string]any{"waiting": waiting},
		}},
	}
}

func startedStatus(p corev1.Pod, now string) map[string]any {
	var conds []map[string]any
	for _, typ := range []string{"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"} {
		conds = append(conds, map[string]any{"type": typ, "status": "True", "lastTransitionTime": now})
	}
	return map[string]any{
		"phase":      "Running",
		"conditions": conds,
		"containerStatuses": []map[string]any{{
			"name": containerName(p), "image": p.Spec.Containers[0].Image, "imageID": "", "ready": true, "restartCount": 0, "started": true,
			"state": map[string]any{"running": map[string]any{"startedAt": now}},
		}},
	}
}
