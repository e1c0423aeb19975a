// Package realnode runs a real Kubernetes node for kubelab: the control
// plane as internal/simcluster starts it, plus a real kubelet and kube-proxy
// (built from tools/ like the other binaries), Debian's containerd, runc and
// CNI plugins, and a registry, all inside one network namespace of its own.
// The grader is then proven against a real kubelet's pod states, not only
// against the simulator's picture of them.
//
// Network safety: the namespace is created here (`ip netns add`) and nothing
// of the root namespace routes into it; the node address (192.168.49.2)
// lives on a veth pair whose both ends are inside, the pod network on a CNI
// bridge inside. Every process is entered with `nsenter --net=...` (never
// `ip netns exec`, whose /sys remount hides the cgroup mounts from the
// kubelet). Nothing inside can reach beyond the namespace, and every image
// is built locally (the pause image from a few lines of C).
package realnode

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/kubelab/kubelab/internal/simcluster"
)

// Programs from Debian's packages.
const (
	containerdBin = "/usr/bin/containerd"
	runcBin       = "/usr/sbin/runc"
	cniBinDir     = "/usr/lib/cni"
)

// Options configure a node.
type Options struct {
	// Netns is the name of the network namespace this process runs in
	// (created by CreateNetns); Start refuses to run anywhere else.
	Netns string
	// Dir is the node's working directory (absolute, short: containerd's
	// socket lives in it).
	Dir string
	// BinDir holds the cluster binaries; empty means simcluster.NodeBinaries().
	BinDir string
}

// Node is a running real node with its control plane.
type Node struct {
	*simcluster.Cluster
	Netns string
	Dir   string
	// Registry is the in-namespace registry, "127.0.0.1:PORT" (plain HTTP).
	Registry string
	// RegistryNode is the same registry on the node address,
	// "192.168.49.2:PORT": the name a pod (a grader Job) can reach it by.
	RegistryNode string
	// PauseImage is the sandbox image containerd runs for every pod.
	PauseImage string
	// ContainerdSock is containerd's socket (for ctr).
	ContainerdSock string

	regSrv     *http.Server
	dockerHost string
	// sysctlUse is held while the node runs (see sysctl.go).
	sysctlUse *os.File
}

// Missing lists what a real node needs and this machine lacks (programs,
// root), empty when everything is there.
func Missing() []string {
	var miss []string
	if os.Geteuid() != 0 {
		miss = append(miss, "root")
	}
	for _, p := range []string{containerdBin, runcBin, filepath.Join(cniBinDir, "bridge"), filepath.Join(cniBinDir, "host-local"),
		filepath.Join(cniBinDir, "portmap"), filepath.Join(cniBinDir, "loopback")} {
		if _, err := os.Stat(p); err != nil {
			miss = append(miss, p)
		}
	}
	for _, p := range []string{"ip", "nsenter", "iptables", "conntrack", "gcc", "ctr"} {
		if _, err := exec.LookPath(p); err != nil {
			miss = append(miss, p)
		}
	}
	return miss
}

