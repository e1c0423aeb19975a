package gather

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/snapshot"
)

// anonymous is a keychain with no credentials, so tests never read the
// machine's Docker config.
var imgAnonymous = authn.NewMultiKeychain()

func gatherImageTest(t *testing.T, ref string, opt ImageOptions) *snapshot.ImageInfo {
	t.Helper()
	if opt.Keychain == nil {
		opt.Keychain = imgAnonymous
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	opt.Insecure = true
	return GatherImage(context.Background(), ref, opt)
}

func mustGatherOK(t *testing.T, info *snapshot.ImageInfo) {
	t.Helper()
	if info.Err != nil || info.FilesErr != nil || info.NotFound || info.Private || info.Invalid != "" {
		t.Fatalf("gather failed: err=%v filesErr=%v notFound=%v private=%v invalid=%q",
			info.Err, info.FilesErr, info.NotFound, info.Private, info.Invalid)
	}
}

func TestGatherImageLesson(t *testing.T) {
	reg := registrytest.New(t)
	created := time.Date(2025, 4, 2, 8, 30, 0, 0, time.UTC)
	digest := registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage(registrytest.Created(created)))

	info := gatherImageTest(t, reg.Ref("student/flask:v1"), ImageOptions{})
	mustGatherOK(t, info)
	if want := reg.Host() + "/student/flask:v1"; info.Name != want {
		t.Errorf("Name = %q, want %q", info.Name, want)
	}
	if info.Digest != digest.String() {
		t.Errorf("Digest = %q, want %q", info.Digest, digest)
	}
	if info.IsIndex || info.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Errorf("IsIndex=%v MediaType=%q, want a single docker manifest", info.IsIndex, info.MediaType)
	}
	if !slices.Equal(info.Platforms, []string{"linux/amd64"}) || info.Platform != "linux/amd64" {
		t.Errorf("Platforms=%v Platform=%q", info.Platforms, info.Platform)
	}
	c := info.Config
	if c == nil {
		t.Fatal("no config")
	}
	if !slices.Equal(c.Entrypoint, []string{"python"}) || !slices.Equal(c.Cmd, []string{"app.py"}) ||
		c.WorkingDir != "/app" || !slices.Equal(c.ExposedPorts, []string{"5000/tcp"}) ||
		c.OS != "linux" || c.Architecture != "amd64" || !c.Created.Equal(created) {
		t.Errorf("config = %+v", c)
	}
	app := info.Files["/app/app.py"]
	req := info.Files["/app/requirements.txt"]
	if app == nil || req == nil {
		t.Fatalf("files = %v, want app.py and requirements.txt", imgKeys(info.Files))
	}
	if app.Content != registrytest.AppPy || app.Size != int64(len(registrytest.AppPy)) {
		t.Errorf("app.py = %d bytes %q", app.Size, app.Content)
	}
	if req.Content != "flask\n" {
		t.Errorf("requirements.txt = %q", req.Content)
	}
	if len(info.Files) != 2 {
		t.Errorf("files = %v, want only the two asked for", imgKeys(info.Files))
	}
}

