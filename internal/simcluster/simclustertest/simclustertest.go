// Package simclustertest holds what only tests need of the simulated
// cluster: starting one for a test, and the statuses each scenario must
// earn. It imports testing, so the product (cmd/kubelab) must never import
// it; internal/depcheck's test for cmd/kubelab fails if it does.
package simclustertest

import (
	"context"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/report"
)

// StartT starts a cluster for a test and stops it when the test ends. When
// the binaries cannot be had, the test is skipped locally and fails in CI.
func StartT(t testing.TB, opt simcluster.Options) *simcluster.Cluster {
	t.Helper()
	testenv.Real(t, "the simulated cluster")
	if opt.BinDir == "" {
		bins, err := simcluster.Binaries()
		if err != nil {
			testenv.Missing(t, "cluster binaries: %v", err)
		}
		opt.BinDir = bins
	}
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	c, err := simcluster.Start(ctx, opt)
	if err != nil {
		t.Fatalf("starting the simulated cluster: %v", err)
	}
	t.Logf("simulated cluster up in %s at %s", time.Since(start).Round(time.Millisecond), c.Server)
	t.Cleanup(c.Stop)
	return c
}

// Expected is, for each scenario, the status every namespace check of the
// built-in kubernetes-basics lab must have, worked out from what the
// scenario does, not from the grader. Checks not listed are skipped (a check
// they need did not pass); the cluster and image checks are not listed (they
// do not depend on the scenario). app.responds assumes the test stands in
// for the app (ServeApp) exactly for the scenarios in AppAnswers.
var Expected = map[string]map[string]report.Status{
	"correct": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Pass,
		"service.type": report.Pass, "service.port": report.Pass, "service.endpoints": report.Pass, "app.responds": report.Pass,
	},
	"nothing": {"deployment.exists": report.Fail},
	"no-service": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Fail,
	},
	// The deployment runs another tag of the student's image: half marks.
	// The pod never started, so its lifecycle is only partly recorded (as on
	// a real node: Scheduled, Pulling, no Created/Started).
	"image-pull-backoff": {
		"deployment.exists": report.Partial, "deployment.available": report.Fail, "pods.running": report.Fail,
		"events.recorded": report.Partial, "service.exists": report.Pass, "service.type": report.Pass,
		"service.port": report.Pass, "service.endpoints": report.Fail, "app.responds": report.Fail,
	},
	"crash-loop": {
		"deployment.exists": report.Pass, "deployment.available": report.Fail, "pods.running": report.Fail,
		"events.recorded": report.Pass, "service.exists": report.Pass, "service.type": report.Pass,
		"service.port": report.Pass, "service.endpoints": report.Fail, "app.responds": report.Fail,
	},
	"zero-replicas": {
		"deployment.exists": report.Pass, "deployment.available": report.Fail, "pods.running": report.Fail,
		"events.recorded": report.Fail, "service.exists": report.Pass, "service.type": report.Pass,
		"service.port": report.Pass, "service.endpoints": report.Fail, "app.responds": report.Fail,
	},
	"clusterip": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Pass,
		"service.type": report.Fail, "service.port": report.Pass, "service.endpoints": report.Pass,
	},
	// A NodePort is part of a LoadBalancer: half marks.
	"nodeport": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Pass,
		"service.type": report.Partial, "service.port": report.Pass, "service.endpoints": report.Pass, "app.responds": report.Pass,
	},
	"port-8080": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Pass,
		"service.type": report.Pass, "service.port": report.Fail, "service.endpoints": report.Pass, "app.responds": report.Fail,
	},
	"selector-mismatch": {
		"deployment.exists": report.Pass, "deployment.available": report.Pass, "pods.running": report.Pass,
		"pods.stable": report.Pass, "events.recorded": report.Pass, "service.exists": report.Fail,
	},
}

// AppAnswers lists the scenarios whose app a browser would reach.
var AppAnswers = map[string]bool{"correct": true, "nodeport": true}
