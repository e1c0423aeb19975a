package checks

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/report"
)

// Unit tests of the fair-grading rules (issue 14): each builds the snapshot
// a real cluster would give and asserts the status, the message and the
// hint a student reads, in both languages.

var dxNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

const dxDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func dxTime(ago time.Duration) metav1.Time { return metav1.NewTime(dxNow.Add(-ago)) }

func dxDeployment(image string) appsv1.Deployment {
	return appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: "lab", UID: "d-1", CreationTimestamp: dxTime(48 * time.Hour)},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "hello-flask"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hello-flask"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "hello-flask", Image: image}}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 1},
	}
}

// dxPod is a Running, Ready pod of the deployment created age ago.
func dxPod(name, image string, age time.Duration) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab", Labels: map[string]string{"app": "hello-flask"}, CreationTimestamp: dxTime(age),
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "hello-flask-5795c94965", Controller: ptr(true)}}},
		Spec: corev1.PodSpec{NodeName: "minikube", Containers: []corev1.Container{{Name: "hello-flask", Image: image}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: dxTime(age)},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: dxTime(age - time.Minute)},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "hello-flask", Image: image, Ready: true,
				ImageID: "docker.io/budi/hello-flask@" + dxDigest,
				State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: dxTime(age - time.Minute)}}}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

func dxSnap(objs ...any) *Snapshot {
	ns := &Namespace{Name: "lab"}
	for _, o := range objs {
		switch o := o.(type) {
		case appsv1.Deployment:
			ns.Deployments = append(ns.Deployments, o)
		case corev1.Pod:
			ns.Pods = append(ns.Pods, o)
		case corev1.Service:
			ns.Services = append(ns.Services, o)
		case corev1.Event:
			ns.Events = append(ns.Events, o)
		}
	}
	return &Snapshot{Now: dxNow, Cluster: &ClusterInfo{}, NS: ns, Target: Discover(ns, "budi/hello-flask:v1", ""),
		Image: &ImageInfo{Ref: "budi/hello-flask:v1", Name: "index.docker.io/budi/hello-flask:v1", Digest: dxDigest}}
}

// dxWant judges id on s and checks status and the words of message and
// hint ("hint:" prefix), English then Indonesian.
func dxWant(t *testing.T, s *Snapshot, id string, params map[string]any, want report.Status, en, idn []string) Judgement {
	t.Helper()
	c, _ := Lookup(id)
	j := judgeSafely(c, s, withDefaults(c, params))
	if j.Status != want {
		t.Fatalf("%s: status %s, want %s: %s | hint %s", id, j.Status, want, j.Message.In("en"), j.Hint.In("en"))
	}
	for _, lang := range []struct {
		words     []string
		msg, hint string
	}{{en, j.Message.In("en"), j.Hint.In("en")}, {idn, j.Message.In("id"), j.Hint.In("id")}} {
		for _, w := range lang.words {
			if h, ok := strings.CutPrefix(w, "hint:"); ok {
				if !strings.Contains(lang.hint, h) {
					t.Errorf("%s: hint %q lacks %q", id, lang.hint, h)
				}
			} else if !strings.Contains(lang.msg, w) {
				t.Errorf("%s: message %q lacks %q", id, lang.msg, w)
			}
		}
	}
	if j.Message.In("id") == "" || j.Message.In("id") == j.Message.In("en") || (j.Hint.In("en") != "" && (j.Hint.In("id") == "" || j.Hint.In("id") == j.Hint.In("en"))) {
		t.Errorf("%s: not in both languages: %+v %+v", id, j.Message, j.Hint)
	}
	return j
}

func dxNode(arch string, ready bool) corev1.Node {
	st := corev1.ConditionTrue
	if !ready {
		st = corev1.ConditionFalse
	}
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-" + arch},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: arch, OperatingSystem: "linux"},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
}

