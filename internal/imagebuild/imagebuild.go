// Package imagebuild builds container images in memory, as a Dockerfile
// would make them (layers of files, then the config: entrypoint, cmd,
// working directory, exposed ports, env, platform), and serves a
// Distribution-API registry (go-containerregistry's pkg/registry) on
// 127.0.0.1 to push them to.
//
// It is the one image builder of kubelab: internal/registrytest builds the
// lesson's image and its broken variants with it for the tests, and
// labs/selftest builds a lab solution's image with it for `kubelab lab
// selftest`. It is ordinary code (no testing import), since the self-test
// ships in the binary. Nothing here reaches beyond loopback.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Spec describes an image to build.
type Spec struct {
	// Layers are the file systems of the layers, bottom first: absolute
	// path -> content. A path whose base name starts with ".wh." is a
	// whiteout. Parent directories are written for every file.
	Layers       []map[string]string
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	ExposedPorts []string
	Env          []string
	OS           string
	Architecture string
	Variant      string
	// Created is the image's and every layer's creation time; tar entries
	// carry a fixed time, so the same Spec always gives the same digest.
	Created time.Time
	// CreatedBy is each layer's history line (the Dockerfile step).
	CreatedBy string
	// DotSlash writes tar entry names as "./app/app.py", as some tools do.
	DotSlash bool
	// OCI uses OCI media types instead of Docker's.
	OCI bool
}

// SetFile sets path's content in the layer that already holds it, else in
// the top layer.
func (s *Spec) SetFile(p, content string) {
	for _, l := range s.Layers {
		if _, ok := l[p]; ok {
			l[p] = content
			return
		}
	}
	s.Layers[len(s.Layers)-1][p] = content
}

// RemoveFile removes path from every layer.
func (s *Spec) RemoveFile(p string) {
	for _, l := range s.Layers {
		delete(l, p)
	}
}

// Build builds the image s describes.
func (s *Spec) Build() (v1.Image, error) {
	img := empty.Image
	if s.OCI {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	for _, files := range s.Layers {
		l, err := Layer(files, s.DotSlash, s.OCI)
		if err != nil {
			return nil, err
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			CreatedBy: s.CreatedBy, Created: v1.Time{Time: s.Created},
		}}); err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = s.OS, s.Architecture, s.Variant
	cf.Created = v1.Time{Time: s.Created}
	cf.Config.Entrypoint = s.Entrypoint
	cf.Config.Cmd = s.Cmd
	cf.Config.WorkingDir = s.WorkingDir
	cf.Config.Env = s.Env
	cf.Config.ExposedPorts = nil
	for _, p := range s.ExposedPorts {
		if cf.Config.ExposedPorts == nil {
			cf.Config.ExposedPorts = map[string]struct{}{}
		}
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	return mutate.ConfigFile(img, cf)
}

// layerTime is every tar entry's modification time.
var layerTime = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// Layer builds a gzip layer holding files (absolute path -> content, mode
// 0644), each after its parent directories (0755), in path order, as docker
// writes them.
func Layer(files map[string]string, dotSlash, oci bool) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	prefix := ""
	if dotSlash {
		prefix = "./"
	}
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
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: prefix + d + "/", Mode: 0o755, ModTime: layerTime}); err != nil {
				return nil, err
			}
		}
		c := files[p]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: prefix + rel, Mode: 0o644, Size: int64(len(c)), ModTime: layerTime}); err != nil {
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
	var opts []tarball.LayerOption
	if oci {
		opts = append(opts, tarball.WithMediaType(types.OCILayer))
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, opts...)
}

// NewRegistry returns an in-memory Distribution-API registry handler that
// logs nothing.
func NewRegistry() http.Handler {
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}

// Server is an HTTP server on 127.0.0.1.
type Server struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	srv  *http.Server
}

// Serve serves h on a free port of 127.0.0.1 (plain HTTP, as a test
// registry is reached with name.Insecure).
func Serve(h http.Handler) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	return &Server{Addr: l.Addr().String(), srv: srv}, nil
}

// Close stops the server: requests under way get two seconds to finish,
// then their connections are closed.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
}
