package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/report"
)

var imageCheckIDs = []string{"image.pushed", "image.platform", "image.entrypoint", "image.workdir", "image.files", "image.port"}

// lessonInfo is what GatherImage reads from the lesson's image.
func imgLessonInfo() *ImageInfo {
	return &ImageInfo{
		Ref: "budi/flask-app:v1", Name: "index.docker.io/budi/flask-app:v1",
		Digest:    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		MediaType: "application/vnd.docker.distribution.manifest.v2+json",
		Platforms: []string{"linux/amd64"}, Platform: "linux/amd64",
		Config: &ImageConfig{
			Entrypoint: []string{"python"}, Cmd: []string{"app.py"}, WorkingDir: "/app",
			ExposedPorts: []string{"5000/tcp"}, OS: "linux", Architecture: "amd64",
			Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		},
		Files: map[string]*ImageFile{
			"/app/app.py":           {Size: int64(len(registrytest.AppPy)), Content: registrytest.AppPy},
			"/app/requirements.txt": {Size: 6, Content: "flask\n"},
		},
	}
}

// with returns the lesson's info changed by f.
func imgWith(f func(im *ImageInfo)) *ImageInfo {
	im := imgLessonInfo()
	f(im)
	return im
}

func imgCmd(entrypoint, c []string) func(im *ImageInfo) {
	return func(im *ImageInfo) { im.Config.Entrypoint, im.Config.Cmd = entrypoint, c }
}

func imgAppPy(src string) func(im *ImageInfo) {
	return func(im *ImageInfo) {
		im.Files["/app/app.py"] = &ImageFile{Size: int64(len(src)), Content: src}
	}
}

func imgReqs(txt string) func(im *ImageInfo) {
	return func(im *ImageInfo) {
		im.Files["/app/requirements.txt"] = &ImageFile{Size: int64(len(txt)), Content: txt}
	}
}

func imgAll(fs ...func(im *ImageInfo)) func(im *ImageInfo) {
	return func(im *ImageInfo) {
		for _, f := range fs {
			f(im)
		}
	}
}

const (
	stP = report.Pass
	stF = report.Fail
	stH = report.Partial // half
	stE = report.Error
)

// imgStatuses lists the statuses of the six image checks, in imageCheckIDs order.
type imgStatuses [6]report.Status

var imgAllPass = imgStatuses{stP, stP, stP, stP, stP, stP}

func (s imgStatuses) set(i int, v report.Status) imgStatuses { s[i] = v; return s }

const (
	ixPushed = iota
	ixPlatform
	ixEntry
	ixWorkdir
	ixFiles
	ixPort
)

// runImageChecks judges every image check on info with params.
func runImageChecks(t *testing.T, info *ImageInfo, params map[string]Params) map[string]Judgement {
	t.Helper()
	out := map[string]Judgement{}
	for _, id := range imageCheckIDs {
		c, ok := Lookup(id)
		if !ok {
			t.Fatalf("check %s is not registered", id)
		}
		p := Params{}
		for _, prm := range c.Params {
			p[prm.Name] = prm.Default
		}
		for k, v := range params[id] {
			p[k] = v
		}
		out[id] = c.Judge(&Snapshot{Image: info}, p)
	}
	return out
}

