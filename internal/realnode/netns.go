package realnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Addresses inside the node's network namespace. Nothing of the root
// namespace routes to them: the veth pair has both ends inside.
const (
	NodeIP      = "192.168.49.2" // minikube's own node address
	nodeCIDR    = NodeIP + "/24"
	PodCIDR     = "10.88.0.0/24" // the CNI bridge's host-local range
	ServiceCIDR = "10.96.0.0/16" // as simcluster's API server hands out
	vethNode    = "kl-node"
	vethPeer    = "kl-peer"
)

// NetnsPath is the file `ip netns add NAME` creates; processes enter the
// namespace with `nsenter --net=NetnsPath(NAME)`. (Not `ip netns exec`: it
// also remounts /sys, which hides the cgroup mounts from the kubelet.)
func NetnsPath(name string) string { return filepath.Join("/var/run/netns", name) }

// Prefix is the command prefix that runs a command inside the namespace.
func Prefix(name string) []string { return []string{"nsenter", "--net=" + NetnsPath(name)} }

// CreateNetns creates the namespace NAME with the node's address on a veth
// pair inside it, loopback up, and a route for the service range so that a
// ClusterIP (and a LoadBalancer ingress set to it, as `minikube tunnel`
// does) reaches kube-proxy's rules.
func CreateNetns(name string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("realnode: creating a network namespace needs root")
	}
	if _, err := os.Stat(NetnsPath(name)); err == nil {
		return fmt.Errorf("realnode: network namespace %s already exists (run `kubelab-real down --netns %s`)", name, name)
	}
	if err := run("ip", "netns", "add", name); err != nil {
		return err
	}
	steps := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", vethNode, "type", "veth", "peer", "name", vethPeer},
		{"ip", "addr", "add", nodeCIDR, "dev", vethNode},
		{"ip", "link", "set", vethNode, "up"},
		{"ip", "link", "set", vethPeer, "up"},
		{"ip", "route", "add", ServiceCIDR, "dev", vethNode, "src", NodeIP},
	}
	for _, s := range steps {
		if err := run(append(Prefix(name), s...)...); err != nil {
			_ = DeleteNetns(name)
			return err
		}
	}
	return nil
}

// DeleteNetns deletes the namespace (a no-op when it does not exist).
func DeleteNetns(name string) error {
	if _, err := os.Stat(NetnsPath(name)); err != nil {
		return nil
	}
	return run("ip", "netns", "delete", name)
}

// InNetns reports whether this process runs in the namespace NAME.
func InNetns(name string) bool {
	var a, b syscallStat
	if statIno(NetnsPath(name), &a) != nil || statIno("/proc/self/ns/net", &b) != nil {
		return false
	}
	return a == b
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("realnode: %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
