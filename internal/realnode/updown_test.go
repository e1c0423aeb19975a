package realnode

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpDownLeavesNothing runs `kubelab-real up` and `down` as a user
// would: up prints the KUBECONFIG line and the nsenter prefix; kubectl
// through that prefix shows a Ready node with a real kubelet and containerd,
// and a pod really runs; down leaves no process, mount, namespace, iptables
// rule or changed kernel setting behind.
func TestUpDownLeavesNothing(t *testing.T) {
	requireInside(t)
	bin := filepath.Join(t.TempDir(), "kubelab-real")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kubelab-real").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "kl-up-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	netns := "kl-up-" + strings.TrimPrefix(filepath.Base(dir), "kl-up-")
	iptBefore := rootIptables(t)
	sysBefore := readSysctls()

	begin := time.Now()
	up := exec.Command(bin, "up", "--dir", dir, "--netns", netns)
	var stderr strings.Builder
	up.Stderr = &stderr
	out, err := up.Output()
	t.Logf("kubelab-real up: %s\n%s%s", time.Since(begin).Round(100*time.Millisecond), stderr.String(), out)
	downed := false
	down := func() {
		if downed {
			return
		}
		downed = true
		d := exec.Command(bin, "down", "--dir", dir, "--netns", netns)
		b, err := d.CombinedOutput()
		t.Logf("kubelab-real down:\n%s", b)
		if err != nil {
			t.Errorf("kubelab-real down: %v", err)
		}
	}
	defer down()
	if err != nil {
		t.Fatalf("kubelab-real up: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "export KUBECONFIG=") || lines[1] != "nsenter --net=/var/run/netns/"+netns {
		t.Fatalf("up must print the export line and the nsenter prefix, got:\n%s", out)
	}
	kubeconfig := strings.TrimPrefix(lines[0], "export KUBECONFIG=")
	prefix := strings.Fields(lines[1])
	bins := binDir(t)
	kubectl := func(args ...string) string {
		t.Helper()
		full := append(append(append([]string{}, prefix...), filepath.Join(bins, "kubectl"), "--kubeconfig", kubeconfig), args...)
		b, err := exec.Command(full[0], full[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	nodes := kubectl("get", "nodes", "-o", "wide")
	t.Logf("kubectl get nodes -o wide:\n%s", nodes)
	if !regexp.MustCompile(`minikube\s+Ready\s+\S+\s+\S+\s+v1\.36\.3\s+192\.168\.49\.2\s.*containerd://`).MatchString(nodes) {
		t.Errorf("want node minikube Ready, kubelet v1.36.3, InternalIP 192.168.49.2, runtime containerd://")
	}
	// A pod really runs: the pause image from the node's registry.
	var reg struct{ Registry string }
	readState(t, dir, &reg)
	kubectl("run", "sleeper", "--image="+reg.Registry+"/"+PauseTag)
	kubectl("wait", "--for=condition=Ready", "pod/sleeper", "--timeout=90s")

	down()
	if left := Leftovers(netns, dir); len(left) > 0 {
		t.Errorf("left behind:\n  %s", strings.Join(left, "\n  "))
	}
	if after := rootIptables(t); after != iptBefore {
		t.Errorf("the root namespace's iptables rules changed:\nbefore:\n%s\nafter:\n%s", iptBefore, after)
	}
	if after := readSysctls(); after != sysBefore {
		// Another real node on the machine (a `make real-up`) keeps the
		// kubelet's values until it stops.
		if f, err := tryFlock(filepath.Join(sysctlDir, "users.lock"), syscall.LOCK_EX); err == nil && f == nil {
			t.Logf("kernel settings still changed: another real node runs on this machine")
		} else {
			if f != nil {
				f.Close()
			}
			t.Errorf("kernel settings changed:\nbefore: %s\nafter:  %s", sysBefore, after)
		}
	}
}
