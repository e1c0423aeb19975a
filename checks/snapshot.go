package checks

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Snapshot is everything gathered for one student: plain data, no clients.
// A nil part was not gathered (no selected check needed it).
type Snapshot struct {
	Cluster *ClusterInfo
	NS      *Namespace
	// Target is what discovery found in NS for the student's image.
	Target *Target
	Image  *ImageInfo
	Run    *RunProbe
	App    *AppProbe
	// Now is when gathering took place. Judges read the time from here,
	// never from the clock, so a saved snapshot is judged the same way
	// tomorrow (events expire, restarts age). Zero: see SnapshotNow.
	Now time.Time
}

// ErrKind classifies why gathering failed. None of them is the student's fault.
type ErrKind string

// The kinds of gathering errors.
const (
	ErrUnreachable  ErrKind = "unreachable"
	ErrUnauthorized ErrKind = "unauthorized"
	ErrForbidden    ErrKind = "forbidden"
	ErrTimeout      ErrKind = "timeout"
	ErrRateLimited  ErrKind = "rate-limited"
	ErrConfig       ErrKind = "config"
	ErrOther        ErrKind = "other"
)

// GatherError says what could not be read and why.
type GatherError struct {
	Kind ErrKind
	// What was being done, e.g. "list pods in namespace web".
	What string
	// Detail is the underlying error text (never secrets).
	Detail string
	// RetryAfter is the wait a rate-limited registry asked for.
	RetryAfter time.Duration
}

func (e *GatherError) Error() string { return e.What + ": " + string(e.Kind) + ": " + e.Detail }

// L is the error as a message for the report.
func (e *GatherError) L() L {
	switch e.Kind {
	case ErrUnreachable:
		return T("Could not %s: the server is unreachable.", "Tidak bisa %s: server tidak dapat dihubungi.", e.What)
	case ErrUnauthorized:
		return T("Could not %s: the credentials were refused (unauthorized).", "Tidak bisa %s: kredensial ditolak (unauthorized).", e.What)
	case ErrForbidden:
		return T("Could not %s: forbidden.", "Tidak bisa %s: akses ditolak (forbidden).", e.What)
	case ErrTimeout:
		return T("Could not %s: timed out.", "Tidak bisa %s: waktu habis.", e.What)
	case ErrRateLimited:
		if e.RetryAfter > 0 {
			return T("Could not %s: the registry is rate limiting requests; retry after %s.", "Tidak bisa %s: registry membatasi jumlah permintaan; coba lagi setelah %s.", e.What, e.RetryAfter)
		}
		return T("Could not %s: the registry is rate limiting requests.", "Tidak bisa %s: registry membatasi jumlah permintaan.", e.What)
	case ErrConfig:
		return T("Could not %s: %s.", "Tidak bisa %s: %s.", e.What, e.Detail)
	}
	return T("Could not %s.", "Tidak bisa %s.", e.What)
}

// HintL says what to do about the error.
func (e *GatherError) HintL() L {
	switch e.Kind {
	case ErrUnreachable:
		return T("Is the cluster running (minikube status) and is the kubeconfig context the right one?",
			"Apakah klaster berjalan (minikube status) dan context kubeconfig sudah benar?")
	case ErrUnauthorized:
		return T("Your kubeconfig or registry login is out of date; log in again.",
			"Kubeconfig atau login registry sudah kedaluwarsa; login ulang.")
	case ErrForbidden:
		return T("The grader's account lacks read access; see deploy/rbac.yaml for the permissions it needs.",
			"Akun penilai tidak punya hak baca; lihat deploy/rbac.yaml untuk izin yang diperlukan.")
	case ErrTimeout:
		return T("The server is slow or hanging; try again, or raise --timeout.",
			"Server lambat atau macet; coba lagi, atau naikkan --timeout.")
	case ErrRateLimited:
		return T("Wait and run the check again; this is not your mistake.",
			"Tunggu lalu jalankan pemeriksaan lagi; ini bukan kesalahan Anda.")
	}
	return L{}
}

// ClusterInfo is cluster-wide state.
type ClusterInfo struct {
	Server  string
	Context string
	// Err is set when the API server could not be reached at all.
	Err        *GatherError
	Version    string
	Nodes      []corev1.Node
	NodesErr   *GatherError
	SystemPods []corev1.Pod
	SystemErr  *GatherError
}

