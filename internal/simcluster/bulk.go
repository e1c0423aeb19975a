package simcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// BulkStudent is one student for Populate: a namespace, the image the
// student hands in and the scenario they play.
type BulkStudent struct {
	Namespace, Image, Scenario string
	// App names the deployment (default "hello-flask").
	App string
}

// Populate creates many students at once, for benchmarks and large tests:
// Student.Play runs the real kubectl a dozen times per student, which takes
// minutes for a class of a thousand. Populate creates the same objects
// directly through the API (namespaces, then the deployments and services
// kubectl create deployment / kubectl expose / kubectl create service would
// create, with the same names, labels, selectors, ports and container
// names), lets the controllers and kwok run them, writes what a kubelet
// would report for the failing scenarios exactly as Play does, and waits
// until every student's state is the one the scenario names. The objects
// differ from Play's only in their managedFields and creation order; a
// benchmark checks that every populated student is graded exactly like a
// student of the same scenario played with kubectl.
func (c *Cluster) Populate(ctx context.Context, students []BulkStudent) error {
	cfg, err := c.RestConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for i := range students {
		if students[i].App == "" {
			students[i].App = "hello-flask"
		}
		if _, err := ScenarioByName(students[i].Scenario); err != nil {
			return err
		}
	}
	if err := createNamespaces(ctx, cs, students); err != nil {
		return err
	}
	if err := forEach(students, func(s *BulkStudent) error { return createScenario(ctx, cs, s) }); err != nil {
		return err
	}
	pods, err := waitPodsRunning(ctx, cs, students)
	if err != nil {
		return err
	}
	if err := forEach(students, func(s *BulkStudent) error { return c.writeKubeletStatus(ctx, cs, s, pods[s.Namespace]) }); err != nil {
		return err
	}
	return waitSettled(ctx, cs, students)
}

// failingScenarios are the scenarios whose pods a kubelet would report as
// failing; kwok runs every pod, so Populate writes their status itself.
var failingScenarios = map[string]bool{"image-pull-backoff": true, "crash-loop": true}

