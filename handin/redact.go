package handin

import (
	"encoding/json"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/snapshot"
)

// RedactedCommand replaces an exec probe's command line in the evidence.
const RedactedCommand = "[redacted]"

// keptAnnotations are the annotation key prefixes the evidence keeps: the
// deployment controller's revision bookkeeping, which the rollout checks
// read. Every other annotation is dropped (the last-applied configuration
// holds the whole manifest, env values included; change-cause holds the
// command line).
var keptAnnotations = []string{"deployment.kubernetes.io/"}

// Redact returns a copy of the snapshot fit to leave the student's machine:
// it keeps what the checks judge (object names, UIDs, labels, selectors,
// owner references, creation times, images and digests, ports, probes,
// replica counts, statuses, events' reasons, the image's config and files as
// the registry serves them to anyone, the app's answers) and drops what may
// hold a secret and no check reads: managedFields, every annotation but the
// deployment controller's revisions (so the last-applied configuration
// too), containers' env values and envFrom, command and args, lifecycle
// hooks, exec probes' command lines, volume sources, events' messages and
// nodes' image lists. A snapshot never holds Secrets or ConfigMaps, nor any
// kubeconfig or registry credential.
func Redact(s *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	c, err := copySnapshot(s)
	if err != nil {
		return nil, err
	}
	if ci := c.Cluster; ci != nil {
		for i := range ci.Nodes {
			n := &ci.Nodes[i]
			redactMeta(&n.ObjectMeta)
			n.Status.Images = nil
		}
		for i := range ci.SystemPods {
			redactPod(&ci.SystemPods[i])
		}
	}
	if ns := c.NS; ns != nil {
		for i := range ns.Deployments {
			redactDeployment(&ns.Deployments[i])
		}
		for i := range ns.ReplicaSets {
			redactReplicaSet(&ns.ReplicaSets[i])
		}
		for i := range ns.Pods {
			redactPod(&ns.Pods[i])
		}
		for i := range ns.Services {
			redactMeta(&ns.Services[i].ObjectMeta)
		}
		for i := range ns.EndpointSlices {
			redactMeta(&ns.EndpointSlices[i].ObjectMeta)
		}
		for i := range ns.Events {
			redactEvent(&ns.Events[i])
		}
	}
	if t := c.Target; t != nil {
		if t.Deployment != nil {
			redactDeployment(t.Deployment)
		}
		for i := range t.Pods {
			redactPod(&t.Pods[i])
		}
		if t.Service != nil {
			redactMeta(&t.Service.ObjectMeta)
		}
		for i := range t.EndpointSlices {
			redactMeta(&t.EndpointSlices[i].ObjectMeta)
		}
		for i := range t.Events {
			redactEvent(&t.Events[i])
		}
	}
	return c, nil
}

// copySnapshot is a deep copy through JSON: exactly what a submission
// carries and what the lecturer decodes.
func copySnapshot(s *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var c snapshot.Snapshot
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func redactMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	var keep map[string]string
	for k, v := range m.Annotations {
		for _, p := range keptAnnotations {
			if strings.HasPrefix(k, p) {
				if keep == nil {
					keep = map[string]string{}
				}
				keep[k] = v
			}
		}
	}
	m.Annotations = keep
}

func redactDeployment(d *appsv1.Deployment) {
	redactMeta(&d.ObjectMeta)
	redactTemplate(&d.Spec.Template)
}

func redactReplicaSet(rs *appsv1.ReplicaSet) {
	redactMeta(&rs.ObjectMeta)
	redactTemplate(&rs.Spec.Template)
}

func redactTemplate(t *corev1.PodTemplateSpec) {
	redactMeta(&t.ObjectMeta)
	redactPodSpec(&t.Spec)
}

func redactPod(p *corev1.Pod) {
	redactMeta(&p.ObjectMeta)
	redactPodSpec(&p.Spec)
}

func redactPodSpec(s *corev1.PodSpec) {
	for i := range s.InitContainers {
		redactContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		redactContainer(&s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		c := &s.EphemeralContainers[i].EphemeralContainerCommon
		c.Command, c.Args, c.EnvFrom, c.Lifecycle = nil, nil, nil, nil
		c.Env = envNames(c.Env)
		redactProbe(c.LivenessProbe)
		redactProbe(c.ReadinessProbe)
		redactProbe(c.StartupProbe)
	}
	for i := range s.Volumes {
		s.Volumes[i] = corev1.Volume{Name: s.Volumes[i].Name}
	}
}

func redactContainer(c *corev1.Container) {
	c.Command, c.Args, c.EnvFrom, c.Lifecycle = nil, nil, nil, nil
	c.Env = envNames(c.Env)
	redactProbe(c.LivenessProbe)
	redactProbe(c.ReadinessProbe)
	redactProbe(c.StartupProbe)
}

// envNames keeps each variable's name, never its value or where it comes
// from.
func envNames(env []corev1.EnvVar) []corev1.EnvVar {
	if env == nil {
		return nil
	}
	out := make([]corev1.EnvVar, len(env))
	for i, e := range env {
		out[i] = corev1.EnvVar{Name: e.Name}
	}
	return out
}

func redactProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.Exec != nil && len(p.Exec.Command) > 0 {
		p.Exec.Command = []string{RedactedCommand}
	}
	if p.HTTPGet != nil {
		p.HTTPGet.HTTPHeaders = nil
	}
}

func redactEvent(e *corev1.Event) {
	redactMeta(&e.ObjectMeta)
	e.Message = ""
	if e.Series != nil {
		e.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
}