// Namespace holds one namespace's objects. An Err field set means that kind
// could not be listed.
type Namespace struct {
	Name              string
	Deployments       []appsv1.Deployment
	DeploymentsErr    *GatherError
	Pods              []corev1.Pod
	PodsErr           *GatherError
	Services          []corev1.Service
	ServicesErr       *GatherError
	EndpointSlices    []discoveryv1.EndpointSlice
	EndpointSlicesErr *GatherError
	Events            []corev1.Event
	EventsErr         *GatherError
	// ReplicaSets hold the deployments' rollout history (revisions).
	ReplicaSets    []appsv1.ReplicaSet
	ReplicaSetsErr *GatherError
}

// Target is the student's work as discovery found it.
type Target struct {
	// Image is the normalised image reference the student handed in.
	Image string
	// Deployment runs Image (or was named with --deployment); nil if none.
	Deployment *appsv1.Deployment
	// Candidates are other deployments seen, for hints ("did you mean").
	Candidates []string
	// Pods are the deployment's pods.
	Pods []corev1.Pod
	// Service selects the deployment's pods; nil if none does.
	Service *corev1.Service
	// EndpointSlices belong to Service.
	EndpointSlices []discoveryv1.EndpointSlice
	// Events involve the deployment, its replica sets or its pods.
	Events []corev1.Event
}

// ImageInfo is what the registry says about the student's image.
type ImageInfo struct {
	// Ref is the reference as given; Name is it normalised
	// (index.docker.io/user/repo:latest).
	Ref  string
	Name string
	// Invalid is set when Ref does not parse.
	Invalid string
	// Err is an environment problem (registry unreachable, rate limited).
	Err *GatherError
	// NotFound: the registry answered that the tag or repository does not
	// exist. Private: it refused without credentials.
	NotFound bool
	Private  bool
	Digest   string
	// MediaType of the top manifest; IsIndex for multi-arch.
	MediaType string
	IsIndex   bool
	// Platforms available, as "os/arch[/variant]".
	Platforms []string
	// Platform whose config and files were read.
	Platform string
	Config   *ImageConfig
	// Files maps an absolute path to what was found: Content holds at most
	// the read limit, Size the real size. Paths absent from the image are
	// absent from the map.
	Files    map[string]*ImageFile
	FilesErr *GatherError
	// Paths are the regular files seen while reading the layers, sorted
	// (whiteouts honoured; base-image and pip folders such as /usr/lib,
	// /etc and site-packages left out, see systemDir; at most
	// MaxImagePaths), so that a missing
	// file can be matched with what the student copied instead
	// (app.py.txt, App.py, requirement.txt). Complete only when a wanted
	// file was missing (every layer was then read); empty when not gathered.
	Paths []string
}

// MaxImagePaths caps ImageInfo.Paths (it travels in submissions).
const MaxImagePaths = 4000

// ImageConfig is the part of the image config checks judge.
type ImageConfig struct {
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	ExposedPorts []string
	Env          []string
	Labels       map[string]string
	Created      time.Time
	OS           string
	Architecture string
}

// ImageFile is one file read from the image's layers.
type ImageFile struct {
	Size    int64
	Content string
}

// RunProbe is the outcome of running the image as a container.
type RunProbe struct {
	// SkipReason is set when the probe could not be attempted (no Docker).
	SkipReason string
	Err        *GatherError
	// Exited is set when the container stopped before answering.
	Exited   bool
	ExitCode int
	// HTTPStatus is the answer on port 5000 (0 when none).
	HTTPStatus int
	Body       string
	Logs       string
}

// AppProbe is the outcome of reaching the app the way a browser would.
type AppProbe struct {
	Attempts []AppAttempt
}

// AppAttempt is one way tried: "loadbalancer", "nodeport" or "service-proxy".
type AppAttempt struct {
	Via    string
	URL    string
	Status int
	Body   string
	Err    string
}

func (a AppAttempt) String() string {
	if a.Err != "" {
		return fmt.Sprintf("%s %s: %s", a.Via, a.URL, a.Err)
	}
	return fmt.Sprintf("%s %s: HTTP %d", a.Via, a.URL, a.Status)
}