func imgKeys(m map[string]*snapshot.ImageFile) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestGatherImageVariants gathers every variant the lesson's students push.
func TestGatherImageVariants(t *testing.T) {
	reg := registrytest.New(t)
	push := func(tag string, opts ...registrytest.ImageOption) string {
		registrytest.Push(t, reg, "student/flask:"+tag, registrytest.LessonImage(opts...))
		return reg.Ref("student/flask:" + tag)
	}
	pushIndex := func(tag string, idx v1.ImageIndex) string {
		registrytest.PushIndex(t, reg, "student/flask:"+tag, idx)
		return reg.Ref("student/flask:" + tag)
	}

	tests := []struct {
		name  string
		ref   string
		check func(t *testing.T, info *snapshot.ImageInfo)
	}{
		{"missing tag", func() string { push("v1"); return reg.Ref("student/flask:v2") }(), func(t *testing.T, info *snapshot.ImageInfo) {
			if !info.NotFound || info.Err != nil || info.Config != nil {
				t.Errorf("NotFound=%v Err=%v, want not found and no error", info.NotFound, info.Err)
			}
		}},
		{"missing repository", reg.Ref("nobody/nothing:latest"), func(t *testing.T, info *snapshot.ImageInfo) {
			if !info.NotFound || info.Err != nil {
				t.Errorf("NotFound=%v Err=%v", info.NotFound, info.Err)
			}
		}},
		{"wrong workdir", push("src", registrytest.WrongWorkdir()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if info.Config.WorkingDir != "/src" {
				t.Errorf("WorkingDir = %q", info.Config.WorkingDir)
			}
			if got := imgKeys(info.Files); !slices.Equal(got, []string{"/src/app.py", "/src/requirements.txt"}) {
				t.Errorf("files = %v, want the files found under WORKDIR /src only", got)
			}
		}},
		{"no requirements", push("noreq", registrytest.NoRequirements()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if got := imgKeys(info.Files); !slices.Equal(got, []string{"/app/app.py"}) {
				t.Errorf("files = %v", got)
			}
		}},
		{"requirements without flask", push("noflask", registrytest.RequirementsWithoutFlask()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if f := info.Files["/app/requirements.txt"]; f == nil || strings.Contains(strings.ToLower(f.Content), "flask") {
				t.Errorf("requirements = %+v", f)
			}
		}},
		{"entrypoint not app", push("bare", registrytest.EntrypointNotApp()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if !slices.Equal(info.Config.Entrypoint, []string{"python"}) || len(info.Config.Cmd) != 0 {
				t.Errorf("entrypoint %v cmd %v", info.Config.Entrypoint, info.Config.Cmd)
			}
		}},
		{"no expose", push("noexpose", registrytest.NoExpose()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if len(info.Config.ExposedPorts) != 0 || !strings.Contains(info.Files["/app/app.py"].Content, "port=5000") {
				t.Errorf("exposed %v", info.Config.ExposedPorts)
			}
		}},
		{"app on 8080", push("8080", registrytest.AppPort(8080)), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if !slices.Equal(info.Config.ExposedPorts, []string{"8080/tcp"}) || !strings.Contains(info.Files["/app/app.py"].Content, "port=8080") {
				t.Errorf("exposed %v", info.Config.ExposedPorts)
			}
		}},
		{"arm64 only", push("arm", registrytest.ARM64()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if info.IsIndex || !slices.Equal(info.Platforms, []string{"linux/arm64/v8"}) || info.Config.Architecture != "arm64" {
				t.Errorf("IsIndex=%v Platforms=%v arch=%q", info.IsIndex, info.Platforms, info.Config.Architecture)
			}
			if info.Files["/app/app.py"] == nil {
				t.Error("files of the arm64 image not read")
			}
		}},
		{"multi-arch index", pushIndex("multi", registrytest.LessonIndex()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if !info.IsIndex || !strings.Contains(info.MediaType, "index") {
				t.Errorf("IsIndex=%v MediaType=%q", info.IsIndex, info.MediaType)
			}
			if !slices.Equal(info.Platforms, []string{"linux/amd64", "linux/arm64/v8"}) || info.Platform != "linux/amd64" ||
				info.Config.Architecture != "amd64" {
				t.Errorf("Platforms=%v Platform=%q arch=%q", info.Platforms, info.Platform, info.Config.Architecture)
			}
			if len(info.Files) != 2 {
				t.Errorf("files = %v", imgKeys(info.Files))
			}
		}},
		{"index with amd64 listed second", pushIndex("armfirst", registrytest.LessonIndex("linux/arm64/v8", "linux/amd64")), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if info.Platform != "linux/amd64" || info.Config.Architecture != "amd64" {
				t.Errorf("Platform=%q arch=%q, want amd64 chosen", info.Platform, info.Config.Architecture)
			}
		}},
		{"arm64-only index", pushIndex("armindex", registrytest.LessonIndex("linux/arm64/v8")), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if info.Platform != "linux/arm64/v8" || info.Config.Architecture != "arm64" {
				t.Errorf("Platform=%q arch=%q, want the first platform", info.Platform, info.Config.Architecture)
			}
		}},
		{"buildx index with attestation", pushIndex("buildx", registrytest.BuildxIndex()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if !slices.Equal(info.Platforms, []string{"linux/amd64"}) || info.MediaType != "application/vnd.oci.image.index.v1+json" {
				t.Errorf("Platforms=%v MediaType=%q, want the attestation left out", info.Platforms, info.MediaType)
			}
		}},
		{"legacy python:2.7 CMD", push("py27", registrytest.LegacyPython27()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if len(info.Config.Entrypoint) != 0 || !slices.Equal(info.Config.Cmd, []string{"python", "app.py"}) {
				t.Errorf("entrypoint %v cmd %v", info.Config.Entrypoint, info.Config.Cmd)
			}
		}},
		{"app.py deleted by whiteout", push("wh", registrytest.WhiteoutAppPy()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if got := imgKeys(info.Files); !slices.Equal(got, []string{"/app/requirements.txt"}) {
				t.Errorf("files = %v, want app.py hidden by .wh.app.py", got)
			}
		}},
		{"opaque app dir", push("opq", registrytest.OpaqueAppDir()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if len(info.Files) != 0 {
				t.Errorf("files = %v, want none under an opaque /app", imgKeys(info.Files))
			}
		}},
		{"opaque dir re-filled in the same layer", push("refill", func(s *registrytest.Spec) {
			s.Layers = append(s.Layers, map[string]string{"/app/.wh..wh..opq": "", "/app/app.py": "print('new')\n"})
		}), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if got := imgKeys(info.Files); !slices.Equal(got, []string{"/app/app.py"}) || info.Files["/app/app.py"].Content != "print('new')\n" {
				t.Errorf("files = %v, want only the top layer's app.py", got)
			}
		}},
		{"./ tar names", push("dot", registrytest.DotSlashPaths()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if len(info.Files) != 2 {
				t.Errorf("files = %v", imgKeys(info.Files))
			}
		}},
		{"OCI media types", push("oci", registrytest.OCI()), func(t *testing.T, info *snapshot.ImageInfo) {
			mustGatherOK(t, info)
			if info.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(info.Files) != 2 {
				t.Errorf("MediaType=%q files=%v", info.MediaType, imgKeys(info.Files))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, gatherImageTest(t, tt.ref, ImageOptions{}))
		})
	}
}

