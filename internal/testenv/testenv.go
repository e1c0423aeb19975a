// Package testenv holds helpers shared by tests that need real components
// (the simulated cluster, a Docker engine, Chromium).
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Missing reports that a real component a test needs is not available. Locally
// the test is skipped; in CI (CI set) it fails, because CI must run every test.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("required component missing in CI: %s", msg)
	}
	t.Skipf("skipping: %s (set CI=1 to make this a failure)", msg)
}

// DeadKubeconfig writes a kubeconfig whose server is 127.0.0.1:1, where
// nothing listens, and returns its path.
func DeadKubeconfig(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dead.kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: dead
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: dead
  context: {cluster: dead, user: u, namespace: default}
current-context: dead
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Real marks a test that needs a real component (the simulated cluster, a
// real node, a Docker engine, Chromium, a pseudo-terminal): under
// `go test -short` (make test-short) it is skipped, so the pure tests run
// in minutes with no cluster binaries. make test and CI run it.
func Real(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: needs %s", what)
	}
}
