package registrytest

import (
	"fmt"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kubelab/kubelab/internal/imagebuild"
)

// The lesson's images and their variations: correct, and each mistake a student makes.

// AppPy is the lesson's Flask app.
const AppPy = `from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello from Kubernetes!"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
`

// Requirements is the lesson's requirements.txt.
const Requirements = "flask\n"

// Spec describes an image to build (see imagebuild.Spec). Options change
// the lesson's Spec.
type Spec = imagebuild.Spec

// ImageOption changes the Spec LessonImage builds.
type ImageOption func(*Spec)

// LessonSpec is the image the lesson's Dockerfile builds:
//
//	FROM python:3.12-slim
//	WORKDIR /app
//	COPY requirements.txt .
//	RUN pip install -r requirements.txt
//	COPY app.py .
//	EXPOSE 5000
//	ENTRYPOINT ["python"]
//	CMD ["app.py"]
func LessonSpec() *Spec {
	return &Spec{
		Layers: []map[string]string{
			{ // base image
				"/usr/local/bin/python3": "#!placeholder python 3.12\n",
				"/usr/local/bin/python":  "#!placeholder python 3.12\n",
				"/etc/os-release":        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
			},
			{"/app/requirements.txt": Requirements},
			{"/usr/local/lib/python3.12/site-packages/flask/__init__.py": "# placeholder\n"},
			{"/app/app.py": AppPy},
		},
		Entrypoint:   []string{"python"},
		Cmd:          []string{"app.py"},
		WorkingDir:   "/app",
		ExposedPorts: []string{"5000/tcp"},
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=3.12.8"},
		OS:           "linux",
		Architecture: "amd64",
		Created:      time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		CreatedBy:    "test layer",
	}
}

// LessonImage builds the lesson's image, changed by opts.
func LessonImage(opts ...ImageOption) v1.Image {
	s := LessonSpec()
	for _, o := range opts {
		o(s)
	}
	return build(s)
}

// build builds s; a Spec of this package always builds, so a failure is a
// bug here.
func build(s *Spec) v1.Image {
	img, err := s.Build()
	if err != nil {
		panic(err)
	}
	return img
}

// Created sets the image's creation time.
func Created(t time.Time) ImageOption { return func(s *Spec) { s.Created = t } }

// Command sets ENTRYPOINT and CMD (nil for none).
func Command(entrypoint, cmd []string) ImageOption {
	return func(s *Spec) { s.Entrypoint, s.Cmd = entrypoint, cmd }
}

// AppSource replaces app.py's content.
func AppSource(src string) ImageOption {
	return func(s *Spec) { s.SetFile(path.Join(s.WorkingDir, "app.py"), src) }
}

// RequirementsText replaces requirements.txt's content.
func RequirementsText(txt string) ImageOption {
	return func(s *Spec) { s.SetFile(path.Join(s.WorkingDir, "requirements.txt"), txt) }
}

// Workdir moves the app's files from /app to dir and sets WORKDIR dir, as a
// Dockerfile with "WORKDIR /src" and "COPY . ." would.
func Workdir(dir string) ImageOption {
	return func(s *Spec) {
		for _, l := range s.Layers {
			for p, c := range l {
				if strings.HasPrefix(p, "/app/") {
					delete(l, p)
					l[path.Join(dir, strings.TrimPrefix(p, "/app/"))] = c
				}
			}
		}
		s.WorkingDir = dir
	}
}

// WrongWorkdir is the image built with WORKDIR /src instead of /app.
func WrongWorkdir() ImageOption { return Workdir("/src") }

// NoRequirements leaves requirements.txt out of the image.
func NoRequirements() ImageOption {
	return func(s *Spec) { s.RemoveFile(path.Join(s.WorkingDir, "requirements.txt")) }
}

// RequirementsWithoutFlask has a requirements.txt that does not name Flask.
func RequirementsWithoutFlask() ImageOption {
	return RequirementsText("requests==2.32.3\ngunicorn\n")
}

// EntrypointNotApp has ENTRYPOINT ["python"] and no CMD: the container starts
// a bare interpreter, not the app.
func EntrypointNotApp() ImageOption { return Command([]string{"python"}, nil) }