func TestGatherImageStopsEarly(t *testing.T) {
	reg := registrytest.New(t)
	// Layers, bottom up: base, requirements.txt, site-packages, app.py.
	registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
	info := gatherImageTest(t, reg.Ref("student/flask:v1"), ImageOptions{})
	mustGatherOK(t, info)
	// The config and the three upper layers; never the base layer.
	if got := reg.Count(registrytest.GetBlob); got != 4 {
		t.Errorf("GET blob = %d, want 4 (config + 3 layers, base layer not read)", got)
	}
	if got := reg.Count(registrytest.HeadManifest); got != 1 {
		t.Errorf("HEAD manifest = %d, want 1", got)
	}
	if got := reg.Count(registrytest.GetManifest); got != 1 {
		t.Errorf("GET manifest = %d, want 1", got)
	}
}

func TestGatherImageMaxFileBytes(t *testing.T) {
	reg := registrytest.New(t)
	big := strings.Repeat("# padding\n", 200) + registrytest.AppPy
	registrytest.Push(t, reg, "student/flask:big", registrytest.LessonImage(registrytest.AppSource(big)))
	info := gatherImageTest(t, reg.Ref("student/flask:big"), ImageOptions{MaxFileBytes: 100})
	mustGatherOK(t, info)
	f := info.Files["/app/app.py"]
	if f == nil || f.Size != int64(len(big)) || len(f.Content) != 100 {
		t.Fatalf("app.py = %+v, want real size %d and 100 bytes kept", f, len(big))
	}
}