func TestImageJudges(t *testing.T) {
	py := func(run string) string {
		return "from flask import Flask\napp = Flask(__name__)\n\nif __name__ == \"__main__\":\n    " + run + "\n"
	}
	tests := []struct {
		name   string
		info   *ImageInfo
		nilImg bool
		params map[string]Params
		want   imgStatuses
		// words each listed check's message (or hint, after "hint:") must contain.
		words map[string][]string
	}{
		{name: "lesson image", info: imgLessonInfo(), want: imgAllPass,
			words: map[string][]string{"image.pushed": {"index.docker.io/budi/flask-app:v1", "sha256:0123456789ab"}, "image.entrypoint": {"python app.py"}}},
		{name: "not gathered", nilImg: true, want: imgStatuses{stE, stE, stE, stE, stE, stE},
			words: map[string][]string{"image.pushed": {"not gathered"}}},
		{name: "rate limited", info: &ImageInfo{Ref: "budi/x", Err: &GatherError{Kind: ErrRateLimited, What: "look up x", RetryAfter: time.Minute}},
			want: imgStatuses{stE, stE, stE, stE, stE, stE}, words: map[string][]string{"image.port": {"rate limiting", "1m0s"}}},
		{name: "unreachable registry", info: &ImageInfo{Ref: "budi/x", Err: &GatherError{Kind: ErrUnreachable, What: "look up x"}},
			want: imgStatuses{stE, stE, stE, stE, stE, stE}, words: map[string][]string{"image.pushed": {"unreachable", "hint:registry"}}},
		{name: "invalid reference", info: &ImageInfo{Ref: "Budi/App", Invalid: `"Budi/App" is not a valid image reference (repository names must be lowercase)`},
			want: imgStatuses{stF, stF, stF, stF, stF, stF}, words: map[string][]string{"image.pushed": {"not valid", "lowercase", "hint:user/repository:tag"}}},
		{name: "tag not found", info: &ImageInfo{Ref: "budi/flask-app:v2", Name: "index.docker.io/budi/flask-app:v2", NotFound: true},
			want: imgStatuses{stF, stF, stF, stF, stF, stF}, words: map[string][]string{
				"image.pushed": {"repository:tag not found", "hint:docker push budi/flask-app:v2"},
				"image.files":  {"not found"}}},
		{name: "private repository", info: &ImageInfo{Ref: "budi/flask-app", Name: "index.docker.io/budi/flask-app:latest", Private: true},
			want: imgStatuses{stF, stF, stF, stF, stF, stF}, words: map[string][]string{"image.pushed": {"private or needs login", "hint:public"}}},
		{name: "index without images", info: imgWith(func(im *ImageInfo) {
			im.IsIndex, im.Platforms, im.Platform, im.Config, im.Files = true, nil, "", nil, nil
		}),
			want: imgStatuses{stP, stF, stF, stF, stF, stF}, words: map[string][]string{"image.workdir": {"no container image"}}},

		// image.platform
		{name: "arm64 only", info: imgWith(func(im *ImageInfo) {
			im.Platforms, im.Platform, im.Config.Architecture = []string{"linux/arm64/v8"}, "linux/arm64/v8", "arm64"
		}),
			// No nodes known: only the lab's own requirement can fail it
			// (diagnose_test.go judges it against the cluster's nodes).
			params: map[string]Params{"image.platform": {"platform": "linux/amd64"}},
			want:   imgAllPass.set(ixPlatform, stF), words: map[string][]string{"image.platform": {"linux/arm64/v8", "linux/amd64", "hint:docker buildx build --platform linux/amd64", "hint:Apple Silicon"}}},
		{name: "multi-arch index", info: imgWith(func(im *ImageInfo) { im.IsIndex, im.Platforms = true, []string{"linux/arm64/v8", "linux/amd64"} }),
			want: imgAllPass, words: map[string][]string{"image.platform": {"linux/amd64", "linux/arm64/v8"}}},
		{name: "amd64 variant v3", info: imgWith(func(im *ImageInfo) { im.Platforms = []string{"linux/amd64/v3"} }), want: imgAllPass},
		{name: "platform param arm64 on amd64 image", info: imgLessonInfo(), params: map[string]Params{"image.platform": {"platform": "linux/arm64"}},
			want: imgAllPass.set(ixPlatform, stF)},
		{name: "platform param arm64 on arm64/v8", info: imgWith(func(im *ImageInfo) { im.Platforms = []string{"linux/arm64/v8"} }),
			params: map[string]Params{"image.platform": {"platform": "linux/arm64"}}, want: imgAllPass},
		{name: "no platform recorded, config says amd64", info: imgWith(func(im *ImageInfo) { im.Platforms = nil }), want: imgAllPass},
		{name: "windows image", info: imgWith(func(im *ImageInfo) { im.Platforms = []string{"windows/amd64"} }), want: imgAllPass.set(ixPlatform, stF)},

		// image.entrypoint
		{name: "legacy CMD python app.py", info: imgWith(imgCmd(nil, []string{"python", "app.py"})), want: imgAllPass},
		{name: "python3 app.py", info: imgWith(imgCmd([]string{"python3"}, []string{"app.py"})), want: imgAllPass},
		{name: "python3.12 -u /app/app.py", info: imgWith(imgCmd(nil, []string{"/usr/local/bin/python3.12", "-u", "/app/app.py"})), want: imgAllPass},
		{name: "/usr/local/bin/python ./app.py", info: imgWith(imgCmd([]string{"/usr/local/bin/python", "./app.py"}, nil)), want: imgAllPass},
		{name: "shell form", info: imgWith(imgCmd(nil, []string{"/bin/sh", "-c", "python app.py"})), want: imgAllPass,
			words: map[string][]string{"image.entrypoint": {`/bin/sh -c "python app.py"`}}},
		{name: "shell form with cd and exec", info: imgWith(imgCmd([]string{"/bin/sh", "-c"}, []string{"cd /app && exec python3 app.py"})), want: imgAllPass},
		{name: "tini wrapper", info: imgWith(imgCmd([]string{"tini", "--"}, []string{"python", "app.py"})), want: imgAllPass},
		{name: "flask run on 0.0.0.0:5000", info: imgWith(imgCmd(nil, []string{"flask", "run", "--host=0.0.0.0", "--port=5000"})), want: imgAllPass},
		{name: "python -m flask run --host 0.0.0.0", info: imgWith(imgCmd([]string{"python", "-m", "flask"}, []string{"run", "--host", "0.0.0.0"})), want: imgAllPass},
		{name: "flask run with FLASK_RUN_HOST", info: imgWith(imgAll(imgCmd(nil, []string{"flask", "run"}), func(im *ImageInfo) {
			im.Config.Env = append(im.Config.Env, "FLASK_RUN_HOST=0.0.0.0")
		})), want: imgAllPass},
		{name: "flask run on localhost", info: imgWith(imgCmd(nil, []string{"flask", "run"})), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"127.0.0.1", "--host=0.0.0.0"}}},
		{name: "flask run on port 8080", info: imgWith(imgCmd(nil, []string{"flask", "run", "--host=0.0.0.0", "--port=8080"})), want: imgAllPass.set(ixPort, stF),
			words: map[string][]string{"image.port": {"8080", "command line"}}},
		{name: "gunicorn bound to :5000", info: imgWith(imgCmd(nil, []string{"gunicorn", "-b", ":5000", "app:app"})), want: imgAllPass},
		{name: "gunicorn --bind=0.0.0.0:5000 -w 2", info: imgWith(imgCmd([]string{"gunicorn"}, []string{"--bind=0.0.0.0:5000", "-w", "2", "app:app"})), want: imgAllPass},
		{name: "gunicorn default bind", info: imgWith(imgCmd(nil, []string{"gunicorn", "app:app"})), want: imgAllPass.set(ixEntry, stF).set(ixPort, stF),
			words: map[string][]string{"image.entrypoint": {"127.0.0.1:8000"}, "image.port": {"8000"}}},
		{name: "gunicorn wrong module", info: imgWith(imgCmd(nil, []string{"gunicorn", "-b", "0.0.0.0:5000", "main:server"})), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"app:app"}}},
		{name: "entrypoint python without script", info: imgWith(imgCmd([]string{"python"}, nil)), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"bare Python", "python"}}},
		{name: "runs main.py", info: imgWith(imgCmd(nil, []string{"python", "main.py"})), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"main.py"}}},
		{name: "no command at all", info: imgWith(imgCmd(nil, nil)), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"no ENTRYPOINT or CMD"}}},
		{name: "sleep", info: imgWith(imgCmd(nil, []string{"sleep", "infinity"})), want: imgAllPass.set(ixEntry, stF),
			words: map[string][]string{"image.entrypoint": {"sleep infinity", "hint:CMD"}}},
		{name: "python -c inline", info: imgWith(imgCmd(nil, []string{"python", "-c", "import app"})), want: imgAllPass.set(ixEntry, stF)},

		// image.workdir
		{name: "workdir trailing slash", info: imgWith(func(im *ImageInfo) { im.Config.WorkingDir = "/app/" }), want: imgAllPass},
		{name: "workdir /src", info: imgWith(func(im *ImageInfo) {
			im.Config.WorkingDir = "/src"
			im.Files = map[string]*ImageFile{"/src/app.py": im.Files["/app/app.py"], "/src/requirements.txt": im.Files["/app/requirements.txt"]}
		}), want: imgAllPass.set(ixWorkdir, stF),
			// The app is the file the command starts (/src/app.py), so the
			// files are there; the WORKDIR alone is off (grading policy).
			words: map[string][]string{"image.workdir": {"/src", "hint:WORKDIR /app"}, "image.files": {"/src/app.py"}}},
		{name: "no workdir", info: imgWith(func(im *ImageInfo) { im.Config.WorkingDir = "" }), want: imgAllPass.set(ixWorkdir, stF),
			words: map[string][]string{"image.workdir": {"no WORKDIR"}}},
		{name: "workdir param /src", info: imgWith(func(im *ImageInfo) {
			im.Config.WorkingDir = "/src"
			im.Files = map[string]*ImageFile{"/src/app.py": im.Files["/app/app.py"], "/src/requirements.txt": im.Files["/app/requirements.txt"]}
		}), params: map[string]Params{"image.workdir": {"workdir": "/src"}, "image.files": {"workdir": "/src"}, "image.port": {"workdir": "/src"}},
			want: imgAllPass},

		// image.files
		{name: "no requirements.txt", info: imgWith(func(im *ImageInfo) { delete(im.Files, "/app/requirements.txt") }), want: imgAllPass.set(ixFiles, stF),
			words: map[string][]string{"image.files": {"/app/requirements.txt", "hint:COPY"}}},
		{name: "no app.py, EXPOSE 5000 still there", info: imgWith(func(im *ImageInfo) { delete(im.Files, "/app/app.py") }), want: imgAllPass.set(ixFiles, stF),
			words: map[string][]string{"image.files": {"Missing", "/app/app.py"}}},
		{name: "requirements without flask", info: imgWith(imgReqs("requests==2.32.3\ngunicorn\n")), want: imgAllPass.set(ixFiles, stH),
			words: map[string][]string{"image.files": {"does not name Flask", "hint:flask"}}},
		{name: "requirements only a comment about flask", info: imgWith(imgReqs("# flask\nrequests\n")), want: imgAllPass.set(ixFiles, stH)},
		{name: "requirements flasky is not flask", info: imgWith(imgReqs("flasky\n")), want: imgAllPass.set(ixFiles, stH)},
		{name: "requirements Flask==3.0", info: imgWith(imgReqs("Flask==3.0.3\n")), want: imgAllPass},
		{name: "requirements flask>=2 with options", info: imgWith(imgReqs("--index-url https://pypi.org/simple\n-r base.txt\nflask>=2 ; python_version > '3.8'\n")), want: imgAllPass},
		{name: "requirements flask-restful", info: imgWith(imgReqs("flask-restful\n")), want: imgAllPass},
		{name: "requirements Flask_RESTful", info: imgWith(imgReqs("Flask_RESTful==0.3.10\n")), want: imgAllPass},
		{name: "files could not be read", info: imgWith(func(im *ImageInfo) {
			im.Files = nil
			im.FilesErr = &GatherError{Kind: ErrTimeout, What: "read the files of x"}
		}), want: imgAllPass.set(ixFiles, stE), words: map[string][]string{"image.files": {"timed out"}}},

		// image.port
		{name: "no EXPOSE, app.py on 5000", info: imgWith(func(im *ImageInfo) { im.Config.ExposedPorts = nil }), want: imgAllPass,
			words: map[string][]string{"image.port": {"5000", "optional"}}},
		{name: "app on 8080", info: imgWith(imgAll(imgAppPy(py(`app.run(host="0.0.0.0", port=8080)`)), func(im *ImageInfo) { im.Config.ExposedPorts = []string{"8080/tcp"} })),
			want: imgAllPass.set(ixPort, stF), words: map[string][]string{"image.port": {"8080", "not 5000"}}},
		{name: "EXPOSE 5000 but app on 8080", info: imgWith(imgAppPy(py(`app.run(host="0.0.0.0", port=8080)`))),
			want: imgAllPass.set(ixPort, stF), words: map[string][]string{"image.port": {"8080"}}},
		{name: "port = 5000 with spaces", info: imgWith(imgAppPy(py(`app.run(host = "0.0.0.0", port = 5000, debug=True)`))), want: imgAllPass},
		{name: "app.run() default port", info: imgWith(imgAppPy(py(`app.run("0.0.0.0")`))), want: imgAllPass,
			words: map[string][]string{"image.port": {"5000"}}},
		{name: "positional host and port", info: imgWith(imgAppPy(py(`app.run("0.0.0.0", 5000)`))), want: imgAllPass},
		{name: "app.run() default port vs param 8080", info: imgWith(imgAppPy(py(`app.run(host="0.0.0.0")`))),
			params: map[string]Params{"image.port": {"port": 8080}}, want: imgAllPass.set(ixPort, stF),
			words: map[string][]string{"image.port": {"5000", "default"}}},
		{name: "port from env default", info: imgWith(imgAppPy("import os\n" + py(`app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)))`))), want: imgAllPass},
		{name: "port from env set in image", info: imgWith(imgAll(imgAppPy("import os\n"+py(`app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)))`)),
			func(im *ImageInfo) { im.Config.Env = append(im.Config.Env, "PORT=8080") })), want: imgAllPass.set(ixPort, stF)},
		{name: "port from a variable", info: imgWith(imgAppPy("PORT = 5000\n" + py(`app.run(host="0.0.0.0", port=PORT)`))), want: imgAllPass},
		{name: "commented-out port", info: imgWith(imgAppPy(py(`app.run(host="0.0.0.0", port=5000)  # port=8080`))), want: imgAllPass},
		{name: "no host in app.run", info: imgWith(imgAppPy(py(`app.run(port=5000, debug=True)`))), want: imgAllPass.set(ixPort, stH),
			words: map[string][]string{"image.port": {"127.0.0.1", "hint:host=\"0.0.0.0\""}}},
		{name: "no app.run, EXPOSE 5000", info: imgWith(imgAppPy("from flask import Flask\napp = Flask(__name__)\n")), want: imgAllPass},
		{name: "no app.run, EXPOSE 8080", info: imgWith(imgAll(imgAppPy("from flask import Flask\napp = Flask(__name__)\n"),
			func(im *ImageInfo) { im.Config.ExposedPorts = []string{"8080/tcp"} })), want: imgAllPass.set(ixPort, stF),
			words: map[string][]string{"image.port": {"8080/tcp"}}},
		{name: "no port anywhere", info: imgWith(imgAll(imgAppPy("from flask import Flask\napp = Flask(__name__)\n"),
			func(im *ImageInfo) { im.Config.ExposedPorts = nil })), want: imgAllPass.set(ixPort, stF),
			words: map[string][]string{"image.port": {"No port", "hint:EXPOSE 5000"}}},
		{name: "other variable name for the app", info: imgWith(imgAll(imgCmd(nil, []string{"python", "app.py"}),
			imgAppPy("from flask import Flask\nserver = Flask(__name__)\nserver.run(host='0.0.0.0', port=8080)\n"))), want: imgAllPass.set(ixPort, stF)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := tt.info
			if tt.nilImg {
				info = nil
			}
			got := runImageChecks(t, info, tt.params)
			for i, id := range imageCheckIDs {
				j := got[id]
				if j.Status != tt.want[i] {
					t.Errorf("%s: status %s, want %s (message %q, hint %q)", id, j.Status, tt.want[i], j.Message.In("en"), j.Hint.In("en"))
				}
				if j.Message.In("en") == "" || j.Message.In("id") == "" {
					t.Errorf("%s: message missing a language: %+v", id, j.Message)
				}
				if (j.Status == stF || j.Status == stH) && (j.Hint.In("en") == "" || j.Hint.In("id") == "") {
					t.Errorf("%s: %s without a hint in both languages: %+v", id, j.Status, j.Hint)
				}
				wantFrac := map[report.Status]float64{stP: 1, stF: 0, stE: 0, stH: 0.5}[j.Status]
				if j.Fraction != wantFrac {
					t.Errorf("%s: fraction %v for %s", id, j.Fraction, j.Status)
				}
				for _, w := range tt.words[id] {
					text, where := j.Message.In("en"), "message"
					if h, ok := strings.CutPrefix(w, "hint:"); ok {
						text, where, w = j.Hint.In("en"), "hint", h
					}
					if !strings.Contains(text, w) {
						t.Errorf("%s: %s %q does not mention %q", id, where, text, w)
					}
				}
			}
		})
	}
}

