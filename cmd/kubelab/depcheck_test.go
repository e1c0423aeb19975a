package main

import (
	"path/filepath"
	"testing"

	"github.com/kubelab/kubelab/internal/depcheck"
)

// TestNoTestCodeInTheProduct keeps test helpers out of what students run:
// kubelab must not reach the testing package, our test-only packages or a
// test library. testcontainers-go (the image.runs probe, chosen in
// docs/architecture.md) imports testing and testify itself for its own test
// helpers; what is reached only through it is not ours to remove.
func TestNoTestCodeInTheProduct(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	const m = "github.com/kubelab/kubelab/"
	depcheck.AssertNoDependency(t, root, m+"cmd/kubelab", depcheck.Rule{
		Banned: []string{
			"testing",
			"github.com/stretchr/testify/...",
			m + "internal/testenv",
			m + "internal/depcheck",
			m + "internal/goldentest",
			m + "internal/simcluster/simclustertest",
			m + "internal/registrytest",
			m + "internal/testimages",
			m + "internal/browser",
			m + "internal/dockerd/...",
			m + "internal/realnode",
		},
		Through: []string{"github.com/testcontainers/testcontainers-go/..."},
	})
}
