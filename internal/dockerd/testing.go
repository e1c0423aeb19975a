package dockerd

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/testenv"
)

var (
	requireOnce sync.Once
	requireHost string
	requireErr  error
	// requireStop is kept (never called) so that the use lock it holds is
	// not closed by a finalizer.
	requireStop func()
)

// RequireDocker returns the DOCKER_HOST of an answering Docker engine for a
// test, starting the private one if need be (see Ensure), and sets
// DOCKER_HOST for the rest of the process, since testcontainers-go resolves
// the engine once per process from it. Without an engine the test is
// skipped locally and fails in CI (testenv.Missing).
//
// The engine is looked up once per test process and left running when the
// process ends, so the next test process (or package) reuses it; stop a
// private engine with `go run ./internal/dockerd/cmd/kubelab-dockerd stop`.
func RequireDocker(t testing.TB) string {
	t.Helper()
	testenv.Real(t, "a Docker engine")
	requireOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// The use is held for the life of the process: releasing it after
		// one test would stop the engine for the next one.
		requireHost, requireStop, requireErr = Ensure(ctx)
		if requireErr == nil {
			requireErr = os.Setenv("DOCKER_HOST", requireHost)
		}
	})
	if requireErr != nil {
		testenv.Missing(t, "no Docker engine: %v", requireErr)
	}
	return requireHost
}
