package realnode

// The configuration files of the node's containerd and kubelet.

import (
	"fmt"
	"os"
	"path/filepath"
)

func (n *Node) writeContainerdConfig() error {
	d := n.path("containerd")
	conflist := fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": %q,
  "plugins": [
    {"type": "bridge", "bridge": "kl-cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": %q}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
`, n.cniNetwork(), PodCIDR, n.path("cni", "networks"))
	if err := os.WriteFile(n.path("cni", "net.d", "10-kubelab.conflist"), []byte(conflist), 0o644); err != nil {
		return err
	}
	for _, reg := range []string{n.Registry, n.RegistryNode} {
		hosts := filepath.Join(d, "certs.d", reg)
		if err := os.MkdirAll(hosts, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(hosts, "hosts.toml"), []byte(fmt.Sprintf(`server = "http://%s"

[host."http://%s"]
  capabilities = ["pull", "resolve"]
`, reg, reg)), 0o644); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # Without it every pod sandbox fails "can't get final child's PID from
  # pipe: EOF": runc may not set oom_score_adj -998 here.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %q
`, filepath.Join(d, "root"), filepath.Join(d, "state"), n.ContainerdSock, n.ContainerdSock+".ttrpc",
		filepath.Join(d, "opt"), n.PauseImage, runcBin, cniBinDir, n.path("cni", "net.d"), filepath.Join(d, "certs.d"))
	return os.WriteFile(filepath.Join(d, "config.toml"), []byte(cfg), 0o644)
}

func (n *Node) writeKubeletConfig() error {
	crt, key, ca := n.Cluster.KubeletServing()
	cfg := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine kind runs cgroup v1 and no systemd inside.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
resolvConf: ""
containerRuntimeEndpoint: unix://%s
# On the node address, as on minikube: the API server calls it there for
# kubectl logs, exec and port-forward, with its client certificate (x509),
# and asks the API server whether a caller may (webhook), never anonymous.
address: %s
tlsCertFile: %s
tlsPrivateKeyFile: %s
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
podLogsDirectory: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization:
  mode: Webhook
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%%"
  nodefs.inodesFree: "1%%"
  imagefs.available: "1%%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
clusterDomain: cluster.local
registerNode: true
serializeImagePulls: false
`, n.ContainerdSock, NodeIP, crt, key, n.path("pod-logs"), ca)
	return os.WriteFile(n.path("kubelet.yaml"), []byte(cfg), 0o644)
}
