// Package simcluster runs a real Kubernetes control plane with simulated
// nodes for kubelab's tests, demo and benchmarks: etcd, kube-apiserver (TLS,
// client-certificate auth, RBAC), kube-controller-manager, kube-scheduler and
// kwok, all on free 127.0.0.1 ports, with a Ready node named "minikube".
//
// Network safety: every component listens on 127.0.0.1; the node's address is
// 127.0.0.1 (kwok --node-ip); pod IPs are fake (10.244.0.0/16) and, when we
// are root, made unreachable with a kernel route before anything starts, so
// nothing can send a packet to them.
package simcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Fake address ranges. Nothing may ever connect to them.
const (
	PodCIDR     = "10.244.0.0/16"
	ServiceCIDR = "10.96.0.0/16"
)

// Options configure a cluster.
type Options struct {
	// BinDir holds the binaries (see Binaries); empty means look them up.
	BinDir string
	// Dir is the cluster's working directory; empty means a new temp dir.
	Dir string
	// NodeName is the simulated node's name (default "minikube").
	NodeName string
	// Audit writes the API server's audit log to Dir/audit.log.
	Audit bool
	// Detach leaves the processes running when this program exits (for
	// `kubelab-sim up`); otherwise they die with it.
	Detach bool
	// SkipSystemPods leaves kube-system empty instead of creating pods
	// standing for minikube's control-plane components.
	SkipSystemPods bool
	// NodePortWindows is how many adjacent windows of 500 NodePorts the
	// cluster takes (default 1); a class of a thousand students with
	// LoadBalancer services needs more than one.
	NodePortWindows int
	// Node, when set, starts a real node instead of kwok's simulated one
	// (internal/realnode: a kubelet named NodeName). It is called once the
	// API server answers; Start then waits for that node to be Ready. No
	// kube-system stand-in pods are created: a real kubelet would try to
	// run them.
	Node func(ctx context.Context, c *Cluster) error
	// APIAddress, for a real node only, is a non-loopback address of the
	// network namespace that node made (internal/realnode: 192.168.49.2).
	// The API server then listens on all of that namespace's addresses,
	// advertises this one (the kubernetes service's endpoint, so pods reach
	// it at 10.96.0.1:443) and its certificate names it. Kubeconfigs keep
	// 127.0.0.1. Never set it for the simulated cluster.
	APIAddress string
}

// Cluster is a running simulated cluster.
type Cluster struct {
	Dir        string
	Kubeconfig string
	Server     string
	NodeName   string
	// Context is the kubeconfig context name ("minikube").
	Context string

	bins   string
	detach bool
	// apiAddress is Options.APIAddress.
	apiAddress string
	pki        *pki
	// nodePorts holds this cluster's NodePort windows while it runs.
	nodePorts []*os.File
	mu        sync.Mutex
	procs     []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a cluster and waits until it is usable: API server healthy,
// the node Ready, the default service account present.
func Start(ctx context.Context, opt Options) (c *Cluster, err error) {
	if err := opt.prepare(); err != nil {
		return nil, err
	}
	blockFakeRanges()

	c = &Cluster{Dir: opt.Dir, NodeName: opt.NodeName, Context: "minikube", bins: opt.BinDir, detach: opt.Detach, apiAddress: opt.APIAddress}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if err := c.writePKI(); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	portRange, lock, err := reserveNodePorts(opt.NodePortWindows)
	if err != nil {
		return nil, err
	}
	c.nodePorts = lock
	c.Server = "https://127.0.0.1:" + strconv.Itoa(apiPort)

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	if err := c.start(opt, "etcd",
		"--name=sim", "--data-dir="+c.path("etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=sim="+peerURL,
		// A test cluster needs no durability; fsync dominates start-up time.
		"--unsafe-no-fsync", "--log-level=warn",
	); err != nil {
		return nil, err
	}

	apiArgs, err := c.apiServerArgs(opt, etcdURL, apiPort, portRange)
	if err != nil {
		return nil, err
	}
	if err := c.start(opt, "kube-apiserver", apiArgs...); err != nil {
		return nil, err
	}
	admin := c.path("admin.kubeconfig")
	if err := c.writeKubeconfig(admin, "kubelab-admin", []string{"system:masters"}); err != nil {
		return nil, err
	}
	c.Kubeconfig = c.path("kubeconfig")
	if err := c.writeKubeconfig(c.Kubeconfig, "minikube-user", []string{"system:masters"}); err != nil {
		return nil, err
	}
	cs, err := c.Clientset()
	if err != nil {
		return nil, err
	}
	if err := c.waitHealthy(ctx, cs); err != nil {
		return nil, err
	}

	if err := c.startControllers(opt, admin); err != nil {
		return nil, err
	}
	if err := c.startNode(ctx, opt, admin, cs); err != nil {
		return nil, err
	}
	return c, nil
}

// prepare fills in the defaults (node name, binaries, working directory)
// and checks that every binary is there.
func (o *Options) prepare() (err error) {
	if o.NodeName == "" {
		o.NodeName = "minikube"
	}
	if o.BinDir == "" {
		if o.BinDir, err = Binaries(); err != nil {
			return err
		}
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"} {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return fmt.Errorf("simcluster: binary %s missing in %s (run `make cluster-bins`)", b, o.BinDir)
		}
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "kubelab-sim-"); err != nil {
			return err
		}
	}
	return os.MkdirAll(o.Dir, 0o700)
}

