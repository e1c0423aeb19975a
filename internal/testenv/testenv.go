// Package testenv holds helpers shared by tests that need real components
// (the simulated cluster, a Docker engine, Chromium).
package testenv

import (
	"fmt"
	"os"
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