func TestGatherImageAuth(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithAuth("teacher", "s3cret-pass"))
	registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
	ref := reg.Ref("student/flask:v1")

	t.Run("challenge", func(t *testing.T) {
		resp, err := http.Get("http://" + reg.Host() + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="kubelab-test"` {
			t.Errorf("GET /v2/ = %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		info := gatherImageTest(t, ref, ImageOptions{})
		if !info.Private || info.Err != nil || info.NotFound {
			t.Errorf("Private=%v Err=%v NotFound=%v, want private", info.Private, info.Err, info.NotFound)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		info := gatherImageTest(t, ref, ImageOptions{Keychain: registrytest.StaticKeychain(reg.Host(), "teacher", "nope")})
		if !info.Private {
			t.Errorf("Private=%v Err=%v", info.Private, info.Err)
		}
	})
	t.Run("static keychain", func(t *testing.T) {
		info := gatherImageTest(t, ref, ImageOptions{Keychain: reg.Keychain()})
		mustGatherOK(t, info)
		if len(info.Files) != 2 {
			t.Errorf("files = %v", imgKeys(info.Files))
		}
	})
	t.Run("docker config", func(t *testing.T) {
		dir := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte("teacher:s3cret-pass"))
		cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host(), auth)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HOME", t.TempDir())
		t.Setenv("DOCKER_CONFIG", dir)
		t.Setenv("REGISTRY_AUTH_FILE", "")
		t.Setenv("XDG_RUNTIME_DIR", "")
		info := GatherImage(context.Background(), ref, ImageOptions{Insecure: true, Timeout: 10 * time.Second})
		mustGatherOK(t, info)
	})
	t.Run("broken docker config", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{not json`), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HOME", t.TempDir())
		t.Setenv("DOCKER_CONFIG", dir)
		info := GatherImage(context.Background(), ref, ImageOptions{Insecure: true, Timeout: 10 * time.Second})
		if info.Err == nil || info.Err.Kind != snapshot.ErrConfig {
			t.Errorf("Err = %v, want a config error", info.Err)
		}
	})
}

func TestGatherImageRateLimited(t *testing.T) {
	for _, after := range []int{0, 1} { // the ping itself, or the HEAD after it
		t.Run(fmt.Sprint("after ", after), func(t *testing.T) {
			reg := registrytest.New(t, registrytest.WithRateLimit(after, 90*time.Second))
			registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
			info := gatherImageTest(t, reg.Ref("student/flask:v1"), ImageOptions{})
			if info.Err == nil || info.Err.Kind != snapshot.ErrRateLimited || info.Err.RetryAfter != 90*time.Second {
				t.Fatalf("Err = %+v, want rate-limited with RetryAfter 90s", info.Err)
			}
			if info.NotFound || info.Private {
				t.Error("a rate limit is not the student's fault")
			}
			if n := reg.Count(registrytest.HeadManifest) + reg.Count(registrytest.Ping); n > 2 {
				t.Errorf("%d requests: a rate-limited registry must not be retried", n)
			}
		})
	}
}

func TestGatherImageServerError(t *testing.T) {
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
	ref := reg.Ref("student/flask:v1")

	reg.SetFault(registrytest.Only(registrytest.Status(http.StatusInternalServerError), registrytest.HeadManifest))
	info := gatherImageTest(t, ref, ImageOptions{})
	if info.Err == nil || info.Err.Kind != snapshot.ErrOther || !strings.Contains(info.Err.Detail, "500") || info.NotFound {
		t.Fatalf("Err = %+v, want an error naming HTTP 500", info.Err)
	}

	// Layers failing after the config was read: the config stands, the
	// files are an error.
	reg.SetFault(registrytest.Only(registrytest.Status(http.StatusBadGateway), registrytest.GetBlob))
	info = gatherImageTest(t, ref, ImageOptions{})
	if info.Err == nil || info.Err.Kind != snapshot.ErrOther || !strings.Contains(info.Err.Detail, "502") {
		t.Fatalf("Err = %+v, want the config read to fail with 502", info.Err)
	}
}