// NoExpose drops EXPOSE; app.py still serves on port 5000.
func NoExpose() ImageOption { return func(s *Spec) { s.ExposedPorts = nil } }

// AppPort makes app.py serve on port (and EXPOSE it).
func AppPort(port int) ImageOption {
	return func(s *Spec) {
		s.SetFile(path.Join(s.WorkingDir, "app.py"), strings.Replace(AppPy, "port=5000", fmt.Sprintf("port=%d", port), 1))
		s.ExposedPorts = []string{fmt.Sprintf("%d/tcp", port)}
	}
}

// Platform sets the image's os/architecture[/variant].
func Platform(os, arch, variant string) ImageOption {
	return func(s *Spec) { s.OS, s.Architecture, s.Variant = os, arch, variant }
}

// ARM64 is the image as an Apple Silicon laptop builds it by default.
func ARM64() ImageOption { return Platform("linux", "arm64", "v8") }

// LegacyPython27 is the image of the original lab notes: FROM python:2.7, no
// ENTRYPOINT, CMD ["python","app.py"]. It must be graded valid.
func LegacyPython27() ImageOption {
	return func(s *Spec) {
		s.Layers[0] = map[string]string{
			"/usr/local/bin/python2.7": "#!placeholder python 2.7\n",
			"/usr/local/bin/python":    "#!placeholder python 2.7\n",
			"/etc/os-release":          "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\n",
		}
		s.RemoveFile("/usr/local/lib/python3.12/site-packages/flask/__init__.py")
		s.Layers[2]["/usr/local/lib/python2.7/site-packages/flask/__init__.py"] = "# placeholder\n"
		s.Entrypoint, s.Cmd = nil, []string{"python", "app.py"}
		s.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHON_VERSION=2.7.18"}
	}
}

// WhiteoutAppPy adds a top layer deleting app.py (as "RUN rm app.py" does):
// the file is in a lower layer but not in the image.
func WhiteoutAppPy() ImageOption {
	return func(s *Spec) {
		s.Layers = append(s.Layers, map[string]string{path.Join(s.WorkingDir, ".wh.app.py"): ""})
	}
}

// OpaqueAppDir adds a top layer that makes the app directory opaque (as
// "RUN rm -rf /app && mkdir /app" does), keeping only a README.
func OpaqueAppDir() ImageOption {
	return func(s *Spec) {
		s.Layers = append(s.Layers, map[string]string{
			path.Join(s.WorkingDir, ".wh..wh..opq"): "",
			path.Join(s.WorkingDir, "README"):       "moved\n",
		})
	}
}

// DotSlashPaths names tar entries "./app/app.py".
func DotSlashPaths() ImageOption { return func(s *Spec) { s.DotSlash = true } }

// OCI uses OCI media types.
func OCI() ImageOption { return func(s *Spec) { s.OCI = true } }

// LessonIndex is a multi-platform index of the lesson's image, one image
// per platform ("linux/amd64", "linux/arm64/v8"; both when none given), as
// "docker buildx build --platform linux/amd64,linux/arm64" pushes it.
func LessonIndex(platforms ...string) v1.ImageIndex {
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64", "linux/arm64/v8"}
	}
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		parts := strings.Split(p, "/")
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		img := LessonImage(Platform(parts[0], parts[1], parts[2]))
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]},
		}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// BuildxIndex is what "docker buildx build --push" writes by default: an OCI
// index holding the image and a provenance attestation manifest whose
// platform is unknown/unknown.
func BuildxIndex(opts ...ImageOption) v1.ImageIndex {
	img := LessonImage(append([]ImageOption{OCI()}, opts...)...)
	d, err := img.Digest()
	if err != nil {
		panic(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	att := build(&Spec{
		Layers:    []map[string]string{{"/provenance.json": `{"_type":"https://in-toto.io/Statement/v0.1"}`}},
		CreatedBy: "test layer",
		OCI:       true,
	})
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	return mutate.AppendManifests(idx,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": d.String(),
			},
		}},
	)
}
