// Package snapshot is the data model between gathering and judging: what was
// read from the student's cluster, registry, container run and app, as plain
// data with no clients inside. Package gather fills it (the only I/O);
// package checks judges it (pure functions); package pipeline joins the two.
package snapshot

import (
	"fmt"
	"path"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Snapshot is everything gathered for one student: plain data, no clients.
// A nil part was not gathered (no selected check needed it).
type Snapshot struct {
	// Now is when gathering took place. Judges read the time from here,
	// never from the clock, so a saved snapshot is judged the same way
	// tomorrow (events expire, restarts age). Zero: see checks.SnapshotNow.
	Now     time.Time
	Cluster *ClusterInfo
	NS      *Namespace
	// Target is what discovery found in NS for the student's image.
	Target *Target
	Image  *ImageInfo
	Run    *RunProbe
	App    *AppProbe
}

// Source is a part of the world a check reads; gathering skips what no
// selected check needs.
type Source string

// The sources a check may need.
const (
	SrcCluster   Source = "cluster"   // version, nodes, kube-system pods
	SrcNamespace Source = "namespace" // deployments, pods, services, endpointslices, events
	SrcImage     Source = "image"     // registry metadata and files
	SrcRun       Source = "run"       // the image run as a container
	SrcApp       Source = "app"       // HTTP to the app as a browser reaches it
)

// Plan says what to gather for a set of checks: the sources they read and
// what their parameters change. package checks makes it from the lab's
// checks (checks.PlanFor); package gather follows it. Zero fields take the
// gatherers' defaults.
type Plan struct {
	Sources map[Source]bool
	// ImageFiles are the absolute paths to read from the image.
	ImageFiles []string
	// AppPath is the path requested of the app.
	AppPath string
	// RunPort is the container port the app must answer on; RunStartup
	// bounds the wait for its first answer.
	RunPort    int
	RunStartup time.Duration
}

// Needs reports whether the plan reads src.
func (p *Plan) Needs(src Source) bool { return p != nil && p.Sources[src] }

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
	// Image is the normalised image reference the student handed in; for a
	// repository handed in without a tag, the reference the deployment runs
	// from that repository (ImageFrom names the deployment then).
	Image     string
	ImageFrom string
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
	// CrashLogs hold the tail (at most 2 KiB) of the log of a container
	// run that ended in an error not long ago, keyed LogKey(pod,
	// container): what `kubectl logs POD --previous` shows. Read only from
	// a real kubelet; evidence for the message, never a reason for a
	// verdict (a log that could not be read is simply absent).
	CrashLogs map[string]string
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
	// /etc and site-packages left out; at most MaxImagePaths), so that a
	// missing file can be matched with what the student copied instead
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
	// Excluded is set with SkipReason when the run was left out by the
	// grader's own choice (--no-run, batch grading without --run-images):
	// image.runs is then out of the grade, which is still complete.
	Excluded bool
	Err      *GatherError
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

// The defaults of the container run: the lesson's app answers on port 5000
// within a minute of starting.
const (
	DefaultRunPort           = 5000
	DefaultRunStartupTimeout = 60 * time.Second
)

// LessonFiles are the lesson's files (app.py, requirements.txt) under the
// working directory workdir.
func LessonFiles(workdir string) []string {
	wd := CleanDir(workdir)
	return []string{path.Join(wd, "app.py"), path.Join(wd, "requirements.txt")}
}

// CleanDir makes a directory as an image config names it absolute and clean
// ("" is the root).
func CleanDir(d string) string {
	d = strings.TrimSpace(d)
	if d == "" {
		return "/"
	}
	return path.Clean("/" + d)
}

// LogKey is the key of Target.CrashLogs for a pod's container.
func LogKey(pod, container string) string { return pod + "/" + container }