// apiServerArgs are kube-apiserver's flags: TLS and client certificates,
// RBAC, the service ranges; a real node's address and kubelet client
// certificate when there is one; the audit log when asked.
func (c *Cluster) apiServerArgs(opt Options, etcdURL string, apiPort int, portRange string) ([]string, error) {
	apiArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--advertise-address=127.0.0.1",
		// The endpoint reconciler would publish 127.0.0.1 as the kubernetes
		// service's endpoint, which the API server itself rejects.
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + c.path("apiserver.crt"), "--tls-private-key-file=" + c.path("apiserver.key"),
		"--client-ca-file=" + c.path("ca.crt"),
		"--service-account-key-file=" + c.path("sa.pub"),
		"--service-account-signing-key-file=" + c.path("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=Node,RBAC",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--service-node-port-range=" + portRange,
		"--allow-privileged=true",
		// The API server reaches a node's kubelet (kubectl logs, exec,
		// port-forward) at the first of these addresses; the default
		// tries the Hostname first, and kwok's node has one ("minikube"),
		// whose DNS lookup would leave the machine. Its InternalIP is
		// 127.0.0.1 (network safety).
		"--kubelet-preferred-address-types=InternalIP",
	}
	if opt.APIAddress != "" {
		if ip := net.ParseIP(opt.APIAddress); ip == nil || ip.IsLoopback() || opt.Node == nil {
			return nil, fmt.Errorf("simcluster: APIAddress %q: a non-loopback IP, for a real node only", opt.APIAddress)
		}
		// Later flags win: inside the real node's namespace only.
		apiArgs = append(apiArgs, "--bind-address=0.0.0.0", "--advertise-address="+opt.APIAddress,
			"--endpoint-reconciler-type=lease",
			"--kubelet-client-certificate="+c.path("apiserver-kubelet-client.crt"),
			"--kubelet-client-key="+c.path("apiserver-kubelet-client.key"),
			"--kubelet-certificate-authority="+c.path("ca.crt"),
			"--kubelet-preferred-address-types=InternalIP")
	}
	if opt.Audit {
		if err := os.WriteFile(c.path("audit-policy.yaml"), []byte(auditPolicy), 0o644); err != nil {
			return nil, err
		}
		apiArgs = append(apiArgs, "--audit-policy-file="+c.path("audit-policy.yaml"),
			"--audit-log-path="+c.path("audit.log"), "--audit-log-mode=blocking")
	}
	return apiArgs, nil
}

// startControllers starts the controller manager and the scheduler, both
// with the admin kubeconfig.
func (c *Cluster) startControllers(opt Options, admin string) error {
	if err := c.start(opt, "kube-controller-manager",
		"--kubeconfig="+admin, "--bind-address=127.0.0.1", "--secure-port=0",
		"--leader-elect=false", "--use-service-account-credentials=false",
		"--service-account-private-key-file="+c.path("sa.key"),
		"--root-ca-file="+c.path("ca.crt"),
		"--cluster-signing-cert-file="+c.path("ca.crt"), "--cluster-signing-key-file="+c.path("ca.key"),
		"--service-cluster-ip-range="+ServiceCIDR,
		"--controllers=*,-nodeipam",
		// The default 20 requests/s makes a class of a thousand students
		// take minutes to roll out (benchmarks, large tests).
		"--kube-api-qps=200", "--kube-api-burst=400",
	); err != nil {
		return err
	}
	if err := c.start(opt, "kube-scheduler",
		"--kubeconfig="+admin, "--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false",
	); err != nil {
		return err
	}
	return nil
}