func TestPlatformFollowsNodes(t *testing.T) {
	s := dxSnap()
	s.Image.Platforms = []string{"linux/arm64"}
	s.Cluster.Nodes = []corev1.Node{dxNode("arm64", true)}
	dxWant(t, s, "image.platform", nil, report.Pass, []string{"linux/arm64", "your cluster's nodes run (linux/arm64)"}, []string{"node klastermu"})

	s.Cluster.Nodes = []corev1.Node{dxNode("amd64", true), dxNode("arm64", false)}
	dxWant(t, s, "image.platform", nil, report.Fail, []string{"built only for linux/arm64", "linux/amd64", "hint:`docker buildx build --platform linux/amd64 -t budi/hello-flask:v1 --push .`"},
		[]string{"hanya dibuat untuk linux/arm64", "hint:`docker buildx build --platform linux/amd64"})

	s.Cluster.Nodes = nil
	dxWant(t, s, "image.platform", nil, report.Pass, []string{"not known", "any Linux platform"}, []string{"tidak diketahui"})

	// The lab's extra requirement is stated, and costs part only.
	s.Cluster.Nodes = []corev1.Node{dxNode("arm64", true)}
	dxWant(t, s, "image.platform", map[string]any{"platform": "linux/amd64"}, report.Partial, []string{"runs on your cluster", "lab also requires linux/amd64", "hint:--platform linux/arm64,linux/amd64"}, []string{"lab ini juga mewajibkan linux/amd64"})
	s.Image.Platforms = []string{"linux/amd64", "linux/arm64/v8"}
	dxWant(t, s, "image.platform", map[string]any{"platform": "linux/amd64"}, report.Pass, []string{"includes linux/amd64 as the lab requires"}, []string{"sesuai syarat lab"})
}

func TestEventsExpiredIsNotFailed(t *testing.T) {
	img := "budi/hello-flask:v1"
	s := dxSnap(dxDeployment(img), dxPod("hello-flask-5795c94965-abcde", img, 26*time.Hour))
	dxWant(t, s, "events.recorded", nil, report.Pass, []string{"events have expired", "hello-flask-5795c94965-abcde (scheduled 26h ago)"}, []string{"kedaluwarsa"})

	// A fresh pod without events is still a fail, with the command.
	s = dxSnap(dxDeployment(img), dxPod("hello-flask-5795c94965-abcde", img, 5*time.Minute))
	dxWant(t, s, "events.recorded", nil, report.Fail, []string{"No events"}, []string{"hint:`kubectl get events --field-selector involvedObject.name=hello-flask-5795c94965-abcde`"})

	// Scheduled expired, Started recent (the container restarted an
	// hour later): the status stands in for the expired part.
	p := dxPod("hello-flask-5795c94965-abcde", img, 3*time.Hour)
	p.Status.ContainerStatuses[0].State.Running.StartedAt = dxTime(10 * time.Minute)
	ev := corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: p.Name}, Reason: "Started", LastTimestamp: dxTime(10 * time.Minute)}
	s = dxSnap(dxDeployment(img), p, ev)
	dxWant(t, s, "events.recorded", nil, report.Pass, []string{"expired"}, nil)
}

func TestRestartsLongAgoDoNotCount(t *testing.T) {
	img := "budi/hello-flask:v1"
	p := dxPod("hello-flask-5795c94965-abcde", img, 72*time.Hour)
	p.Status.ContainerStatuses[0].RestartCount = 7
	p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "Unknown", ExitCode: 255}
	p.Status.ContainerStatuses[0].State.Running.StartedAt = dxTime(5 * time.Hour)
	s := dxSnap(dxDeployment(img), p)
	dxWant(t, s, "pods.stable", nil, report.Pass, []string{"run steadily now", "7 restarts, none for 5h", "minikube was stopped"}, []string{"stabil"})

	// Restarting now: fail, the logs command first.
	p.Status.ContainerStatuses[0].State.Running.StartedAt = dxTime(40 * time.Second)
	p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}
	s = dxSnap(dxDeployment(img), p)
	dxWant(t, s, "pods.stable", nil, report.Fail, []string{"restarted 7 times", "still restarting", "Error, exit code 1", "hint:`kubectl logs hello-flask-5795c94965-abcde --previous`"},
		[]string{"masih terus restart", "hint:`kubectl logs hello-flask-5795c94965-abcde --previous`"})
}

func TestEvictedPodsAreHistory(t *testing.T) {
	img := "budi/hello-flask:v1"
	old := dxPod("hello-flask-5795c94965-old01", img, 96*time.Hour)
	old.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "The node was low on resource: memory."}
	s := dxSnap(dxDeployment(img), old, dxPod("hello-flask-5795c94965-new01", img, time.Hour))
	j := dxWant(t, s, "pods.running", nil, report.Pass, []string{"All 1 pod(s)"}, nil)
	if !strings.Contains(j.Evidence[0].Value, "replaced; not counted") {
		t.Errorf("evidence %v", j.Evidence)
	}
}

