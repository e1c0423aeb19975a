package selftest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubelab/kubelab/internal/imagebuild"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/labs"
)

// Env is the simulated environment a self-test runs in: a simulated cluster
// (a real control plane with a kwok node "minikube") and an in-process
// container registry. Everything listens on 127.0.0.1.
type Env struct {
	Cluster *simcluster.Cluster
	// Registry is the registry's address, "127.0.0.1:PORT".
	Registry string

	ownCluster bool
	tmpDir     string
	srv        *imagebuild.Server
}

// EnvOptions configure StartEnv.
type EnvOptions struct {
	// BinDir holds the cluster binaries (default: simcluster.Binaries()).
	BinDir string
	// Dir is the cluster's working directory (default: a new temp dir,
	// removed by Close).
	Dir string
}

// StartEnv starts a simulated cluster and a registry. Close stops both.
func StartEnv(ctx context.Context, opt EnvOptions) (*Env, error) {
	dir, tmp := opt.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "kubelab-selftest-")
		if err != nil {
			return nil, err
		}
		dir, tmp = d, true
	}
	c, err := simcluster.Start(ctx, simcluster.Options{BinDir: opt.BinDir, Dir: dir})
	if err != nil {
		if tmp {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	e, err := NewEnv(c)
	if err != nil {
		c.Stop()
		return nil, err
	}
	e.ownCluster = true
	if tmp {
		e.tmpDir = dir
	}
	return e, nil
}

// NewEnv uses a running cluster and starts only the registry; Close then
// leaves the cluster running.
func NewEnv(c *simcluster.Cluster) (*Env, error) {
	srv, err := imagebuild.Serve(imagebuild.NewRegistry())
	if err != nil {
		return nil, fmt.Errorf("selftest: registry: %w", err)
	}
	return &Env{Cluster: c, Registry: srv.Addr, srv: srv}, nil
}

// Close stops the registry, and the cluster if StartEnv started it.
func (e *Env) Close() {
	if e.srv != nil {
		e.srv.Close()
	}
	if e.ownCluster && e.Cluster != nil {
		e.Cluster.Stop()
		if e.tmpDir != "" {
			os.RemoveAll(e.tmpDir)
		}
	}
}

// anonymous is a keychain that never reads the user's Docker credentials.
type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// BuildImage builds the image a solution describes (internal/imagebuild):
// one layer holding its files (with their parent directories) and the
// config (entrypoint, cmd, working directory, exposed ports, env, platform).
func BuildImage(si *labs.SolutionImage) (v1.Image, error) {
	plat := strings.Split(si.Platform, "/")
	if len(plat) < 2 {
		plat = []string{"linux", "amd64"}
	}
	spec := &imagebuild.Spec{
		Layers:       []map[string]string{si.Files},
		Entrypoint:   si.Entrypoint,
		Cmd:          si.Cmd,
		WorkingDir:   si.Workdir,
		ExposedPorts: si.Expose,
		Env:          si.Env,
		OS:           plat[0],
		Architecture: plat[1],
		Created:      time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		CreatedBy:    "kubelab lab selftest",
	}
	if len(plat) > 2 {
		spec.Variant = plat[2]
	}
	return spec.Build()
}

// push writes img to ref on the test registry (plain HTTP on 127.0.0.1).
func push(ctx context.Context, ref string, img v1.Image) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	if h := r.Context().RegistryStr(); !strings.HasPrefix(h, "127.0.0.1:") {
		return "", errors.New("selftest: refusing to push outside the local test registry: " + ref)
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(anonymous{})); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}