func TestGatherImageFilesError(t *testing.T) {
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
	var mu sync.Mutex
	blobs := 0
	reg.SetFault(registrytest.Only(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		blobs++
		if blobs == 1 { // the config
			return false
		}
		return registrytest.Status(http.StatusServiceUnavailable)(w, r)
	}, registrytest.GetBlob))
	info := gatherImageTest(t, reg.Ref("student/flask:v1"), ImageOptions{})
	if info.Err != nil || info.Config == nil {
		t.Fatalf("Err=%v Config=%v, want the config read", info.Err, info.Config)
	}
	if info.FilesErr == nil || !strings.Contains(info.FilesErr.Detail, "503") {
		t.Fatalf("FilesErr = %+v, want 503", info.FilesErr)
	}
}

func TestGatherImageHangs(t *testing.T) {
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "student/flask:v1", registrytest.LessonImage())
	ref := reg.Ref("student/flask:v1")
	const timeout = 300 * time.Millisecond

	reg.SetFault(reg.Hang())
	start := time.Now()
	info := gatherImageTest(t, ref, ImageOptions{Timeout: timeout})
	took := time.Since(start)
	if info.Err == nil || info.Err.Kind != snapshot.ErrTimeout {
		t.Fatalf("Err = %+v, want a timeout", info.Err)
	}
	if took > timeout+2*time.Second {
		t.Errorf("took %s with a %s timeout", took, timeout)
	}

	// A layer download hanging: the files time out, the rest is read.
	reg.SetFault(nil)
	var mu sync.Mutex
	blobs := 0
	hang := reg.Hang()
	reg.SetFault(registrytest.Only(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		blobs++
		n := blobs
		mu.Unlock()
		return n > 1 && hang(w, r)
	}, registrytest.GetBlob))
	info = gatherImageTest(t, ref, ImageOptions{Timeout: timeout})
	if info.Err != nil || info.FilesErr == nil || info.FilesErr.Kind != snapshot.ErrTimeout {
		t.Fatalf("Err=%v FilesErr=%+v, want files timing out", info.Err, info.FilesErr)
	}
}

func TestGatherImageUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	info := gatherImageTest(t, addr+"/student/flask:v1", ImageOptions{})
	if info.Err == nil || info.Err.Kind != snapshot.ErrUnreachable {
		t.Fatalf("Err = %+v, want unreachable", info.Err)
	}
	if !strings.Contains(info.Err.What, addr+"/student/flask:v1") {
		t.Errorf("What = %q, want the image named", info.Err.What)
	}
}

func TestGatherImageInvalid(t *testing.T) {
	for ref, want := range map[string]string{
		"":                  "no image reference",
		"Student/Flask:v1":  "lowercase",
		"student/flask:v1:": "not a valid image reference",
		"student/fl ask":    "space",
	} {
		info := GatherImage(context.Background(), ref, ImageOptions{Keychain: imgAnonymous})
		if !strings.Contains(info.Invalid, want) {
			t.Errorf("%q: Invalid = %q, want it to mention %q", ref, info.Invalid, want)
		}
		if info.Err != nil || info.Name != "" {
			t.Errorf("%q: Err=%v Name=%q", ref, info.Err, info.Name)
		}
	}
}

// failTransport records the requests it is given and sends none.
type imgFailTransport struct {
	mu   sync.Mutex
	urls []string
}

