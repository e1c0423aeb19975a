package selftest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

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
	srv        *http.Server
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("selftest: registry: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.Serve(l) }()
	return &Env{Cluster: c, Registry: l.Addr().String(), srv: srv}, nil
}

// Close stops the registry, and the cluster if StartEnv started it.
func (e *Env) Close() {
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = e.srv.Shutdown(ctx)
		cancel()
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

// BuildImage builds the image a solution describes: one layer holding its
// files (with their parent directories) and the config (entrypoint, cmd,
// working directory, exposed ports, env, platform).
func BuildImage(si *labs.SolutionImage) (v1.Image, error) {
	layer, err := filesLayer(si.Files)
	if err != nil {
		return nil, err
	}
	created := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		CreatedBy: "kubelab lab selftest", Created: v1.Time{Time: created},
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	plat := strings.Split(si.Platform, "/")
	if len(plat) < 2 {
		plat = []string{"linux", "amd64"}
	}
	cf.OS, cf.Architecture = plat[0], plat[1]
	if len(plat) > 2 {
		cf.Variant = plat[2]
	}
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = si.Entrypoint
	cf.Config.Cmd = si.Cmd
	cf.Config.WorkingDir = si.Workdir
	cf.Config.Env = si.Env
	if len(si.Expose) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range si.Expose {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

func filesLayer(files map[string]string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	mtime := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	dirs := map[string]bool{}
	for _, p := range names {
		rel := strings.TrimPrefix(path.Clean(p), "/")
		parts := strings.Split(rel, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/")
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime}); err != nil {
				return nil, err
			}
		}
		c := files[p]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: int64(len(c)), ModTime: mtime}); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, c); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
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