// TestImageChecksEndToEnd gathers each variant from a registry and judges it.
func TestImageChecksEndToEnd(t *testing.T) {
	reg := registrytest.New(t)
	private := registrytest.New(t, registrytest.WithAuth("budi", "rahasia"))
	registrytest.Push(t, private, "budi/flask:v1", registrytest.LessonImage())

	push := func(tag string, opts ...registrytest.ImageOption) string {
		registrytest.Push(t, reg, "budi/flask:"+tag, registrytest.LessonImage(opts...))
		return reg.Ref("budi/flask:" + tag)
	}
	registrytest.PushIndex(t, reg, "budi/flask:multi", registrytest.LessonIndex())
	registrytest.PushIndex(t, reg, "budi/flask:buildx", registrytest.BuildxIndex())

	tests := []struct {
		name string
		ref  string
		want imgStatuses
	}{
		{"lesson", push("v1"), imgAllPass},
		{"missing tag", reg.Ref("budi/flask:nope"), imgStatuses{stF, stF, stF, stF, stF, stF}},
		{"private without login", private.Ref("budi/flask:v1"), imgStatuses{stF, stF, stF, stF, stF, stF}},
		{"wrong workdir", push("src", registrytest.WrongWorkdir()), imgAllPass.set(ixWorkdir, stF)},
		{"no requirements", push("noreq", registrytest.NoRequirements()), imgAllPass.set(ixFiles, stF)},
		{"requirements without flask", push("noflask", registrytest.RequirementsWithoutFlask()), imgAllPass.set(ixFiles, stH)},
		{"entrypoint not app", push("bare", registrytest.EntrypointNotApp()), imgAllPass.set(ixEntry, stF)},
		{"no expose", push("noexpose", registrytest.NoExpose()), imgAllPass},
		{"app on 8080", push("8080", registrytest.AppPort(8080)), imgAllPass.set(ixPort, stF)},
		// No nodes known here: any Linux platform is accepted.
		{"arm64 only", push("arm", registrytest.ARM64()), imgAllPass},
		{"multi-arch index", reg.Ref("budi/flask:multi"), imgAllPass},
		{"buildx index", reg.Ref("budi/flask:buildx"), imgAllPass},
		{"legacy python:2.7", push("py27", registrytest.LegacyPython27()), imgAllPass},
		{"app.py whiteout", push("wh", registrytest.WhiteoutAppPy()), imgAllPass.set(ixFiles, stF)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := gatherImageTest(t, tt.ref)
			got := runImageChecks(t, info, nil)
			for i, id := range imageCheckIDs {
				if j := got[id]; j.Status != tt.want[i] {
					t.Errorf("%s: %s, want %s (%s)", id, j.Status, tt.want[i], j.Message.In("en"))
				}
			}
		})
	}
}

// gatherImageTest reads ref from a test registry the way kubelab check
// does, anonymously.
func gatherImageTest(t *testing.T, ref string) *ImageInfo {
	t.Helper()
	return gather.GatherImage(context.Background(), ref, gather.ImageOptions{Keychain: authn.NewMultiKeychain(), Timeout: 10 * time.Second, Insecure: true})
}