// Start starts the registry, the control plane and the node, and waits until
// the node is Ready. It must run inside the namespace opt.Netns.
func Start(ctx context.Context, opt Options) (n *Node, err error) {
	if m := Missing(); len(m) > 0 {
		return nil, fmt.Errorf("realnode: missing %s (Debian: containerd runc containernetworking-plugins iptables conntrack gcc iproute2 util-linux)", strings.Join(m, ", "))
	}
	if !InNetns(opt.Netns) {
		return nil, fmt.Errorf("realnode: this process is not in network namespace %q; run it with `nsenter --net=%s`", opt.Netns, NetnsPath(opt.Netns))
	}
	if !filepath.IsAbs(opt.Dir) {
		return nil, fmt.Errorf("realnode: Dir %q must be absolute", opt.Dir)
	}
	// Each start is a fresh node: the state of a previous run (etcd, the
	// kubelet's pods, containerd's records, the registry, IP leases) goes.
	// Every image comes from the registry inside, so nothing is slow to
	// pull again.
	for _, d := range []string{"cluster", "kubelet", "pod-logs", "registry", "cni", "dockerd", "containerd"} {
		if len(mountsUnder(filepath.Join(opt.Dir, d))) > 0 {
			return nil, fmt.Errorf("realnode: %s still has mounts from an earlier run; run `kubelab-real down` first", filepath.Join(opt.Dir, d))
		}
		if err := os.RemoveAll(filepath.Join(opt.Dir, d)); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"containerd", "cni/net.d", "cni/networks", "kubelet", "pod-logs", "registry"} {
		if err := os.MkdirAll(filepath.Join(opt.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	n = &Node{Netns: opt.Netns, Dir: opt.Dir, ContainerdSock: filepath.Join(opt.Dir, "containerd", "containerd.sock")}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	if err := n.startRegistry(); err != nil {
		return nil, err
	}
	if n.PauseImage, err = pushPause(ctx, n.Dir, n.Registry); err != nil {
		return nil, err
	}
	if opt.BinDir == "" {
		if opt.BinDir, err = simcluster.NodeBinaries(); err != nil {
			return nil, err
		}
	}
	c, err := simcluster.Start(ctx, simcluster.Options{
		BinDir: opt.BinDir, Dir: filepath.Join(opt.Dir, "cluster"), NodeName: "minikube",
		Node: n.startNode,
		// Pods (kubelab's grader Jobs) reach the API server as
		// https://10.96.0.1:443, which kube-proxy sends to the node address.
		APIAddress: NodeIP,
	})
	if err != nil {
		return nil, err
	}
	n.Cluster = c
	return n, nil
}

// startRegistry serves a Distribution-API registry on 127.0.0.1 inside the
// namespace, blobs on disk.
func (n *Node) startRegistry() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	n.Registry = l.Addr().String()
	_, port, _ := net.SplitHostPort(n.Registry)
	ln, err := net.Listen("tcp", net.JoinHostPort(NodeIP, port))
	if err != nil {
		l.Close()
		return fmt.Errorf("realnode: the registry on the node address: %w", err)
	}
	n.RegistryNode = ln.Addr().String()
	n.regSrv = &http.Server{
		Handler: privateRepos(registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(n.Dir, "registry"))),
			registry.Logger(log.New(io.Discard, "", 0)))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = n.regSrv.Serve(l) }()
	go func() { _ = n.regSrv.Serve(ln) }()
	return nil
}

// PrivatePrefix starts the name of a private repository of the registry:
// /v2/<PrivatePrefix>... answers 401 with a Basic challenge unless given
// PrivateUser and PrivatePassword, as a private repository does (issue 28:
// the pull-secret hint proven).
const (
	PrivatePrefix   = "budi/private-"
	PrivateUser     = "budi"
	PrivatePassword = "kubelab-test-token"
)

func privateRepos(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/"+PrivatePrefix) {
			if u, p, ok := r.BasicAuth(); !ok || u != PrivateUser || p != PrivatePassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="kubelab-test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// startNode is simcluster's Node hook: containerd, the kubelet and
// kube-proxy, as components of the cluster (Stop stops them first).
func (n *Node) startNode(ctx context.Context, c *simcluster.Cluster) error {
	n.Cluster = c
	if err := n.writeContainerdConfig(); err != nil {
		return err
	}
	if err := c.StartProcess("containerd", containerdBin, "--config", n.path("containerd", "config.toml")); err != nil {
		return err
	}
	if err := waitFile(ctx, n.ContainerdSock, 30*time.Second, c); err != nil {
		return fmt.Errorf("realnode: containerd: %w (see %s)", err, filepath.Join(c.Dir, "containerd.log"))
	}
	kubeletKC, err := c.UserKubeconfig("system:node:"+c.NodeName, "system:nodes")
	if err != nil {
		return err
	}
	if err := n.writeKubeletConfig(); err != nil {
		return err
	}
	if n.sysctlUse, err = saveSysctls(); err != nil {
		return err
	}
	if err := c.StartProcess("kubelet", filepath.Join(c.BinDir(), "kubelet"),
		"--config="+n.path("kubelet.yaml"),
		"--kubeconfig="+kubeletKC,
		"--root-dir="+n.path("kubelet"),
		"--cert-dir="+n.path("kubelet", "pki"),
		"--hostname-override="+c.NodeName,
		"--node-ip="+NodeIP,
		"--v=1",
	); err != nil {
		return err
	}
	proxyKC, err := c.UserKubeconfig("system:kube-proxy")
	if err != nil {
		return err
	}
	return c.StartProcess("kube-proxy", filepath.Join(c.BinDir(), "kube-proxy"),
		"--kubeconfig="+proxyKC,
		"--hostname-override="+c.NodeName,
		"--proxy-mode=iptables",
		"--cluster-cidr="+PodCIDR,
		"--bind-address="+NodeIP,
		"--metrics-bind-address=127.0.0.1:10249",
		"--healthz-bind-address=127.0.0.1:10256",
		// Without these it exits on "open /proc/sys/net/netfilter/
		// nf_conntrack_max: permission denied": 0 leaves the kernel's
		// (namespace's) conntrack settings alone.
		"--conntrack-max-per-core=0", "--conntrack-min=0",
		"--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
	)
}

func (n *Node) path(p ...string) string { return filepath.Join(append([]string{n.Dir}, p...)...) }

// cniNetwork names the pod network; the CNI result cache files under
// /var/lib/cni carry it, so Stop can remove exactly ours.
func (n *Node) cniNetwork() string { return "kubelab-" + n.Netns }

func waitFile(ctx context.Context, p string, timeout time.Duration, c *simcluster.Cluster) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); err == nil {
			return nil
		}
		if err := c.Exited(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not appear in %s", p, timeout)
}

