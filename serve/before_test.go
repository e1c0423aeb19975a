package serve_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/serve"
)

// get returns the page at url.
func get(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// checkStep presses "Check everything" (step "all") or one step's button
// as the page does and returns the results fragment.
func checkStep(t *testing.T, s *serve.Server, base, step, lang string) string {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/check", strings.NewReader(`{"step":"`+step+`","lang":"`+lang+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	req.Header.Set("X-Kubelab-Token", s.Token())
	return do(t, req)
}

// do sends req and returns the body of its 200 OK answer.
func do(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", req.Method, req.URL, resp.Status, b)
	}
	return string(b)
}

var tags = regexp.MustCompile(`<[^>]+>`)

// TestBeforeYouStartPage: a student runs kubelab serve before starting
// minikube, on a machine whose registry does not answer. Every page opens
// with check's "Before you start" block, in the page's language, each
// problem with the command that fixes it; "Check everything" answers with
// the block and one line per step, not a list of checks that could not run.
// The probes and the grading are the real ones kubelab serve runs.
func TestBeforeYouStartPage(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	l := lab(t)
	// No kubeconfig (a fresh home, as before the first minikube start),
	// and a registry where nothing listens.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	kube := gather.LoadKube("", "", "budi")
	image := "127.0.0.1:1/budi/hello-flask:latest"
	req := pipeline.Request{Job: pipeline.Job{Lab: l, Image: image}, Kube: kube, ImageOpts: gather.ImageOptions{Insecure: true}, NoRun: true, Timeout: 30 * time.Second}
	s, err := serve.New(l, "en", pipelineGrade(req))
	if err != nil {
		t.Fatal(err)
	}
	s.EnvOptions = gather.EnvOptions{Kube: kube, Image: image, Insecure: true, NoDocker: true, Timeout: 2 * time.Second}
	s.Env = func(ctx context.Context) []gather.EnvProblem { return gather.ProbeEnv(ctx, s.EnvOptions) }
	base := start(t, s)

	graded := 0
	for _, st := range l.Steps {
		if len(st.Checks) > 0 {
			graded++
		}
	}
	for _, c := range []struct {
		lang                       string
		heading, noKube, reg, then string
		english                    string // must not appear in the other language
	}{
		{"en", "Before you start: kubelab cannot check your work yet.", "There is no kubeconfig yet: no cluster has been started on this computer.",
			"The registry 127.0.0.1:1 cannot be reached from this computer (network or proxy).", "Then reload this page (kubelab doctor checks only these).", ""},
		{"id", "Sebelum mulai: kubelab belum bisa memeriksa hasil kerja kamu.", "Belum ada kubeconfig: belum ada klaster yang dinyalakan di komputer ini.",
			"Registry 127.0.0.1:1 tidak bisa dihubungi dari komputer ini (jaringan atau proksi).", "Lalu muat ulang halaman ini (kubelab doctor hanya memeriksa hal-hal ini).", "Before you start"},
	} {
		for _, path := range []string{"/", "/step/create-deployment", "/finish"} {
			page := get(t, base+"/"+c.lang+path)
			i := strings.Index(page, `<section class="before"`)
			main := strings.Index(page, "<main>")
			if i < 0 || main < 0 || i < main || strings.Contains(page[main:i], "<h1") || strings.Contains(page[main:i], `class="step"`) {
				t.Errorf("%s%s: the block is not at the top of the page:\n%s", c.lang, path, page)
				continue
			}
			block := page[i : i+strings.Index(page[i:], "</section>")]
			for _, want := range []string{c.heading, c.noKube, "<code>minikube start</code>", c.reg, "<code>docker login 127.0.0.1:1</code>", c.then} {
				if !strings.Contains(block, want) {
					t.Errorf("%s%s: the block lacks %q:\n%s", c.lang, path, want, block)
				}
			}
			// The fix comes right after its problem.
			if strings.Index(block, c.noKube) > strings.Index(block, "minikube start") {
				t.Errorf("%s%s: the command comes before its problem:\n%s", c.lang, path, block)
			}
			if c.english != "" && strings.Contains(page, c.english) {
				t.Errorf("%s%s: English in the Indonesian page", c.lang, path)
			}
		}

		frag := checkStep(t, s, base, "all", c.lang)
		if !strings.Contains(frag, c.heading) || !strings.Contains(frag, "<code>minikube start</code>") {
			t.Errorf("%s: Check everything does not open with the block:\n%s", c.lang, frag)
		}
		if n := strings.Count(frag, "data-step-line="); n != graded {
			t.Errorf("%s: %d step lines, want one per graded step (%d):\n%s", c.lang, n, graded, frag)
		}
		if strings.Contains(frag, "data-check=") {
			t.Errorf("%s: the checks that could not run are listed one by one:\n%s", c.lang, frag)
		}
		notYet := map[string]string{"en": "(not checked yet)", "id": "(belum diperiksa)"}[c.lang]
		text := tags.ReplaceAllString(frag, "")
		if strings.Count(text, notYet) != graded {
			t.Errorf("%s: want every step %q:\n%s", c.lang, notYet, text)
		}
		one := checkStep(t, s, base, "create-deployment", c.lang)
		// The step's line, and the cluster step it needs (check grades
		// both).
		if !strings.Contains(one, `data-step-line="create-deployment"`) || strings.Count(one, "data-step-line=") > 2 || !strings.Contains(one, c.heading) || strings.Contains(one, "data-check=") {
			t.Errorf("%s: Check this step: want the block and the step's one line:\n%s", c.lang, one)
		}
	}
}

// TestBeforeYouStartNotWhenReady: on a ready machine no page carries the
// block and a check lists its checks; the machine is probed once for the
// pages, again by every check, and a page probes again after a check found
// something missing, so a reload after the fix clears the block.
func TestBeforeYouStartNotWhenReady(t *testing.T) {
	l := lab(t)
	var probes atomic.Int32
	var down atomic.Bool
	s, err := serve.New(l, "en", func(ctx context.Context, steps map[string]bool, lang string) *report.Report {
		r := &report.Report{Lang: lang, Steps: []report.Step{{ID: "create-deployment", Title: "Deploy"}},
			Checks: []report.Result{{ID: "deployment.exists", Step: "create-deployment", Status: report.Pass, Points: 10, MaxPoints: 10, Message: "found"}}}
		if down.Load() {
			r.Checks[0].Status, r.Checks[0].Points, r.Checks[0].NotGraded = report.Error, 0, true
		}
		report.Summarize(r)
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Env = func(context.Context) []gather.EnvProblem {
		probes.Add(1)
		if down.Load() {
			return []gather.EnvProblem{{Kind: gather.EnvClusterDown}}
		}
		return nil
	}
	base := start(t, s)
	for _, p := range []string{"/en/", "/id/step/create-deployment", "/en/finish"} {
		if page := get(t, base+p); strings.Contains(page, `class="before"`) {
			t.Errorf("%s: a ready machine gets the block:\n%s", p, page)
		}
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("%d probes for three pages on a ready machine, want 1", n)
	}
	frag := checkStep(t, s, base, "create-deployment", "en")
	if strings.Contains(frag, `class="before"`) || !strings.Contains(frag, `data-check="deployment.exists"`) {
		t.Errorf("a ready machine: want the check listed, no block:\n%s", frag)
	}
	if n := probes.Load(); n != 2 {
		t.Errorf("%d probes after a check, want 2 (the check probes beside the grading)", n)
	}
	// minikube stops: the next check finds it, and the pages show it.
	down.Store(true)
	if frag := checkStep(t, s, base, "create-deployment", "en"); !strings.Contains(frag, "<code>minikube start</code>") {
		t.Errorf("cluster down: the check does not say so:\n%s", frag)
	}
	if page := get(t, base+"/en/"); !strings.Contains(page, "<code>minikube start</code>") {
		t.Errorf("cluster down: the page has no block:\n%s", page)
	}
	// The student runs minikube start and reloads.
	down.Store(false)
	if page := get(t, base+"/en/"); strings.Contains(page, `class="before"`) {
		t.Errorf("after the fix, a reload still shows the block:\n%s", page)
	}
}
