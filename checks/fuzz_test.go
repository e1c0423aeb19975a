package checks

import (
	"strings"
	"testing"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzNormalizeImage: the image reference a student hands in (roster,
// --image, a deployment's containers) is any text. NormalizeImage never
// panics; what it accepts is canonical (normalising it again changes
// nothing) and names its repository; discovery and the image gatherer's
// parser take the same text without a panic.
func FuzzNormalizeImage(f *testing.F) {
	for _, s := range []string{
		"budi/hello-flask", "budi/hello-flask:v1", "docker.io/budi/app:latest", "index.docker.io/library/python:2.7",
		"127.0.0.1:5000/u/app:v2", "localhost/app", "ghcr.io/a/b/c:tag",
		"budi/app@sha256:" + strings.Repeat("a", 64), "budi/app:v1@sha256:" + strings.Repeat("0", 64),
		"Budi/App", "budi/app:", ":tag", "budi//app", "budi/app:tag:tag", " budi/app ", "budi/app\n",
		"[::1]:5000/app", "a" + strings.Repeat("/b", 200), "\x00", "é/ü", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		full, repo, err := NormalizeImage(ref)
		if err != nil {
			if full != "" || repo != "" {
				t.Fatalf("NormalizeImage(%q): names and an error", ref)
			}
		} else {
			if full == "" || repo == "" || !strings.HasPrefix(full, repo) {
				t.Fatalf("NormalizeImage(%q) = %q, %q", ref, full, repo)
			}
			full2, repo2, err := NormalizeImage(full)
			if err != nil || full2 != full || repo2 != repo {
				t.Fatalf("not canonical: %q -> %q, %q -> %q, %q (%v)", ref, full, repo, full2, repo2, err)
			}
			if !utf8.ValidString(full) {
				t.Fatalf("NormalizeImage(%q) = %q: not UTF-8", ref, full)
			}
		}
		ns := &Namespace{Name: "x", Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "d"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: ref}}}}}}}}
		for _, want := range []string{ref, "budi/hello-flask"} {
			if tg := Discover(ns, want, ""); tg == nil || (want == ref && err == nil && tg.Deployment == nil) {
				t.Fatalf("Discover(%q) did not find the deployment running it: %+v", want, tg)
			}
		}
	})
}