func TestSameImageWrittenDifferently(t *testing.T) {
	for _, c := range []struct {
		image string
		how   string
	}{
		{"budi/hello-flask@" + dxDigest, "pinned by the digest you pushed"},
		{"docker.io/budi/hello-flask:v1", ""},
		{"index.docker.io/budi/hello-flask:v1", ""},
		{"budi/hello-flask:v1@" + dxDigest, "pinned by the digest you pushed"},
		{"budi/hello-flask:latest", "tag latest holds the same digest"},
		{"budi/hello-flask", "tag latest holds the same digest"},
	} {
		s := dxSnap(dxDeployment(c.image), dxPod("hello-flask-5795c94965-abcde", c.image, time.Hour))
		dxWant(t, s, "deployment.exists", nil, report.Pass, []string{"runs your image", c.how}, []string{"menjalankan image-mu"})
	}
	// Another digest, or another tag holding another digest: partial, with
	// the command.
	other := "budi/hello-flask@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	s := dxSnap(dxDeployment(other))
	dxWant(t, s, "deployment.exists", nil, report.Partial, []string{"another digest", "hint:`kubectl set image deployment/hello-flask hello-flask=budi/hello-flask:v1`"}, []string{"digest yang berbeda"})
	p := dxPod("hello-flask-5795c94965-abcde", "budi/hello-flask:v0", time.Hour)
	p.Status.ContainerStatuses[0].ImageID = "docker.io/budi/hello-flask@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	s = dxSnap(dxDeployment("budi/hello-flask:v0"), p)
	dxWant(t, s, "deployment.exists", nil, report.Partial, []string{"another tag of your image budi/hello-flask:v1"}, []string{"tag lain dari image-mu"})
}

func TestNoDeploymentDiagnosed(t *testing.T) {
	// kubectl run made a bare pod.
	bare := dxPod("hello-flask", "budi/hello-flask:v1", time.Hour)
	bare.OwnerReferences = nil
	bare.Labels = map[string]string{"run": "hello-flask"}
	s := dxSnap(bare)
	dxWant(t, s, "deployment.exists", nil, report.Fail, []string{"pod hello-flask does", "kubectl run",
		"hint:`kubectl delete pod hello-flask`, then `kubectl create deployment hello-flask --image=budi/hello-flask:v1`."},
		[]string{"dibuat dengan kubectl run", "hint:`kubectl delete pod hello-flask`, lalu `kubectl create deployment hello-flask --image=budi/hello-flask:v1`."})
	// A deployment running another image (a typo in the repository).
	d := dxDeployment("budi/helo-flask:v1")
	d.Name = "web"
	s = dxSnap(d)
	dxWant(t, s, "deployment.exists", nil, report.Fail, []string{"deployment web runs budi/helo-flask:v1", "hint:`kubectl set image deployment/web hello-flask=budi/hello-flask:v1`"},
		[]string{"deployment web menjalankan budi/helo-flask:v1"})
	// Nothing: the other namespace is named as out of reach.
	s = dxSnap()
	dxWant(t, s, "deployment.exists", nil, report.Fail, []string{"no deployment in namespace lab", "hint:`kubectl create deployment hello-flask --image=budi/hello-flask:v1 -n lab`", "hint:--all-namespaces"},
		[]string{"namespace lab", "hint:namespace lain"})
}

func TestServiceNearMisses(t *testing.T) {
	img := "budi/hello-flask:v1"
	svc := corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello-flask", Namespace: "lab"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"run": "hello-flask"},
			Ports: []corev1.ServicePort{{Port: 5000, TargetPort: intstr.FromInt32(5000)}}}}
	bare := dxPod("hello-flask", img, time.Hour)
	bare.OwnerReferences = nil
	bare.Labels = map[string]string{"run": "hello-flask"}
	s := dxSnap(dxDeployment(img), dxPod("hello-flask-5795c94965-abcde", img, time.Hour), bare, svc)
	dxWant(t, s, "service.exists", nil, report.Fail, []string{"service hello-flask selects run=hello-flask", "made with kubectl run",
		"hint:`kubectl delete service hello-flask`, then `kubectl expose deployment hello-flask --type=LoadBalancer --port=5000`."},
		[]string{"dibuat dengan kubectl run", "hint:`kubectl delete service hello-flask`, lalu `kubectl expose deployment hello-flask --type=LoadBalancer --port=5000`."})

	svc.Spec.Selector = map[string]string{"app": "hello-flask"}
	svc.Spec.Ports = []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromInt32(8080)}}
	s = dxSnap(dxDeployment(img), svc)
	dxWant(t, s, "service.port", nil, report.Fail, []string{"does not listen on port 5000", "hint:`kubectl delete service hello-flask`, then `kubectl expose deployment hello-flask --type=LoadBalancer --port=5000`."}, nil)
	svc.Spec.Ports = []corev1.ServicePort{{Port: 5000, TargetPort: intstr.FromInt32(80)}}
	s = dxSnap(dxDeployment(img), svc)
	dxWant(t, s, "service.port", nil, report.Partial, []string{"forwards to port 80"}, []string{"hint:--port=5000`"})
	svc.Spec.Type = corev1.ServiceTypeNodePort
	s = dxSnap(dxDeployment(img), svc)
	dxWant(t, s, "service.type", nil, report.Partial, []string{"NodePort"}, []string{"hint:`kubectl delete service hello-flask`, lalu `kubectl expose deployment hello-flask --type=LoadBalancer --port=5000`"})
}