// forEach calls f for every student on a few workers at once (the API
// server takes many requests in parallel; one at a time, a class of a
// thousand takes minutes). It returns the first error, naming its student.
func forEach(students []BulkStudent, f func(s *BulkStudent) error) error {
	const workers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	work := make(chan *BulkStudent)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				if err := f(s); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("%s (%s): %w", s.Namespace, s.Scenario, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range students {
		work <- &students[i]
	}
	close(work)
	wg.Wait()
	return first
}

// createNamespaces creates the students' namespaces and waits for their
// default service accounts: a pod cannot be created in a namespace before.
func createNamespaces(ctx context.Context, cs kubernetes.Interface, students []BulkStudent) error {
	if err := forEach(students, func(s *BulkStudent) error {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.Namespace}}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	// The service account controller makes each namespace's "default" one
	// at a time: on a busy machine 10 000 took over 2 minutes.
	if err := waitFor(ctx, 2*time.Minute+time.Duration(len(students))*30*time.Millisecond, func() (bool, error) {
		l, err := cs.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=default"})
		if err != nil {
			return false, nil
		}
		have := map[string]bool{}
		for _, sa := range l.Items {
			have[sa.Namespace] = true
		}
		for _, s := range students {
			if !have[s.Namespace] {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("simcluster: default service accounts: %w", err)
	}
	return nil
}

// waitPodsRunning waits until kwok runs a pod in every namespace whose
// scenario has one, and returns the pods by namespace.
func waitPodsRunning(ctx context.Context, cs kubernetes.Interface, students []BulkStudent) (map[string][]corev1.Pod, error) {
	wantPods := map[string]bool{}
	for _, s := range students {
		if s.Scenario != "nothing" && s.Scenario != "zero-replicas" {
			wantPods[s.Namespace] = true
		}
	}
	var pods map[string][]corev1.Pod
	if err := waitFor(ctx, 10*time.Minute, func() (bool, error) {
		l, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		pods = map[string][]corev1.Pod{}
		for _, p := range l.Items {
			if wantPods[p.Namespace] {
				pods[p.Namespace] = append(pods[p.Namespace], p)
			}
		}
		for ns := range wantPods {
			if len(pods[ns]) == 0 {
				return false, nil
			}
			for _, p := range pods[ns] {
				if p.Status.Phase != corev1.PodRunning {
					return false, nil
				}
			}
		}
		return true, nil
	}); err != nil {
		return nil, fmt.Errorf("simcluster: the students' pods never all started: %w", err)
	}
	return pods, nil
}

// writeKubeletStatus writes, for a failing scenario, what a kubelet would
// report for the student's pods (status and events), as Play does.
func (c *Cluster) writeKubeletStatus(ctx context.Context, cs kubernetes.Interface, s *BulkStudent, pods []corev1.Pod) error {
	if !failingScenarios[s.Scenario] {
		return nil
	}
	for _, p := range pods {
		patch, events := kubeletStatus(s, p)
		b, _ := json.Marshal(patch)
		if _, err := cs.CoreV1().Pods(s.Namespace).Patch(ctx, p.Name, types.MergePatchType, b, metav1.PatchOptions{}, "status"); err != nil {
			return err
		}
		if isPending(patch) {
			// As Play does: a pod whose image was never pulled has no
			// Created or Started event on a real node, though kwok
			// wrote them.
			if err := dropStartEvents(ctx, cs, p); err != nil {
				return err
			}
		}
		for i, e := range events {
			if _, err := cs.CoreV1().Events(s.Namespace).Create(ctx, kubeletEvent(c.NodeName, s.Namespace, p, i, e), metav1.CreateOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitSettled waits until each deployment's status is the scenario's, and
// each service with ready pods behind it has endpoints: only then does a
// grader see what it would see after Play.
func waitSettled(ctx context.Context, cs kubernetes.Interface, students []BulkStudent) error {
	return waitFor(ctx, 10*time.Minute, func() (bool, error) {
		ds, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		es, err := cs.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		deps := map[string]appsv1.Deployment{}
		for _, d := range ds.Items {
			deps[d.Namespace+"/"+d.Name] = d
		}
		ready := map[string]bool{}
		for _, e := range es.Items {
			for _, ep := range e.Endpoints {
				if len(ep.Addresses) > 0 && (ep.Conditions.Ready == nil || *ep.Conditions.Ready) {
					ready[e.Namespace+"/"+e.Labels["kubernetes.io/service-name"]] = true
				}
			}
		}
		for _, s := range students {
			if s.Scenario != "nothing" && !settled(s, deps[s.Namespace+"/"+s.App], ready[s.Namespace+"/"+s.App]) {
				return false, nil
			}
		}
		return true, nil
	})
}

// settled reports whether student s's deployment d (zero if missing) has
// reached its scenario's state; ready is whether its service has a ready
// endpoint.
func settled(s BulkStudent, d appsv1.Deployment, ready bool) bool {
	if d.Name == "" || d.Status.ObservedGeneration < d.Generation {
		return false
	}
	want := int32(1)
	switch {
	case s.Scenario == "zero-replicas":
		want = 0
	case failingScenarios[s.Scenario]:
		return d.Status.ReadyReplicas == 0
	}
	if d.Status.AvailableReplicas != want || d.Status.UpdatedReplicas != want {
		return false
	}
	switch s.Scenario {
	case "correct", "clusterip", "nodeport", "port-8080":
		return ready
	}
	return true
}

// createScenario creates what the scenario's kubectl commands create.
func createScenario(ctx context.Context, cs kubernetes.Interface, s *BulkStudent) error {
	deploy := func(image string, replicas int32) error {
		_, err := cs.AppsV1().Deployments(s.Namespace).Create(ctx, kubectlDeployment(s.App, image, replicas), metav1.CreateOptions{})
		return err
	}
	expose := func(typ corev1.ServiceType, port int32) error {
		_, err := cs.CoreV1().Services(s.Namespace).Create(ctx, kubectlExpose(s.App, typ, port), metav1.CreateOptions{})
		return err
	}
	var err error
	switch s.Scenario {
	case "nothing":
		return nil
	case "correct", "crash-loop":
		if err = deploy(s.Image, 1); err == nil {
			err = expose(corev1.ServiceTypeLoadBalancer, 5000)
		}
	case "no-service":
		err = deploy(s.Image, 1)
	case "image-pull-backoff":
		if err = deploy(retag(s.Image, "no-such-tag"), 1); err == nil {
			err = expose(corev1.ServiceTypeLoadBalancer, 5000)
		}
	case "zero-replicas":
		if err = deploy(s.Image, 0); err == nil {
			err = expose(corev1.ServiceTypeLoadBalancer, 5000)
		}
	case "clusterip":
		if err = deploy(s.Image, 1); err == nil {
			err = expose(corev1.ServiceTypeClusterIP, 5000)
		}
	case "nodeport":
		if err = deploy(s.Image, 1); err == nil {
			err = expose(corev1.ServiceTypeNodePort, 5000)
		}
	case "port-8080":
		if err = deploy(s.Image, 1); err == nil {
			err = expose(corev1.ServiceTypeLoadBalancer, 8080)
		}
	case "selector-mismatch":
		if err = deploy(s.Image, 1); err == nil {
			// kubectl create service loadbalancer <app>-svc --tcp=5000:5000
			name := s.App + "-svc"
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
					Ports: []corev1.ServicePort{{Name: "5000-5000", Protocol: corev1.ProtocolTCP, Port: 5000, TargetPort: intstr.FromInt32(5000)}}},
			}
			_, err = cs.CoreV1().Services(s.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		}
	default:
		return fmt.Errorf("simcluster: Populate cannot create scenario %q", s.Scenario)
	}
	return err
}

// kubectlDeployment is what `kubectl create deployment app --image=image
// [--replicas=n]` creates.
func kubectlDeployment(app, image string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": app}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: app, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: kubectlContainerName(image), Image: image}}},
			},
		},
	}
}

// kubectlContainerName is the container name kubectl create deployment
// derives from an image: its last path element without tag or digest.
func kubectlContainerName(image string) string {
	n := image[strings.LastIndex(image, "/")+1:]
	if i := strings.Index(n, "@"); i >= 0 {
		n = n[:i]
	}
	if i := strings.Index(n, ":"); i >= 0 {
		n = n[:i]
	}
	return n
}

// kubectlExpose is what `kubectl expose deployment app --type=typ
// --port=port` creates for a deployment made by kubectlDeployment.
func kubectlExpose(app string, typ corev1.ServiceType, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app, Labels: map[string]string{"app": app}},
		Spec: corev1.ServiceSpec{Type: typ, Selector: map[string]string{"app": app},
			Ports: []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port)}}},
	}
}

