package realnode

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
)

// envInside names the network namespace the test binary was re-run in.
const envInside = "KUBELAB_REALNODE_TEST_NETNS"

// envRootPID is a process of the root network namespace (the outer test
// process), to read the root namespace's iptables rules from inside.
const envRootPID = "KUBELAB_REALNODE_TEST_ROOTPID"

// TestMain runs this package's tests inside a network namespace of their
// own: as root with everything a node needs, it creates the namespace,
// re-runs the test binary in it with nsenter, then deletes the namespace and
// fails if anything was left behind. Otherwise the tests run as they are and
// each one reports what is missing (skipped locally, failed with CI set).
func TestMain(m *testing.M) {
	// Under -short every test here skips (testenv.Real): no namespace.
	flag.Parse()
	if testing.Short() || os.Getenv(envInside) != "" || os.Geteuid() != 0 || len(Missing()) > 0 {
		os.Exit(m.Run())
	}
	// apt's network is out of reach inside; fetch the Python base's
	// Debian packages first.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	if err := FetchPythonDebs(ctx, testCacheDir()); err != nil {
		fmt.Fprintln(os.Stderr, "realnode tests:", err)
	}
	cancel()
	name := fmt.Sprintf("kl-test-%d", os.Getpid())
	if err := CreateNetns(name); err != nil {
		fmt.Fprintln(os.Stderr, "realnode tests:", err)
		os.Exit(1)
	}
	cmd := exec.Command("nsenter", append(Prefix(name)[1:], os.Args...)...)
	cmd.Env = append(os.Environ(), envInside+"="+name, envRootPID+"="+strconv.Itoa(os.Getpid()))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	code := 0
	if err := cmd.Run(); err != nil {
		code = 1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	if left := Sweep(name, ""); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "realnode tests left behind:\n  %s\n", strings.Join(left, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// requireInside skips (fails in CI) a test that needs the namespace.
func requireInside(t *testing.T) string {
	t.Helper()
	testenv.Real(t, "a real node")
	if m := Missing(); len(m) > 0 {
		testenv.Missing(t, "a real node needs %s", strings.Join(m, ", "))
	}
	ns := os.Getenv(envInside)
	if ns == "" {
		testenv.Missing(t, "not running inside the test's network namespace")
	}
	return ns
}

// StartT starts a real node for a test (inside the test's namespace) and
// stops it when the test ends.
func startT(t *testing.T) *Node {
	t.Helper()
	ns := requireInside(t)
	bins, err := simcluster.NodeBinaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	dir, err := os.MkdirTemp("", "kl-node-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	begin := time.Now()
	n, err := Start(ctx, Options{Netns: ns, Dir: dir, BinDir: bins})
	if err != nil {
		t.Fatalf("starting the real node: %v", err)
	}
	t.Logf("real node Ready in %s (registry %s)", time.Since(begin).Round(100*time.Millisecond), n.Registry)
	t.Cleanup(func() {
		n.Stop()
		if left := Leftovers("", dir); len(left) > 0 {
			t.Errorf("the node left behind:\n  %s", strings.Join(left, "\n  "))
		}
	})
	return n
}

func iptablesSave(t *testing.T, prefix ...string) string {
	t.Helper()
	args := append(append([]string{}, prefix...), "iptables-save")
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		// Comments carry the time; counters change with traffic.
		if strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.Index(l, " ["); strings.HasPrefix(l, ":") && i > 0 {
			l = l[:i]
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func readSysctls() string {
	var b bytes.Buffer
	for _, k := range kubeletSysctls {
		v, _ := os.ReadFile(filepath.Join("/proc/sys", k))
		fmt.Fprintf(&b, "%s=%s", k, v)
	}
	return b.String()
}

// rootIptables is the root namespace's rule set (the tests run inside a
// namespace of their own).
func rootIptables(t *testing.T) string {
	return iptablesSave(t, "nsenter", "--net=/proc/"+os.Getenv(envRootPID)+"/ns/net")
}

func binDir(t *testing.T) string {
	t.Helper()
	bins, err := simcluster.NodeBinaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	return bins
}

func readState(t *testing.T, dir string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// testCacheDir keeps the Debian packages and the Python base layer between
// runs.
func testCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	d := filepath.Join(base, "kubelab", "realnode")
	_ = os.MkdirAll(d, 0o755)
	return d
}