func TestLocalhostOnlyDiagnosed(t *testing.T) {
	s := dxSnap()
	s.Run = &RunProbe{Logs: " * Serving Flask app 'app'\n * Running on http://127.0.0.1:5000\nPress CTRL+C to quit\n"}
	dxWant(t, s, "image.runs", nil, report.Fail, []string{"listens on 127.0.0.1", "Running on http://127.0.0.1:5000",
		"hint:In app.py write app.run(host=\"0.0.0.0\", port=5000), then `docker build -t budi/hello-flask:v1 .`, then `docker push budi/hello-flask:v1`."},
		[]string{"hanya mendengarkan di 127.0.0.1", "hint:Di app.py tulis app.run(host=\"0.0.0.0\", port=5000)"})
	// Flask's log when host="0.0.0.0": no diagnosis.
	s.Run.Logs = " * Running on all addresses (0.0.0.0)\n * Running on http://127.0.0.1:5000\n * Running on http://10.0.0.5:5000\n"
	if why := localhostOnly(s); !why.IsZero() {
		t.Errorf("all addresses read as localhost only: %s", why.In("en"))
	}
}

func TestFileNearMisses(t *testing.T) {
	paths := []string{"/app/app.py.txt", "/app/requirement.txt", "/app/Dockerfile", "/usr/local/lib/python3.12/site-packages/flask/app.py", "/srv/app.py"}
	if got := nearMisses(paths, "/app/app.py"); len(got) == 0 || got[0] != "/app/app.py.txt" {
		t.Errorf("app.py: %v", got)
	}
	if got := nearMisses(paths, "/app/requirements.txt"); len(got) == 0 || got[0] != "/app/requirement.txt" {
		t.Errorf("requirements.txt: %v", got)
	}
	if got := nearMisses([]string{"/app/App.py", "/app/requirements"}, "/app/requirements.txt"); len(got) != 1 || got[0] != "/app/requirements" {
		t.Errorf("requirements: %v", got)
	}
	if got := nearMisses([]string{"/usr/src/app/app.py", "/usr/local/lib/python3.12/site-packages/flask/app.py"}, "/app/app.py"); len(got) != 1 || got[0] != "/usr/src/app/app.py" {
		t.Errorf("elsewhere: %v", got)
	}
	if got := nearMisses([]string{"/app/main.py", "/app/test.py"}, "/app/app.py"); len(got) != 0 {
		t.Errorf("unrelated names matched: %v", got)
	}

	s := dxSnap()
	s.Image = imgWith(func(im *ImageInfo) {
		delete(im.Files, "/app/app.py")
		im.Paths = append(paths, "/app/requirements.txt")
	})
	dxWant(t, s, "image.files", nil, report.Fail, []string{"Missing from the image: /app/app.py; it holds /app/app.py.txt instead of app.py",
		"hint:`mv app.py.txt app.py`, then `docker build -t budi/flask-app:v1 .`, then `docker push budi/flask-app:v1`."},
		[]string{"yang ada /app/app.py.txt, bukan app.py", "hint:`mv app.py.txt app.py`, lalu"})
}

