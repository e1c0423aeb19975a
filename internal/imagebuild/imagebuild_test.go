package imagebuild

import (
	"archive/tar"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func spec() *Spec {
	return &Spec{
		Layers: []map[string]string{
			{"/usr/local/bin/python": "#!py\n"},
			{"/app/app.py": "print(1)\n", "/app/requirements.txt": "flask\n"},
		},
		Entrypoint: []string{"python"}, Cmd: []string{"app.py"}, WorkingDir: "/app",
		ExposedPorts: []string{"5000/tcp"}, Env: []string{"PATH=/usr/bin"},
		OS: "linux", Architecture: "arm64", Variant: "v8",
		Created: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), CreatedBy: "COPY . .",
	}
}

// entries lists a layer's tar entries as "name mode".
func entries(t *testing.T, s *Spec, i int) []string {
	t.Helper()
	img, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[i].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %o", h.Name, h.Mode))
	}
}

func TestBuildConfig(t *testing.T) {
	img, err := spec().Build()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "v8" || c.WorkingDir != "/app" ||
		!reflect.DeepEqual(c.Entrypoint, []string{"python"}) || !reflect.DeepEqual(c.Cmd, []string{"app.py"}) ||
		!reflect.DeepEqual(c.Env, []string{"PATH=/usr/bin"}) || len(c.ExposedPorts) != 1 || len(cf.History) != 2 || cf.History[1].CreatedBy != "COPY . ." {
		t.Errorf("config %+v", cf)
	}
	// The same Spec gives the same digest.
	a, _ := img.Digest()
	img2, _ := spec().Build()
	if b, _ := img2.Digest(); a != b {
		t.Errorf("digests differ: %s %s", a, b)
	}
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		t.Errorf("media type %s", mt)
	}
}

func TestLayerEntries(t *testing.T) {
	want := []string{"app/ 755", "app/app.py 644", "app/requirements.txt 644"}
	if got := entries(t, spec(), 1); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	s := spec()
	s.DotSlash, s.OCI = true, true
	s.RemoveFile("/app/requirements.txt")
	s.SetFile("/app/app.py", "x")
	s.SetFile("/app/.wh.old.py", "")
	want = []string{"./app/ 755", "./app/.wh.old.py 644", "./app/app.py 644"}
	if got := entries(t, s, 1); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	img, _ := s.Build()
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("media type %s", mt)
	}
}

func TestServePushPull(t *testing.T) {
	srv, err := Serve(NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.Addr, "127.0.0.1:") {
		t.Fatalf("listens on %s, not loopback", srv.Addr)
	}
	img, _ := spec().Build()
	ref, err := name.ParseReference(srv.Addr+"/student/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := img.Digest()
	if b, _ := got.Digest(); a != b {
		t.Errorf("pulled %s, pushed %s", b, a)
	}
}
