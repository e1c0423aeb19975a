package gather

import (
	"context"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/snapshot"
)

// Crash logs (issue 28): the tail of the log of a container run that ended
// in an error, so that pods.running can quote the line that stopped the app
// ("ModuleNotFoundError: No module named 'flaks'"), as `kubectl logs POD
// --previous` would show it. Evidence only: a log that cannot be read
// (forbidden, no kubelet, timeout) leaves the verdict as it is.

const (
	// crashLogLines and crashLogBytes bound what is read: the traceback's
	// end is enough, and a log is text from a student's app.
	crashLogLines = 20
	crashLogBytes = 2048
	// crashLogPods bounds how many containers are read per grading: the
	// replicas of one deployment crash alike.
	crashLogPods = 2
	// crashLogWindow: only a run that ended this recently (the crash window
	// of pods.running) is read.
	crashLogWindow  = 10 * time.Minute
	crashLogTimeout = 5 * time.Second
)

// kwokNodeAnnotation marks a node kwok simulates: its pods have fake IPs
// and no container runs, so there is no log, and the API server must never
// be asked to connect to such a node (design: network safety).
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// CrashLogs reads, for at most crashLogPods containers of the target's pods
// whose last run ended in an error within crashLogWindow of now, the tail
// of that run's log, keyed snapshot.LogKey(pod, container). Only pods on a
// node that publishes a kubelet endpoint (a real kubelet: minikube's, a
// real node's) are read: the API server reaches the log through that
// kubelet, and a simulated node has none.
func CrashLogs(ctx context.Context, cs kubernetes.Interface, t *snapshot.Target, nodes []corev1.Node, now time.Time) map[string]string {
	if t == nil || cs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, crashLogTimeout)
	defer cancel()
	var out map[string]string
	read := 0
	for _, p := range t.Pods {
		if read >= crashLogPods {
			break
		}
		if !realKubelet(nodes, p.Spec.NodeName) {
			continue
		}
		for _, c := range p.Status.ContainerStatuses {
			previous, ok := crashedRun(c, now)
			if !ok || read >= crashLogPods {
				continue
			}
			read++
			text, err := tailLog(ctx, cs, p.Namespace, p.Name, c.Name, previous)
			if err != nil || text == "" {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			out[snapshot.LogKey(p.Name, c.Name)] = text
		}
	}
	return out
}

// realKubelet says whether node name is one whose kubelet the API server
// may be asked to reach: listed, not simulated by kwok, and publishing a
// kubelet port.
func realKubelet(nodes []corev1.Node, name string) bool {
	for _, n := range nodes {
		if n.Name != name {
			continue
		}
		if _, fake := n.Annotations[kwokNodeAnnotation]; fake {
			return false
		}
		return n.Status.DaemonEndpoints.KubeletEndpoint.Port > 0
	}
	return false
}

// crashedRun says whether container c's last run ended in an error within
// crashLogWindow of now, and whether that run is the previous one (the
// container has restarted) or the current one (terminated, not restarted
// yet).
func crashedRun(c corev1.ContainerStatus, now time.Time) (previous, ok bool) {
	failed := func(x *corev1.ContainerStateTerminated) bool {
		if x == nil || x.Reason == "Unknown" || x.ExitCode == 0 && x.Reason != "OOMKilled" {
			return false
		}
		return x.FinishedAt.IsZero() || now.IsZero() || now.Sub(x.FinishedAt.Time) < crashLogWindow
	}
	if failed(c.State.Terminated) {
		return false, true
	}
	if c.RestartCount > 0 && failed(c.LastTerminationState.Terminated) {
		return true, true
	}
	return false, false
}

func tailLog(ctx context.Context, cs kubernetes.Interface, ns, pod, container string, previous bool) (string, error) {
	lines, limit := int64(crashLogLines), int64(crashLogBytes)
	rc, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{
		Container: container, Previous: previous, TailLines: &lines, LimitBytes: &limit,
	}).Stream(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	// LimitBytes is the server's promise; this is ours.
	b, err := io.ReadAll(io.LimitReader(rc, crashLogBytes))
	if err != nil || kubeletLogError(string(b)) {
		return "", err
	}
	return string(b), nil
}

// kubeletLogError says whether a log body is the kubelet's own error, sent
// in the stream with status 200, instead of the container's log: the
// container it names is gone (seen on the real node when a crash-looping
// container crashed again between the pod list and the log read, and the
// kubelet's garbage collector had removed the run before it), or its log
// file is (the sweep quoted "failed to try resolving symlinks in path
// /var/log/pods/...: lstat ...: no such file or directory" once). Quoting
// it as the app's last line would be a lie. The prefixes are the kubelet's
// own wording: kuberuntime's GetContainerLogs ("unable to retrieve
// container logs for"), and its logs.ReadLogs ("failed to try resolving
// symlinks in path", "failed to open log file").
func kubeletLogError(text string) bool {
	t := strings.TrimSpace(text)
	for _, p := range []string{"unable to retrieve container logs for ", "failed to try resolving symlinks in path ", "failed to open log file "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}