// A real kubelet's states, each with its cause and the fixing command.
func TestKubeletStates(t *testing.T) {
	img := "budi/hello-flask:v1"
	name := "hello-flask-5795c94965-abcde"
	waiting := func(reason, msg string) func(p *corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.Conditions = p.Status.Conditions[:1]
			p.Status.ContainerStatuses[0].Ready = false
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
		}
	}
	lastStop := func(reason string, code int32) func(p *corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodRunning
			p.Status.ContainerStatuses[0].RestartCount = 4
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code}
		}
	}
	for _, c := range []struct {
		name   string
		image  string
		age    time.Duration
		change []func(p *corev1.Pod)
		en, id []string
	}{
		{"ErrImagePull rate limited", img, time.Minute, []func(*corev1.Pod){waiting("ErrImagePull", `failed to pull and unpack image "docker.io/budi/hello-flask:v1": 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit`)},
			[]string{"hint:`kubectl create secret docker-registry dockerhub -n lab --docker-server=https://index.docker.io/v1/ --docker-username=budi --docker-password=<access-token>`, then `kubectl patch serviceaccount default -n lab -p '{\"imagePullSecrets\":[{\"name\":\"dockerhub\"}]}'`, then `kubectl delete pod " + name + " -n lab`.", "hint:10 pulls an hour per IPv4 address"},
			[]string{"hint:--docker-password=<token-akses>`, lalu `kubectl patch serviceaccount default -n lab", "hint:10 pull per jam per alamat IPv4"}},
		{"ErrImagePull not found", img, time.Minute, []func(*corev1.Pod){waiting("ErrImagePull", `failed to pull and unpack image "docker.io/budi/hello-flask:v1": failed to resolve reference: docker.io/budi/hello-flask:v1: not found`)},
			[]string{"cannot pull its image", "hint:`docker push budi/hello-flask:v1`, then `kubectl delete pod " + name + "`."}, []string{"tidak bisa mengunduh image", "hint:Docker Hub tidak punya"}},
		{"ImagePullBackOff private", img, time.Minute, []func(*corev1.Pod){waiting("ImagePullBackOff", `Back-off pulling image "budi/hello-flask:v1": pull access denied, repository does not exist or may require authorization`)},
			[]string{"ImagePullBackOff", "hint:make it public"}, []string{"hint:jadikan publik"}},
		{"ImagePullBackOff other image", "budi/helo-flask:v1", time.Minute, []func(*corev1.Pod){waiting("ImagePullBackOff", "Back-off pulling image")},
			[]string{"hint:`kubectl set image deployment/hello-flask hello-flask=budi/hello-flask:v1`."}, []string{"hint:bukan image yang kamu push"}},
		{"CrashLoopBackOff Error", img, time.Hour, []func(*corev1.Pod){waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container"), lastStop("Error", 1)},
			[]string{"crash-looping (restarted 4 times)", "exit code 1", "hint:`kubectl logs " + name + " --previous`.", "hint:If `--previous` answers \"unable to retrieve container logs\", the app has crashed again since: `kubectl logs " + name + "` shows that run."}, []string{"crash-loop (restart 4 kali)", "kode keluar 1", "hint:Kalau `--previous` menjawab"}},
		{"terminated Error between restarts", img, time.Hour, []func(*corev1.Pod){func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Ready = false
			p.Status.Conditions = p.Status.Conditions[:1]
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2}}
		}}, []string{"stopped with exit code 2", "hint:`kubectl logs " + name + "`. It shows", "hint:Once the pod has started again, that run's log is `kubectl logs " + name + " --previous`."}, []string{"kode keluar 2"}},
		{"OOMKilled", img, time.Hour, []func(*corev1.Pod){waiting("CrashLoopBackOff", ""), lastStop("OOMKilled", 137)},
			[]string{"OOMKilled", "hint:`kubectl set resources deployment hello-flask --limits=memory=256Mi`."}, []string{"memori"}},
		{"exit 0", img, time.Hour, []func(*corev1.Pod){waiting("CrashLoopBackOff", ""), lastStop("Completed", 0)},
			[]string{"exits with code 0"}, []string{"keluar dengan kode 0"}},
		{"CreateContainerConfigError", img, time.Hour, []func(*corev1.Pod){waiting("CreateContainerConfigError", `secret "db" not found`)},
			[]string{"cannot be created", `secret "db" not found`, "hint:`kubectl describe pod " + name + "`, then `kubectl edit deployment hello-flask`."}, []string{"tidak bisa dibuat"}},
		{"RunContainerError exec format", img, time.Hour, []func(*corev1.Pod){waiting("RunContainerError", `exec /usr/local/bin/python: exec format error`)},
			[]string{"cannot be started", "hint:`docker buildx build --platform linux/amd64 -t budi/hello-flask:v1 --push .`"}, []string{"hint:CPU"}},
		{"RunContainerError no binary", img, time.Hour, []func(*corev1.Pod){waiting("RunContainerError", `exec: "pyhton": executable file not found in $PATH`)},
			[]string{"hint:`docker run --rm budi/hello-flask:v1`."}, []string{"hint:ENTRYPOINT/CMD"}},
		{"ContainerCreating short", img, time.Minute, []func(*corev1.Pod){waiting("ContainerCreating", "")},
			[]string{"still starting", "hint:`kubectl get pods -w`."}, []string{"masih dalam proses mulai"}},
		{"ContainerCreating long", img, 20 * time.Minute, []func(*corev1.Pod){waiting("ContainerCreating", "")},
			[]string{"stuck in ContainerCreating for 20m", "hint:`kubectl describe pod " + name + "`."}, []string{"tertahan"}},
		{"Pending unschedulable", img, 10 * time.Minute, []func(*corev1.Pod){func(p *corev1.Pod) {
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
				Message: "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available"}}}
		}}, []string{"no node can take it", "Insufficient cpu", "hint:`kubectl set resources deployment hello-flask --requests=cpu=100m,memory=128Mi`."}, []string{"tidak ada node"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := dxPod(name, c.image, c.age)
			for _, f := range c.change {
				f(&p)
			}
			s := dxSnap(dxDeployment(img), p)
			s.Target.Pods[0].Spec.Containers[0].Image = c.image
			s.Target.Pods[0].Status.ContainerStatuses = p.Status.ContainerStatuses
			if c.image != img {
				s.Target.Deployment.Spec.Template.Spec.Containers[0].Image = c.image
				s.Target.Pods[0].Status.ContainerStatuses[0].Image = c.image
			}
			dxWant(t, s, "pods.running", nil, report.Fail, c.en, c.id)
		})
	}
}

