package realnode

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// pauseC is the whole pause program: sleep until told to stop, reaping
// any zombie the pod's processes leave.
const pauseC = `#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
	signal(SIGINT, quit);
	signal(SIGTERM, quit);
	signal(SIGCHLD, reap);
	for (;;) pause();
}
`

// PauseTag is the pause image's repository and tag in the node's registry.
const PauseTag = "kubelab/pause:3.10"

// pushPause builds the pause image (a static binary, mode 0755) and pushes
// it to the registry at host. It returns the reference.
func pushPause(ctx context.Context, dir, host string) (string, error) {
	src := filepath.Join(dir, "pause.c")
	bin := filepath.Join(dir, "pause")
	if err := os.WriteFile(src, []byte(pauseC), 0o644); err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, "gcc", "-static", "-Os", "-o", bin, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("realnode: building the pause binary: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	layer, err := LayerFromFiles([]File{{Path: "pause", Mode: 0o755, Data: b}})
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", err
	}
	img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/pause"}})
	if err != nil {
		return "", err
	}
	if img, err = linuxAMD64(img); err != nil {
		return "", err
	}
	ref := host + "/" + PauseTag
	return ref, Push(ctx, ref, img)
}

// File is one file of an image layer.
type File struct {
	Path string
	Mode int64
	Data []byte
	// Link, when set, makes the entry a symbolic link to it.
	Link string
}

// LayerFromFiles makes a layer of the files with their modes (crane.Layer
// writes 0644, and a binary then fails "permission denied" at exec).
func LayerFromFiles(files []File) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Path, Mode: f.Mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}
		if f.Link != "" {
			h = &tar.Header{Name: f.Path, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: f.Link}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if f.Link == "" {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// Push writes img to ref on a registry inside the namespace (plain HTTP).
func Push(ctx context.Context, ref string, img v1.Image, opts ...remote.Option) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(r, img, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return fmt.Errorf("realnode: pushing %s: %w", ref, err)
	}
	return nil
}

// linuxAMD64 records the platform in the image config, as docker build
// does (an image without it fails kubelab's image.platform).
func linuxAMD64(img v1.Image) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	return mutate.ConfigFile(img, cf)
}
