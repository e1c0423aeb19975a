package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/pipeline"
)

// TestClientRefusesWrites: the grader's client refuses any mutating request
// before it leaves the process.
func TestClientRefusesWrites(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x"}}`))
	}))
	defer srv.Close()
	var count atomic.Int64
	cs, err := gather.NewClient(&rest.Config{Host: srv.URL}, &count, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "x", metav1.GetOptions{}); err != nil {
		t.Fatalf("a read must go through: %v", err)
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "y"}}, metav1.CreateOptions{})
	var ro *gather.ReadOnlyError
	if !errors.As(err, &ro) || ro.Method != http.MethodPost {
		t.Fatalf("create: want ReadOnlyError for POST, got %v", err)
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, "x", metav1.DeleteOptions{}); !errors.As(err, &ro) {
		t.Fatalf("delete: want ReadOnlyError, got %v", err)
	}
	if hits.Load() != 1 || count.Load() != 1 {
		t.Errorf("server saw %d requests, counter %d; want only the GET", hits.Load(), count.Load())
	}
}

// TestGradingMakesNoWrite proves from the API server's own audit log that a
// whole grading run, by a grader with full rights, made no write.
func TestGradingMakesNoWrite(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	c := startSim(t) // audit log on
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	image := reg.Ref("budi/hello-flask:latest")
	st := &simcluster.Student{C: c, Namespace: "audited", Image: image}
	if err := st.Play(ctx, "correct"); err != nil {
		t.Fatal(err)
	}
	grader, err := c.UserKubeconfig("kubelab-grader", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	r := pipeline.Grade(ctx, pipeline.Request{Job: pipeline.Job{Lab: builtinLab(t), Lang: "en", Image: image},
		Kube: gather.LoadKube(grader, "", "audited"), ImageOpts: gather.ImageOptions{Insecure: true}, NoRun: true})
	if r.Score == 0 {
		t.Fatalf("grading did nothing: %+v", r.Checks)
	}

	f, err := os.Open(c.Dir + "/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reads, writes := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Stage      string `json:"stage"`
			Verb       string `json:"verb"`
			RequestURI string `json:"requestURI"`
			User       struct {
				Username string `json:"username"`
			} `json:"user"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.User.Username != "kubelab-grader" || ev.Stage != "ResponseComplete" {
			continue
		}
		switch ev.Verb {
		case "get", "list", "watch":
			reads++
		default:
			writes++
			t.Errorf("the grader wrote: %s %s", ev.Verb, ev.RequestURI)
		}
	}
	if reads == 0 {
		t.Fatal("no request of the grader in the audit log: the proof proves nothing")
	}
	t.Logf("grader made %d reads and %d writes", reads, writes)
}