func TestSnapshotNowDerived(t *testing.T) {
	s := dxSnap(dxDeployment("budi/hello-flask:v1"), dxPod("p", "budi/hello-flask:v1", 3*time.Hour))
	s.Now = time.Time{}
	if got, want := SnapshotNow(s), dxNow.Add(-3*time.Hour+time.Minute); !got.Equal(want) {
		t.Errorf("derived now %s, want %s (the newest timestamp)", got, want)
	}
}

// TestGatherImagePaths: gathering lists the image's files for the near-miss
// diagnosis, honouring whiteouts, and image.files names app.py.txt.
func TestGatherImagePaths(t *testing.T) {
	reg := registrytest.New(t)
	txt := func(s *registrytest.Spec) {
		s.RemoveFile("/app/app.py")
		s.Layers = append(s.Layers, map[string]string{"/app/app.py.txt": registrytest.AppPy})
	}
	registrytest.Push(t, reg, "budi/flask:txt", registrytest.LessonImage(txt))
	registrytest.Push(t, reg, "budi/flask:wh", registrytest.LessonImage(registrytest.WhiteoutAppPy()))
	registrytest.Push(t, reg, "budi/flask:opq", registrytest.LessonImage(registrytest.OpaqueAppDir()))

	info := gatherImageTest(t, reg.Ref("budi/flask:txt"))
	if !slices.Contains(info.Paths, "/app/app.py.txt") || !slices.Contains(info.Paths, "/app/requirements.txt") || slices.Contains(info.Paths, "/etc/os-release") {
		t.Fatalf("paths %v: want the student's files, not the base image's", info.Paths)
	}
	s := &Snapshot{Image: info}
	dxWant(t, s, "image.files", nil, report.Fail, []string{"it holds /app/app.py.txt instead of app.py", "hint:`mv app.py.txt app.py`"}, []string{"hint:`mv app.py.txt app.py`, lalu"})

	info = gatherImageTest(t, reg.Ref("budi/flask:wh"))
	if slices.Contains(info.Paths, "/app/app.py") || !slices.Contains(info.Paths, "/app/requirements.txt") {
		t.Errorf("whiteout: paths %v", info.Paths)
	}
	info = gatherImageTest(t, reg.Ref("budi/flask:opq"))
	if slices.Contains(info.Paths, "/app/app.py") || slices.Contains(info.Paths, "/app/requirements.txt") || !slices.Contains(info.Paths, "/app/README") {
		t.Errorf("opaque: paths %v", info.Paths)
	}
}