// Stop tears the node down and leaves nothing behind but files in Dir: the
// workloads are deleted (so the kubelet stops their sandboxes and the CNI
// plugins release their addresses), then kube-proxy, the kubelet,
// containerd and the control plane stop; what is left in the namespace
// (containerd's shims and their containers) is ended by process id; the
// mounts under Dir and the pods' network namespaces are removed. Safe to
// call twice. The namespace itself is the caller's (DeleteNetns).
func (n *Node) Stop() {
	podNS := n.podNetns()
	n.stopDocker()
	if n.Cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		n.deleteWorkloads(ctx)
		cancel()
		n.Cluster.Stop()
	}
	killProcs(procsIn(NetnsPath(n.Netns)), 10*time.Second)
	restoreSysctls(n.sysctlUse)
	n.sysctlUse = nil
	if n.regSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = n.regSrv.Shutdown(ctx)
		cancel()
		n.regSrv = nil
	}
	unmountAll(append([]string{n.Dir}, podNS...)...)
	for _, p := range podNS {
		_ = os.Remove(p)
	}
	// libcni's result cache, named after our network.
	if m, _ := filepath.Glob(filepath.Join("/var/lib/cni/results", n.cniNetwork()+"-*")); len(m) > 0 {
		for _, f := range m {
			_ = os.Remove(f)
		}
	}
}

// deleteWorkloads deletes every pod outside kube-system (and what creates
// them) and waits until the kubelet has removed them.
func (n *Node) deleteWorkloads(ctx context.Context) {
	if _, err := n.Kubectl(ctx, "delete", "deployments,replicasets,jobs,daemonsets,pods", "--all", "--all-namespaces",
		"--grace-period=1", "--wait=false"); err != nil {
		return
	}
	for ctx.Err() == nil {
		out, err := n.Kubectl(ctx, "get", "pods", "--all-namespaces", "-o", "name")
		if err != nil || strings.TrimSpace(out) == "" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// podNetns returns the network namespace files of our pods' sandboxes: the
// /var/run/netns/cni-* files whose namespace is that of a process below
// containerd in our namespace.
func (n *Node) podNetns() []string {
	ours := map[syscallStat]bool{}
	for _, pid := range procsIn(NetnsPath(n.Netns)) {
		var st syscallStat
		if statIno(filepath.Join("/proc", strconv.Itoa(pid), "ns", "net"), &st) == nil {
			ours[st] = true
		}
	}
	files, _ := filepath.Glob("/var/run/netns/cni-*")
	var out []string
	for _, f := range files {
		var st syscallStat
		if statIno(f, &st) == nil && ours[st] {
			out = append(out, f)
		}
	}
	return out
}

// Leftovers lists what a stopped node left behind: processes in the
// namespace, mounts under dir, the namespace itself, pod namespaces whose
// files still exist. Empty when clean. An empty netns or dir is not
// looked at.
func Leftovers(netns, dir string) []string {
	var out []string
	if _, err := os.Stat(NetnsPath(netns)); netns != "" && err == nil {
		out = append(out, "network namespace "+netns)
		for _, p := range procsIn(NetnsPath(netns)) {
			cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
			out = append(out, fmt.Sprintf("process %d (%s)", p, strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " ")))
		}
	}
	for _, m := range mountsUnder(dir, NetnsPath(netns)) {
		out = append(out, "mount "+m)
	}
	// Any process still running one of our binaries from dir.
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if dir != "" && strings.Contains(string(cmd), dir+"/") && e.Name() != strconv.Itoa(os.Getpid()) {
			out = append(out, fmt.Sprintf("process %s (%s)", e.Name(), strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " ")))
		}
	}
	return out
}

// Sweep ends whatever still runs in the namespace (by process id), unmounts
// what is mounted under dir, deletes the namespace, and returns what is
// still left (see Leftovers). `kubelab-real down` runs it after the node has
// stopped, in case the node's own process died without stopping it.
func Sweep(netns, dir string) []string {
	killProcs(procsIn(NetnsPath(netns)), 10*time.Second)
	unmountAll(dir)
	if err := DeleteNetns(netns); err != nil {
		return []string{err.Error()}
	}
	return Leftovers(netns, dir)
}
