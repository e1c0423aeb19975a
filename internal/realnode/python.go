package realnode

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// PythonTag is the lesson's FROM image. The image built here carries
// Debian's Python (3.11 on bookworm) and Flask (2.2.2) under that name: no
// image may be pulled from Docker Hub, and the lesson's Dockerfile must
// build unchanged.
const PythonTag = "python:3.12-slim"

// DebianFlask is the Flask version the Debian base provides; the lesson pins
// flask==3.0.3, which an offline pip cannot install, so the real-node
// lesson pins this one instead.
const DebianFlask = "2.2.2"

// pythonRoots are the packages of the base image; their dependencies are
// added by apt. dash gives RUN its /bin/sh; python-is-python3 gives the
// lesson's ENTRYPOINT ["python"].
var pythonRoots = []string{"python3", "python3-flask", "python3-pip", "python-is-python3", "dash"}

// pythonSkip are dependencies a container never uses (package management,
// perl, certificates for a pip that never goes online). Leaving them out
// keeps the image small (about 67 MB unpacked).
var pythonSkip = map[string]bool{
	"perl": true, "perl-modules-5.36": true, "libperl5.36": true, "perl-base": true,
	"cdebconf": true, "libdebian-installer4": true, "libnewt0.52": true, "libslang2": true,
	"libtextwrap1": true, "debconf": true, "ca-certificates": true, "openssl": true,
	"dpkg": true, "install-info": true, "tar": true, "debianutils": true, "libjs-jquery": true,
	"libgdbm-compat4": true, "libdb5.3": true,
}

// FetchPythonDebs downloads the base image's Debian packages (the roots and
// their dependencies, as apt resolves them) into cacheDir/debs and records
// the list. It needs apt's network, so it runs in the root namespace,
// before anything enters the node's (where nothing reaches out).
func FetchPythonDebs(ctx context.Context, cacheDir string) error {
	out, err := exec.CommandContext(ctx, "apt-cache", append([]string{"depends", "--recurse", "--no-recommends",
		"--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"}, pythonRoots...)...).Output()
	if err != nil {
		return fmt.Errorf("realnode: apt-cache depends: %w", err)
	}
	seen := map[string]bool{}
	var pkgs []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Contains(l, ":") || strings.HasPrefix(l, "<") || seen[l] || pythonSkip[l] {
			continue
		}
		seen[l] = true
		pkgs = append(pkgs, l)
	}
	sort.Strings(pkgs)
	list := filepath.Join(cacheDir, "python-debs.txt")
	if old, err := os.ReadFile(list); err == nil && string(old) == strings.Join(pkgs, "\n") {
		return nil
	}
	debs := filepath.Join(cacheDir, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"download", "-q"}, pkgs...)...)
	cmd.Dir = debs
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("realnode: apt-get download (run apt-get update first?): %v\n%s", err, out)
	}
	return os.WriteFile(list, []byte(strings.Join(pkgs, "\n")), 0o644)
}

// PythonBase returns the Python base image, built from the Debian packages
// FetchPythonDebs downloaded (unpacked with dpkg-deb into one layer, cached
// in cacheDir by package list). It touches no network.
func PythonBase(ctx context.Context, cacheDir string) (v1.Image, error) {
	b, err := os.ReadFile(filepath.Join(cacheDir, "python-debs.txt"))
	if err != nil {
		return nil, fmt.Errorf("realnode: the Python base's Debian packages were not fetched (FetchPythonDebs, in the root namespace): %w", err)
	}
	pkgs := strings.Split(string(b), "\n")
	key := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(pkgs, "\n"))))[:16]
	layerTar := filepath.Join(cacheDir, "python-base-"+key+".tar")
	if _, err := os.Stat(layerTar); err != nil {
		if err := buildPythonLayer(ctx, cacheDir, pkgs, layerTar); err != nil {
			return nil, err
		}
	}
	layer, err := tarball.LayerFromFile(layerTar)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	img, err = linuxAMD64(img)
	if err != nil {
		return nil, err
	}
	return mutate.Config(img, v1.Config{
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"LANG=C.UTF-8",
			// Belt and braces: pip only ever uses what the image holds.
			"PIP_NO_INDEX=1",
			"PIP_DISABLE_PIP_VERSION_CHECK=1",
		},
		Cmd: []string{"python3"},
	})
}

func buildPythonLayer(ctx context.Context, cacheDir string, pkgs []string, dst string) error {
	debs := filepath.Join(cacheDir, "debs")
	root := filepath.Join(cacheDir, "python-root.tmp")
	os.RemoveAll(root)
	defer os.RemoveAll(root)
	files, _ := filepath.Glob(filepath.Join(debs, "*.deb"))
	want := map[string]bool{}
	for _, p := range pkgs {
		want[p] = true
	}
	for _, f := range files {
		if !want[strings.SplitN(filepath.Base(f), "_", 2)[0]] {
			continue
		}
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", f, root).CombinedOutput(); err != nil {
			return fmt.Errorf("realnode: dpkg-deb -x %s: %v\n%s", f, err, out)
		}
	}
	// pip as in the official image: installs allowed (PEP 668 marker gone).
	m, _ := filepath.Glob(filepath.Join(root, "usr/lib/python3*/EXTERNALLY-MANAGED"))
	for _, f := range m {
		os.Remove(f)
	}
	for _, d := range []string{"tmp", "root", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\n"), 0o644); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(root, "bin/sh")); err != nil {
		if err := os.Symlink("dash", filepath.Join(root, "bin/sh")); err != nil {
			return err
		}
	}
	tmp := dst + ".tmp"
	if out, err := exec.CommandContext(ctx, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", tmp, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("realnode: tar: %v\n%s", err, out)
	}
	return os.Rename(tmp, dst)
}
