package serve_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/browser"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/simcluster/simclustertest"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/serve"
)

func lab(t *testing.T) *labs.Lab {
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// start serves s on a free 127.0.0.1 port and returns its base URL.
func start(t *testing.T, s *serve.Server) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler(l.Addr().String())}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { hs.Close() })
	return "http://" + l.Addr().String()
}

// clusterWithImage starts a simulated cluster and a registry holding the
// lesson's image, and returns the cluster, the test's context (4 minutes)
// and the image's reference.
func clusterWithImage(t *testing.T) (*simcluster.Cluster, context.Context, string) {
	t.Helper()
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := simclustertest.StartT(t, simcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	return c, ctx, reg.Ref("budi/hello-flask:latest")
}

// pipelineGrade grades as kubelab serve does: the real grading of req, for
// the steps and language the page asks.
func pipelineGrade(req pipeline.Request) serve.GradeFunc {
	return func(ctx context.Context, steps map[string]bool, lang string) *report.Report {
		r := req
		r.Steps, r.Lang = steps, lang
		return pipeline.Grade(ctx, r)
	}
}

// TestCheckNeedsTokenAndOrigin: a check runs only on a same-origin POST with
// the session token; a foreign Host header is refused.
func TestCheckNeedsTokenAndOrigin(t *testing.T) {
	ran := 0
	s, err := serve.New(lab(t), "en", func(ctx context.Context, steps map[string]bool, lang string) *report.Report {
		ran++
		return &report.Report{Lang: lang}
	})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	post := func(origin, token, host string) int {
		req, _ := http.NewRequest("POST", base+"/api/check", strings.NewReader(`{"step":"create-deployment","lang":"en"}`))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if token != "" {
			req.Header.Set("X-Kubelab-Token", token)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, origin, token, host string
		want                      int
	}{
		{"cross-origin", "http://evil.example", s.Token(), "", http.StatusForbidden},
		{"no origin", "", s.Token(), "", http.StatusForbidden},
		{"no token", base, "", "", http.StatusForbidden},
		{"wrong token", base, "x" + s.Token()[1:], "", http.StatusForbidden},
		{"rebinding host", "http://evil.example:80", s.Token(), "evil.example:80", http.StatusMisdirectedRequest},
		{"same origin with token", base, s.Token(), "", http.StatusOK},
	}
	for _, tc := range cases {
		if got := post(tc.origin, tc.token, tc.host); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if ran != 1 {
		t.Errorf("grading ran %d times, want once (only the allowed request)", ran)
	}
	// Pages carry no kubeconfig or credential, only the token.
	resp, err := http.Get(base + "/en/step/create-deployment")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), s.Token()) || strings.Contains(string(body), "BEGIN") {
		t.Error("page should carry the session token and nothing like a key")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP header missing: %q", csp)
	}
}

// TestLessonInBrowser: the student opens the deployment step, presses Check
// before deploying (fail, with a hint), deploys with kubectl, presses again
// (pass); switches language; checks everything and downloads the report.
func TestLessonInBrowser(t *testing.T) {
	c, ctx, image := clusterWithImage(t)
	const ns = "budi"
	if _, err := c.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	l := lab(t)
	req := pipeline.Request{Job: pipeline.Job{Lab: l, Image: image}, Kube: gather.LoadKube(c.Kubeconfig, "", ns),
		ImageOpts: gather.ImageOptions{Insecure: true}, NoRun: true, Timeout: time.Minute}
	s, err := serve.New(l, "en", pipelineGrade(req))
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	b := browser.New(t)

	status := func(check string) string {
		var st string
		b.Run(t, 10*time.Second, chromedp.Evaluate(`(document.querySelector('[data-check="`+check+`"]')||{dataset:{}}).dataset.status||""`, &st))
		return st
	}
	press := func(id string) {
		b.Run(t, 90*time.Second,
			chromedp.Click("#"+id, chromedp.ByID),
			chromedp.WaitNotPresent("button.check.busy", chromedp.ByQuery),
		)
	}

	b.Run(t, 30*time.Second, chromedp.Navigate(base+"/en/step/create-deployment"), chromedp.WaitReady("#check-create-deployment", chromedp.ByID))
	press("check-create-deployment")
	if st := status("deployment.exists"); st != "fail" {
		t.Fatalf("before deploying: deployment.exists = %q, want fail", st)
	}
	var hint string
	b.Run(t, 10*time.Second, chromedp.Text(`[data-check="deployment.exists"] .hint`, &hint, chromedp.ByQuery))
	if !strings.Contains(hint, "kubectl create deployment") {
		t.Errorf("hint %q does not say what to do", hint)
	}
	b.Screenshot(t, "serve-before")

	// The student does the step with kubectl.
	if _, err := c.Kubectl(ctx, "-n", ns, "create", "deployment", "hello-flask", "--image="+image); err != nil {
		t.Fatal(err)
	}
	press("check-create-deployment")
	if st := status("deployment.exists"); st != "pass" {
		t.Fatalf("after deploying: deployment.exists = %q, want pass", st)
	}
	var mark string
	b.Run(t, 10*time.Second, chromedp.Evaluate(`document.querySelector('[data-mark="create-deployment"]').dataset.status`, &mark))
	if mark != "pass" {
		t.Errorf("TOC progress marker = %q, want pass", mark)
	}
	b.Screenshot(t, "serve-after")

	// Copy buttons on code blocks.
	var copies int
	b.Run(t, 10*time.Second, chromedp.Evaluate(`document.querySelectorAll("pre > button.copy").length`, &copies))
	if copies == 0 {
		t.Error("no copy buttons on code blocks")
	}

	// Switch language: the same step in Indonesian, with the marker kept.
	var h1, btn string
	b.Run(t, 20*time.Second, chromedp.Click("#lang-id", chromedp.ByID), chromedp.WaitReady("#check-create-deployment", chromedp.ByID),
		chromedp.Text("main h1", &h1, chromedp.ByQuery), chromedp.Text("#check-create-deployment", &btn, chromedp.ByID))
	if btn != "Periksa langkah ini" || !strings.Contains(h1, "Deployment") {
		t.Errorf("after switching language: h1 %q, button %q", h1, btn)
	}

	// Finish: check everything, then download the report.
	b.Run(t, 20*time.Second, chromedp.Navigate(base+"/id/finish"), chromedp.WaitReady("#check-all", chromedp.ByID))
	press("check-all")
	var score, notGraded string
	b.Run(t, 10*time.Second, chromedp.Text("#score", &score, chromedp.ByID), chromedp.Text("#not-graded", &notGraded, chromedp.ByID))
	// NoRun: image.runs is not graded, left out of the maximum.
	if !strings.Contains(score, "/ 95") || notGraded != "5 poin tidak dinilai" {
		t.Errorf("score %q, %q", score, notGraded)
	}
	b.Screenshot(t, "serve-finish")
	var downloaded string
	b.Run(t, 20*time.Second, chromedp.Evaluate(`fetch("/report.json").then(r => r.text())`, &downloaded, func(p *runtimeEvaluateParams) *runtimeEvaluateParams { return p.WithAwaitPromise(true) }))
	rep, err := report.Read([]byte(downloaded))
	if err != nil {
		t.Fatalf("downloaded report: %v", err)
	}
	if rep.Lang != "id" || rep.Target.Deployment != "hello-flask" {
		t.Errorf("downloaded report: lang %s, deployment %q", rep.Lang, rep.Target.Deployment)
	}
	var html string
	b.Run(t, 20*time.Second, chromedp.Evaluate(`fetch("/report.html").then(r => r.text())`, &html, func(p *runtimeEvaluateParams) *runtimeEvaluateParams { return p.WithAwaitPromise(true) }))
	if !strings.Contains(html, "<!doctype html>") && !strings.Contains(html, "<!DOCTYPE html>") || !strings.Contains(html, "deployment.exists") {
		t.Errorf("downloaded HTML report is not the report page: %.200s", html)
	}
	if f := b.Foreign(base); len(f) > 0 {
		t.Errorf("requests left the page: %v", f)
	}
}