// startNode makes the cluster's node: the real node's hook (Options.Node),
// or kwok with a simulated node and the kube-system pods minikube has; then
// waits until the cluster is usable.
func (c *Cluster) startNode(ctx context.Context, opt Options, admin string, cs *kubernetes.Clientset) error {
	if opt.Node != nil {
		if err := opt.Node(ctx, c); err != nil {
			return err
		}
		if err := c.waitUsable(ctx, cs); err != nil {
			return err
		}
		return nil
	}
	stages, err := c.writeStages()
	if err != nil {
		return err
	}
	if err := c.start(opt, "kwok",
		"--kubeconfig="+admin,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+kwokAnnotation+"=fake",
		"--node-ip=127.0.0.1",
		"--cidr="+PodCIDR,
		"--config="+stages,
	); err != nil {
		return err
	}
	if err := c.createNode(ctx, cs); err != nil {
		return err
	}
	if !opt.SkipSystemPods {
		if err := c.createSystemPods(ctx, cs); err != nil {
			return err
		}
	}
	if err := c.waitUsable(ctx, cs); err != nil {
		return err
	}
	return nil
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

// RestConfig returns a client config with cluster-admin rights.
func (c *Cluster) RestConfig() (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
}

// Clientset returns an admin clientset.
func (c *Cluster) Clientset() (*kubernetes.Clientset, error) {
	cfg, err := c.RestConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// Kubectl runs the real kubectl against the cluster and returns its
// combined output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	return c.KubectlAs(ctx, c.Kubeconfig, args...)
}

// KubectlAs runs kubectl with another kubeconfig (another user).
func (c *Cluster) KubectlAs(ctx context.Context, kubeconfig string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bins, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// KubectlPath is the kubectl binary used by Kubectl.
func (c *Cluster) KubectlPath() string { return filepath.Join(c.bins, "kubectl") }

// UserKubeconfig writes a kubeconfig for a user with the given groups (a
// client certificate signed by the cluster's CA) and returns its path. Tests
// use it for the read-only grader and for forbidden cases.
func (c *Cluster) UserKubeconfig(user string, groups ...string) (string, error) {
	p := c.path("user-" + user + ".kubeconfig")
	return p, c.writeKubeconfig(p, user, groups)
}

// CACert returns the cluster CA in PEM.
func (c *Cluster) CACert() []byte { return c.pki.caPEM }

func (c *Cluster) waitHealthy(ctx context.Context, cs *kubernetes.Clientset) error {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if err := c.exited(); err != nil {
			return err
		}
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("simcluster: kube-apiserver not ready after 60s: %v (see %s)", last, c.path("kube-apiserver.log"))
}

// exited reports a component that died during start-up, with its log tail.
func (c *Cluster) exited() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		select {
		case <-p.done:
			log, _ := os.ReadFile(c.path(p.name + ".log"))
			if len(log) > 2000 {
				log = log[len(log)-2000:]
			}
			return fmt.Errorf("simcluster: %s exited during start-up:\n%s", p.name, log)
		default:
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// blockFakeRanges adds kernel routes that make the fake pod and service
// ranges unreachable, so a connection to them fails at once with "no route
// to host" and no packet leaves the machine. Needs root; without it the rule
// "never dial a pod IP" still holds in kubelab's own code.
func blockFakeRanges() {
	if os.Geteuid() != 0 {
		return
	}
	for _, cidr := range []string{PodCIDR, ServiceCIDR} {
		out, _ := exec.Command("ip", "route", "show", cidr).Output()
		if strings.Contains(string(out), "unreachable") {
			continue
		}
		_ = exec.Command("ip", "route", "add", "unreachable", cidr).Run()
	}
}

// Binaries returns the directory of the simulated cluster's binaries (the
// control plane, kubectl and kwok): $KUBELAB_CLUSTER_BINS if set, else what
// `tools/build.sh control` prints (it builds them on first use, one build at
// a time, and is a no-op when they are current).
func Binaries() (string, error) { return binaries("control") }

// NodeBinaries is Binaries with the real node's kubelet and kube-proxy too.
func NodeBinaries() (string, error) { return binaries("node") }

func binaries(set string) (string, error) {
	if d := os.Getenv("KUBELAB_CLUSTER_BINS"); d != "" {
		return d, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join(root, "tools", "build.sh"), set)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("simcluster: building cluster binaries: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("simcluster: cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..")), nil
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
`

// Attach returns a handle on a cluster started elsewhere (kubelab-sim up) for
// running kubectl and playing scenarios. Stop does nothing on it.
func Attach(dir, kubeconfig, server string) (*Cluster, error) {
	bins, err := Binaries()
	if err != nil {
		return nil, err
	}
	return &Cluster{Dir: dir, Kubeconfig: kubeconfig, Server: server, NodeName: "minikube", Context: "minikube", bins: bins}, nil
}
