package checks

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubelab/kubelab/snapshot"
)

// Discover finds the student's work in a namespace: the Deployment running
// image (or named deployment), its pods, the Service selecting them, that
// Service's EndpointSlices, and the events about them. Pure: it reads only ns.
func Discover(ns *Namespace, image, deployment string) *Target {
	t := &Target{Image: image}
	full, repo, err := NormalizeImage(image)
	if err == nil {
		t.Image = full
	}
	t.Deployment = pickDeployment(ns, full, repo, deployment)
	for i := range ns.Deployments {
		d := &ns.Deployments[i]
		if t.Deployment == nil || d.Name != t.Deployment.Name {
			t.Candidates = append(t.Candidates, fmt.Sprintf("%s (%s)", d.Name, containerImages(d)))
		}
	}
	sort.Strings(t.Candidates)
	if t.Deployment == nil {
		return t
	}
	// A repository handed in without a tag is the image the student's
	// deployment runs from it (they tagged and deployed their own tag, as
	// the lesson teaches), not latest, which they may never have pushed.
	if err == nil && !snapshot.HasTagOrDigest(image) {
		for _, c := range t.Deployment.Spec.Template.Spec.Containers {
			if cf, cr, err := NormalizeImage(c.Image); err == nil && cr == repo {
				if cf != full {
					t.Image, t.ImageFrom = cf, t.Deployment.Name
				}
				break
			}
		}
	}
	sel, err := metaSelector(t.Deployment)
	if err == nil {
		for _, p := range ns.Pods {
			if sel.Matches(labels.Set(p.Labels)) && p.DeletionTimestamp == nil {
				t.Pods = append(t.Pods, p)
			}
		}
	}
	sort.Slice(t.Pods, func(i, j int) bool { return t.Pods[i].Name < t.Pods[j].Name })
	discoverService(ns, t)
	discoverEvents(ns, t)
	return t
}

// pickDeployment is the deployment named deployment or, without a name, the
// oldest running image full exactly, else the oldest running another tag of
// repo; nil when none does.
func pickDeployment(ns *Namespace, full, repo, deployment string) *appsv1.Deployment {
	var exact, sameRepo []*appsv1.Deployment
	for i := range ns.Deployments {
		d := &ns.Deployments[i]
		if deployment != "" {
			if d.Name == deployment {
				exact = append(exact, d)
			}
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			cf, cr, err := NormalizeImage(c.Image)
			if err != nil {
				continue
			}
			if cf == full {
				exact = append(exact, d)
				break
			}
			if cr == repo {
				sameRepo = append(sameRepo, d)
				break
			}
		}
	}
	switch {
	case len(exact) > 0:
		return oldest(exact)
	case len(sameRepo) > 0:
		// Same repository, another tag: still the student's deployment
		// (deployment.exists says which tag it runs).
		return oldest(sameRepo)
	}
	return nil
}

// discoverService sets t.Service to the Service whose selector matches the
// deployment's pod template, preferring one named like the deployment, then
// a LoadBalancer, and t.EndpointSlices to that Service's slices.
func discoverService(ns *Namespace, t *Target) {
	podLabels := labels.Set(t.Deployment.Spec.Template.Labels)
	var svcs []*corev1.Service
	for i := range ns.Services {
		s := &ns.Services[i]
		if len(s.Spec.Selector) == 0 {
			continue
		}
		if labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			svcs = append(svcs, s)
		}
	}
	sort.SliceStable(svcs, func(i, j int) bool { return svcRank(svcs[i], t.Deployment.Name) < svcRank(svcs[j], t.Deployment.Name) })
	if len(svcs) > 0 {
		t.Service = svcs[0]
		for _, es := range ns.EndpointSlices {
			if es.Labels[discoveryv1.LabelServiceName] == t.Service.Name {
				t.EndpointSlices = append(t.EndpointSlices, es)
			}
		}
	}
}

// discoverEvents sets t.Events to the events about the deployment, its
// ReplicaSets and its pods (named after it).
func discoverEvents(ns *Namespace, t *Target) {
	for _, e := range ns.Events {
		o := e.InvolvedObject
		if (o.Kind == "Deployment" && o.Name == t.Deployment.Name) ||
			(o.Kind == "ReplicaSet" && strings.HasPrefix(o.Name, t.Deployment.Name+"-")) ||
			(o.Kind == "Pod" && strings.HasPrefix(o.Name, t.Deployment.Name+"-")) {
			t.Events = append(t.Events, e)
		}
	}
}

// OtherServices lists services in ns that do not select the target's pods,
// with their selectors, for hints.
func OtherServices(ns *Namespace, t *Target) []string {
	var out []string
	for _, s := range ns.Services {
		if s.Name == "kubernetes" || (t.Service != nil && s.Name == t.Service.Name) {
			continue
		}
		out = append(out, fmt.Sprintf("%s (selector %s)", s.Name, labels.Set(s.Spec.Selector)))
	}
	sort.Strings(out)
	return out
}

func svcRank(s *corev1.Service, deployment string) int {
	r := 2
	if s.Name == deployment {
		r = 0
	} else if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
		r = 1
	}
	return r
}

func oldest(ds []*appsv1.Deployment) *appsv1.Deployment {
	sort.Slice(ds, func(i, j int) bool {
		if !ds[i].CreationTimestamp.Equal(&ds[j].CreationTimestamp) {
			return ds[i].CreationTimestamp.Before(&ds[j].CreationTimestamp)
		}
		return ds[i].Name < ds[j].Name
	})
	return ds[0]
}

func containerImages(d *appsv1.Deployment) string {
	var imgs []string
	for _, c := range d.Spec.Template.Spec.Containers {
		imgs = append(imgs, c.Image)
	}
	return strings.Join(imgs, ", ")
}

func metaSelector(d *appsv1.Deployment) (labels.Selector, error) {
	if d.Spec.Selector == nil {
		return labels.Nothing(), nil
	}
	return metav1LabelSelectorAsSelector(d)
}

func metav1LabelSelectorAsSelector(d *appsv1.Deployment) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(d.Spec.Selector)
}