func (f *imgFailTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.urls = append(f.urls, r.URL.String())
	f.mu.Unlock()
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

func TestGatherImageDockerHubDefault(t *testing.T) {
	ft := &imgFailTransport{}
	info := GatherImage(context.Background(), "budi/flask-app", ImageOptions{Keychain: imgAnonymous, Transport: ft, Timeout: time.Second})
	if info.Name != "index.docker.io/budi/flask-app:latest" {
		t.Errorf("Name = %q", info.Name)
	}
	if info.Ref != "budi/flask-app" {
		t.Errorf("Ref = %q", info.Ref)
	}
	if info.Err == nil || info.Err.Kind != snapshot.ErrUnreachable {
		t.Errorf("Err = %+v", info.Err)
	}
	if len(ft.urls) == 0 || !strings.HasPrefix(ft.urls[0], "https://index.docker.io/v2/") {
		t.Errorf("requests = %v, want Docker Hub over https", ft.urls)
	}
}

func TestGatherImageCache(t *testing.T) {
	reg := registrytest.New(t)
	cache := t.TempDir()
	tag := "student/flask:v1"
	d1 := registrytest.Push(t, reg, tag, registrytest.LessonImage())
	opt := ImageOptions{CacheDir: cache}

	first := gatherImageTest(t, reg.Ref(tag), opt)
	mustGatherOK(t, first)
	if reg.Count(registrytest.GetManifest) != 1 || reg.Count(registrytest.GetBlob) == 0 {
		t.Fatalf("first gather: counts %v, want a manifest GET and blob GETs", reg.Counts())
	}
	if _, err := os.Stat(filepath.Join(cache, d1.Algorithm, d1.Hex+".json")); err != nil {
		t.Fatalf("cache file: %v", err)
	}

	reg.ResetCounts()
	second := gatherImageTest(t, reg.Ref(tag), opt)
	mustGatherOK(t, second)
	c := reg.Counts()
	if c[registrytest.HeadManifest] != 1 || c[registrytest.GetManifest] != 0 || c[registrytest.GetBlob] != 0 || c[registrytest.HeadBlob] != 0 {
		t.Fatalf("cached gather: counts %v, want one HEAD and nothing else but the ping", c)
	}
	if second.Digest != first.Digest || second.Config == nil || second.Config.WorkingDir != "/app" ||
		!slices.Equal(second.Platforms, first.Platforms) || second.Platform != first.Platform ||
		second.Files["/app/app.py"] == nil || second.Files["/app/app.py"].Content != first.Files["/app/app.py"].Content {
		t.Errorf("cached info differs: %+v vs %+v", second, first)
	}

	// Asking for a file the cache never looked for reads the image again.
	reg.ResetCounts()
	third := gatherImageTest(t, reg.Ref(tag), ImageOptions{CacheDir: cache, Files: []string{"/app/app.py", "/app/Dockerfile"}})
	mustGatherOK(t, third)
	if reg.Count(registrytest.GetManifest) != 1 {
		t.Errorf("other files: counts %v, want a fresh manifest GET", reg.Counts())
	}

	// A re-pushed tag has a new digest: a fresh GET.
	d2 := registrytest.Push(t, reg, tag, registrytest.LessonImage(registrytest.AppPort(8080)))
	if d2 == d1 {
		t.Fatal("re-push kept the digest")
	}
	reg.ResetCounts()
	fourth := gatherImageTest(t, reg.Ref(tag), opt)
	mustGatherOK(t, fourth)
	if reg.Count(registrytest.GetManifest) != 1 || reg.Count(registrytest.GetBlob) == 0 {
		t.Errorf("re-pushed: counts %v, want a fresh manifest GET", reg.Counts())
	}
	if fourth.Digest != d2.String() || !strings.Contains(fourth.Files["/app/app.py"].Content, "port=8080") {
		t.Errorf("re-pushed: digest %s, app.py %q", fourth.Digest, fourth.Files["/app/app.py"].Content)
	}

	// A corrupt cache file is ignored and rewritten.
	p := filepath.Join(cache, d2.Algorithm, d2.Hex+".json")
	if err := os.WriteFile(p, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg.ResetCounts()
	mustGatherOK(t, gatherImageTest(t, reg.Ref(tag), opt))
	if reg.Count(registrytest.GetManifest) != 1 {
		t.Errorf("corrupt cache: counts %v, want a fresh GET", reg.Counts())
	}
	reg.ResetCounts()
	mustGatherOK(t, gatherImageTest(t, reg.Ref(tag), opt))
	if reg.Count(registrytest.GetManifest) != 0 {
		t.Errorf("rewritten cache: counts %v, want a hit", reg.Counts())
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(filepath.Join(cache, d2.Algorithm))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("left-over temp file %s", e.Name())
		}
	}
}

func TestImgClassify(t *testing.T) {
	deadline := fmt.Errorf("Get x: %w", context.DeadlineExceeded)
	tests := []struct {
		name              string
		err               error
		kind              snapshot.ErrKind
		notFound, private bool
	}{
		{"404", &transport.Error{StatusCode: 404}, "", true, false},
		{"manifest unknown", &transport.Error{StatusCode: 400, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}, "", true, false},
		{"name unknown", &transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.NameUnknownErrorCode}}}, "", true, false},
		{"401", &transport.Error{StatusCode: 401}, "", false, true},
		{"403 denied", &transport.Error{StatusCode: 403, Errors: []transport.Diagnostic{{Code: transport.DeniedErrorCode}}}, "", false, true},
		{"429", &transport.Error{StatusCode: 429}, snapshot.ErrRateLimited, false, false},
		{"503", &transport.Error{StatusCode: 503}, snapshot.ErrOther, false, false},
		{"refused", &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, snapshot.ErrUnreachable, false, false},
		{"dns", fmt.Errorf("Get x: %w", &net.DNSError{Err: "no such host", Name: "registry.invalid"}), snapshot.ErrUnreachable, false, false},
		{"tls", fmt.Errorf("Get x: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), snapshot.ErrUnreachable, false, false},
		{"deadline", deadline, snapshot.ErrTimeout, false, false},
		{"other", errors.New("boom"), snapshot.ErrOther, false, false},
	}
	for _, tt := range tests {
		ge, nf, pr := imgClassify(tt.err, 7*time.Second)
		if nf != tt.notFound || pr != tt.private {
			t.Errorf("%s: notFound=%v private=%v", tt.name, nf, pr)
			continue
		}
		if tt.kind == "" {
			if ge != nil {
				t.Errorf("%s: error %v for the student's own problem", tt.name, ge)
			}
			continue
		}
		if ge == nil || ge.Kind != tt.kind {
			t.Errorf("%s: %+v, want kind %s", tt.name, ge, tt.kind)
		}
		if tt.kind == snapshot.ErrRateLimited && ge.RetryAfter != 7*time.Second {
			t.Errorf("%s: RetryAfter %s", tt.name, ge.RetryAfter)
		}
	}
}

func TestImgParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120":                           2 * time.Minute,
		"0":                             0,
		"Wed, 01 Jan 2025 12:01:30 GMT": 90 * time.Second,
	} {
		if got, ok := imgParseRetryAfter(v, now); !ok || got != want {
			t.Errorf("%q: %s %v, want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-5"} {
		if _, ok := imgParseRetryAfter(v, now); ok {
			t.Errorf("%q parsed", v)
		}
	}
}

func TestImgDetailRedacts(t *testing.T) {
	err := errors.New(`Get "https://budi:hunter2@registry.example/v2/token?scope=x&access_token=abc123": dial tcp: refused`)
	d := imgDetail(err)
	if strings.Contains(d, "hunter2") || strings.Contains(d, "abc123") || !strings.Contains(d, "registry.example/v2/token") {
		t.Errorf("detail = %q", d)
	}
}

// TestGatherImageAppInSubfolder: an app kept in a subfolder and started
// from there (WORKDIR /app, CMD python src/app.py; requirements.txt at the
// project's root) is read where the command starts it, with the
// requirements.txt above it.
func TestGatherImageAppInSubfolder(t *testing.T) {
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "student/flask:src", registrytest.LessonImage(func(s *registrytest.Spec) {
		for _, l := range s.Layers {
			if c, ok := l["/app/app.py"]; ok {
				delete(l, "/app/app.py")
				l["/app/src/app.py"] = c
			}
		}
		s.Entrypoint, s.Cmd = nil, []string{"/bin/sh", "-c", "exec python -u src/app.py"}
	}))
	info := gatherImageTest(t, reg.Ref("student/flask:src"), ImageOptions{})
	mustGatherOK(t, info)
	app, req := info.Files["/app/src/app.py"], info.Files["/app/requirements.txt"]
	if app == nil || req == nil {
		t.Fatalf("files = %v, want /app/src/app.py and /app/requirements.txt", imgKeys(info.Files))
	}
	if app.Content != registrytest.AppPy {
		t.Errorf("app.py = %q", app.Content)
	}
}
