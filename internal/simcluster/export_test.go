package simcluster

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
)

// WaitFor lets the external tests (package simcluster_test, which may import
// simclustertest) poll as the package does.
var WaitFor = waitFor

// Deployment gives the external tests the student's deployment.
func (s *Student) Deployment(ctx context.Context) (*appsv1.Deployment, error) {
	return s.deployment(ctx)
}