// dropStartEvents deletes kwok's Created and Started events of pod p, once
// they are there.
func dropStartEvents(ctx context.Context, cs kubernetes.Interface, p corev1.Pod) error {
	sel := "involvedObject.name=" + p.Name + ",reason="
	_ = waitFor(ctx, 5*time.Second, func() (bool, error) {
		l, err := cs.CoreV1().Events(p.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel + "Started"})
		return err == nil && len(l.Items) > 0, nil
	})
	for _, r := range []string{"Created", "Started"} {
		if err := cs.CoreV1().Events(p.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{FieldSelector: sel + r}); err != nil {
			return err
		}
	}
	return nil
}

// kubeletStatus is the status (and events) Play's kubelet step writes for a
// failing scenario's pod.
func kubeletStatus(s *BulkStudent, p corev1.Pod) (map[string]any, []event) {
	st := &Student{Namespace: s.Namespace, Image: s.Image, App: s.App}
	var patch map[string]any
	var events []event
	switch s.Scenario {
	case "image-pull-backoff":
		patch, events = pullBackOffStatus(st, p)
	case "crash-loop":
		patch, events = crashLoopStatus(st, p)
	}
	return patch, events
}

func kubeletEvent(node, ns string, p corev1.Pod, i int, e event) *corev1.Event {
	now := metav1.NewTime(time.Now())
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.kubelet%d", p.Name, i), Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name, UID: p.UID,
			APIVersion: "v1", FieldPath: "spec.containers{" + containerName(p) + "}"},
		Type: e.typ, Reason: e.reason, Message: e.msg, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet", Host: node},
	}
}

// ServeNodePorts stands in for kube-proxy and the app (handler) on
// 127.0.0.1:<nodePort> for every NodePort of the named services
// ("namespace/name"), found with one List: ServeApp for a whole class. It
// returns a function that stops the listeners.
func (c *Cluster) ServeNodePorts(ctx context.Context, services []string, handler http.Handler) (stop func(), err error) {
	cs, err := c.Clientset()
	if err != nil {
		return nil, err
	}
	l, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	var ls []net.Listener
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		for _, l := range ls {
			l.Close()
		}
	}
	var ports []int
	for _, svc := range l.Items {
		if !want[svc.Namespace+"/"+svc.Name] {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				ports = append(ports, int(p.NodePort))
			}
		}
	}
	sort.Ints(ports)
	for _, port := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			stop()
			return nil, fmt.Errorf("simcluster: standing in for an app on port %d: %w", port, err)
		}
		ls = append(ls, ln)
		go func() { _ = srv.Serve(ln) }()
	}
	return stop, nil
}
