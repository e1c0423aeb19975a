package snapshot

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
)

// NormalizeImage returns the canonical form of an image reference the way a
// container runtime reads it: registry Docker Hub and tag latest by default
// ("budi/app" is "index.docker.io/budi/app:latest"). The second result is the
// repository alone.
func NormalizeImage(ref string) (full, repo string, err error) {
	if why := BadRefText(strings.TrimSpace(ref)); why != "" {
		return "", "", fmt.Errorf("invalid image reference %q: %s", ref, why)
	}
	r, err := name.ParseReference(strings.TrimSpace(ref))
	if err != nil {
		return "", "", fmt.Errorf("invalid image reference %q: %v", ref, err)
	}
	return r.Name(), r.Context().Name(), nil
}

// BadRefText says why s cannot be an image reference whatever its
// structure: references are ASCII text without control characters, though
// go-containerregistry lets a registry name carry anything (found by
// FuzzNormalizeImage: "\xbf./0" parsed as a registry "\xbf." to look up).
func BadRefText(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r > unicode.MaxASCII || r < 0x20 || r == 0x7f {
			return fmt.Sprintf("it contains the character %q, and references are plain ASCII text", r)
		}
	}
	return ""
}

// PlatformString writes a platform as "os/arch[/variant]" ("" when unknown).
func PlatformString(os, arch, variant string) string {
	if os == "" && arch == "" {
		return ""
	}
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// SystemDir reports whether a file at p comes from the base image or pip,
// never from the student's COPY (Flask itself ships a flask/app.py).
func SystemDir(p string) bool {
	for _, pre := range []string{"/usr/lib/", "/usr/local/lib/", "/usr/share/", "/usr/include/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/",
		"/lib/", "/lib64/", "/bin/", "/sbin/", "/etc/", "/var/lib/", "/var/cache/", "/proc/", "/sys/", "/dev/", "/opt/conda/", "/root/.cache/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return strings.Contains(p, "/site-packages/") || strings.Contains(p, "/dist-packages/") || strings.Contains(p, "/__pycache__/") ||
		strings.Contains(p, "/node_modules/") || strings.Contains(p, "/.git/") || strings.Contains(p, "/venv/") || strings.Contains(p, "/.venv/")
}

// HasTagOrDigest says whether ref names a tag or a digest ("budi/app:v1",
// "budi/app@sha256:..."), not only a repository ("budi/app",
// "localhost:5000/budi/app").
func HasTagOrDigest(ref string) bool {
	ref = strings.TrimSpace(ref)
	if strings.Contains(ref, "@") {
		return true
	}
	return strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":")
}
