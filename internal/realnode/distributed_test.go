package realnode

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// sourceDateEpoch fixes the times kubelab grade writes, so that two runs
// can be compared byte for byte.
const sourceDateEpoch = "1764547200"

// TestDistributedGradingOnRealNode runs deploy/job.yaml (an Indexed Job of
// four shards) and deploy/merge-job.yaml on the real node, with a kubelab
// image built here (FROM scratch + the static binary) and pushed to the
// node's registry, over a class of five students whose namespaces were made
// with the lesson's kubectl commands. The reference is one `kubelab grade`
// of the whole roster, run the same way (a one-pod Job from the same pod
// template) so that it sees the API server at the same in-cluster address
// (https://10.96.0.1:443). The merged class must equal it byte for byte,
// file by file.
//
// What the test changes in the manifests, and why: the image (ours, on the
// node's registry), --insecure-registry (the node's registry is plain
// HTTP), SOURCE_DATE_EPOCH (fixed times, as bench does) and
// KUBELAB_ALLOW_NETS (the grader may reach only the namespace's ranges); and
// a hostPath PersistentVolume for the results claim (the node has no
// storage provisioner).
func TestDistributedGradingOnRealNode(t *testing.T) {
	n := startT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	begin := time.Now()

	// The kubelab image: FROM scratch + the static binary.
	bin := filepath.Join(t.TempDir(), "kubelab")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "../../cmd/kubelab")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build kubelab (CGO_ENABLED=0): %v\n%s", err, out)
	}
	if ef, err := elf.Open(bin); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				t.Fatalf("kubelab is not static (it names a program interpreter); FROM scratch needs CGO_ENABLED=0")
			}
		}
		ef.Close()
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := LayerFromFiles([]File{{Path: "kubelab", Mode: 0o755, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/kubelab"}, User: "65532"}); err != nil {
		t.Fatal(err)
	}
	if img, err = linuxAMD64(img); err != nil {
		t.Fatal(err)
	}
	kubelabImage := n.Registry + "/kubelab/kubelab:test"
	if err := Push(ctx, kubelabImage, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("kubelab image %s (FROM scratch, %d MB static binary) built and pushed in %s",
		kubelabImage, len(data)>>20, time.Since(begin).Round(100*time.Millisecond))

	// The class: each student's image on the registry by the node address
	// (the name a grader pod can reach), and their namespace made with the
	// lesson's kubectl commands; some steps left out, as students do.
	pause, err := remoteImage(n.PauseImage)
	if err != nil {
		t.Fatal(err)
	}
	type student struct {
		id, name  string
		deploy    bool
		expose    []string
		pushImage bool
	}
	class := []student{
		{id: "s1", name: "Budi", deploy: true, expose: []string{"--type=LoadBalancer", "--port=5000"}, pushImage: true},
		{id: "s2", name: "Siti", deploy: true, pushImage: true},
		{id: "s3", name: "Agus", deploy: true, expose: []string{"--port=5000"}, pushImage: true},
		{id: "s4", name: "Dewi", deploy: true, expose: []string{"--type=NodePort", "--port=8080"}, pushImage: true},
		{id: "s5", name: "Rudi", pushImage: false},
	}
	roster := "student_id,name,image,namespace\n"
	for _, s := range class {
		image := n.RegistryNode + "/" + s.id + "/hello-flask:latest"
		roster += fmt.Sprintf("%s,%s,%s,%s\n", s.id, s.name, image, s.id)
		if s.pushImage {
			if err := Push(ctx, image, pause); err != nil {
				t.Fatal(err)
			}
		}
		steps := [][]string{{"create", "namespace", s.id}}
		if s.deploy {
			steps = append(steps, []string{"-n", s.id, "create", "deployment", "hello-flask", "--image=" + image})
		}
		if s.expose != nil {
			steps = append(steps, append([]string{"-n", s.id, "expose", "deployment", "hello-flask"}, s.expose...))
		}
		for _, a := range steps {
			if out, err := n.Kubectl(ctx, a...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		}
	}
	for _, s := range class {
		if s.deploy {
			if out, err := n.Kubectl(ctx, "-n", s.id, "rollout", "status", "deployment/hello-flask", "--timeout=120s"); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		}
	}

	// The grader's namespace, account and roster, as deploy/job.yaml says.
	if out, err := n.Kubectl(ctx, "apply", "-f", "../../deploy/rbac.yaml"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rosterFile := filepath.Join(t.TempDir(), "class.csv")
	if err := os.WriteFile(rosterFile, []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := n.Kubectl(ctx, "-n", "kubelab", "create", "configmap", "kubelab-roster", "--from-file=roster.csv="+rosterFile); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	results := n.path("results")
	if err := os.MkdirAll(results, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(results, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	apply(t, ctx, n, map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume",
		"metadata": map[string]any{"name": "kubelab-results"},
		"spec": map[string]any{
			"capacity":                      map[string]any{"storage": "1Gi"},
			"accessModes":                   []string{"ReadWriteMany"},
			"persistentVolumeReclaimPolicy": "Retain",
			"storageClassName":              "",
			"hostPath":                      map[string]any{"path": results, "type": "Directory"},
		},
	})

	// deploy/job.yaml: the claim and the Indexed Job; beside it, the
	// reference: the same pod template, one pod, the whole roster.
	var shards *batchv1.Job
	for _, obj := range manifests(t, ctx, n, "../../deploy/job.yaml") {
		if obj.Kind == "Job" {
			var j batchv1.Job
			if err := json.Unmarshal(obj.Raw, &j); err != nil {
				t.Fatal(err)
			}
			shards = &j
			continue
		}
		apply(t, ctx, n, json.RawMessage(obj.Raw))
	}
	if shards == nil {
		t.Fatal("deploy/job.yaml has no Job")
	}
	forTest(t, &shards.Spec.Template.Spec, kubelabImage)
	ref := shards.DeepCopy()
	ref.Name = "kubelab-grade-reference"
	one := int32(1)
	ref.Spec.Completions, ref.Spec.Parallelism = &one, &one
	ref.Spec.Template.Labels = map[string]string{"app.kubernetes.io/name": "kubelab-grade-reference"}
	var args []string
	for _, a := range ref.Spec.Template.Spec.Containers[0].Args {
		switch {
		case strings.HasPrefix(a, "--shard="), a == "--resume":
		case strings.HasPrefix(a, "--out="):
			args = append(args, "--out=/results/reference")
		default:
			args = append(args, a)
		}
	}
	ref.Spec.Template.Spec.Containers[0].Args = args
	jobsAt := time.Now()
	apply(t, ctx, n, shards)
	apply(t, ctx, n, ref)
	waitJob(t, ctx, n, shards.Name, *shards.Spec.Completions)
	waitJob(t, ctx, n, ref.Name, 1)
	t.Logf("the Indexed Job (%d shards) and the reference Job completed in %s", *shards.Spec.Completions, time.Since(jobsAt).Round(100*time.Millisecond))

	mergeAt := time.Now()
	var merge *batchv1.Job
	for _, obj := range manifests(t, ctx, n, "../../deploy/merge-job.yaml") {
		if obj.Kind == "Job" {
			merge = &batchv1.Job{}
			if err := json.Unmarshal(obj.Raw, merge); err != nil {
				t.Fatal(err)
			}
		}
	}
	if merge == nil {
		t.Fatal("deploy/merge-job.yaml has no Job")
	}
	forTest(t, &merge.Spec.Template.Spec, kubelabImage)
	apply(t, ctx, n, merge)
	waitJob(t, ctx, n, merge.Name, 1)
	t.Logf("the merge Job completed in %s", time.Since(mergeAt).Round(100*time.Millisecond))

	// Each shard graded its own slice: together, the whole class once.
	var per []string
	total, used := 0, 0
	for i := int32(0); i < *shards.Spec.Completions; i++ {
		m, _ := filepath.Glob(filepath.Join(results, fmt.Sprintf("shard-%d", i), "students", "*.json"))
		per = append(per, fmt.Sprintf("shard-%d: %d", i, len(m)))
		total += len(m)
		if len(m) > 0 {
			used++
		}
	}
	if total != len(class) || used < 2 {
		t.Errorf("the shards graded %s students; want %d in all, over at least two shards", strings.Join(per, ", "), len(class))
	}
	t.Logf("students per shard: %s", strings.Join(per, ", "))

	got, want := filepath.Join(results, "class"), filepath.Join(results, "reference")
	a, b := tree(t, got), tree(t, want)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("the merged class has files\n  %s\nthe reference\n  %s", strings.Join(a, "\n  "), strings.Join(b, "\n  "))
	}
	same := 0
	for _, f := range b {
		x, err1 := os.ReadFile(filepath.Join(got, f))
		y, err2 := os.ReadFile(filepath.Join(want, f))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the merged shards and the reference run (%v %v)", f, err1, err2)
			continue
		}
		same++
	}
	if same < 2+2*len(class) {
		t.Errorf("only %d files compared; want at least index.html, grades.csv and each student's JSON and HTML", same)
	}
	grades, _ := os.ReadFile(filepath.Join(want, "grades.csv"))
	inCluster := 0
	for _, f := range b {
		x, _ := os.ReadFile(filepath.Join(want, f))
		if bytes.Contains(x, []byte("https://10.96.0.1:443")) {
			inCluster++
		}
	}
	if inCluster == 0 {
		t.Errorf("no report records the API server's in-cluster address https://10.96.0.1:443")
	}
	t.Logf("merged class = reference, byte for byte: %d files (%s)\ngrades.csv:\n%s(whole test %s)",
		same, strings.Join(b, ", "), grades, time.Since(begin).Round(100*time.Millisecond))
}

func remoteImage(ref string) (v1.Image, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return nil, err
	}
	return remote.Image(r)
}

// forTest points a grader pod at the test's image and environment (see
// TestDistributedGradingOnRealNode's comment for why each).
func forTest(t *testing.T, spec *corev1.PodSpec, image string) {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := &spec.Containers[0]
	c.Image = image
	c.ImagePullPolicy = corev1.PullIfNotPresent
	if len(c.Args) > 0 && c.Args[0] == "grade" && (len(c.Args) < 2 || c.Args[1] != "merge") {
		c.Args = append(c.Args, "--insecure-registry")
	}
	c.Env = append(c.Env,
		corev1.EnvVar{Name: "SOURCE_DATE_EPOCH", Value: sourceDateEpoch},
		corev1.EnvVar{Name: "KUBELAB_ALLOW_NETS", Value: "127.0.0.0/8," + nodeCIDR + "," + ServiceCIDR + "," + PodCIDR})
}

type manifest struct {
	Kind string
	Raw  []byte
}

// manifests reads a YAML file of several objects through kubectl (as JSON).
func manifests(t *testing.T, ctx context.Context, n *Node, file string) []manifest {
	t.Helper()
	out, err := exec.CommandContext(ctx, n.KubectlPath(), "--kubeconfig", n.Kubeconfig, "create", "--dry-run=client", "-o", "json", "-f", file).Output()
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	// One JSON object per YAML document, one after another.
	var ms []manifest
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		var m struct {
			Kind  string
			Items []json.RawMessage
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		items := []json.RawMessage{raw}
		if m.Kind == "List" {
			items = m.Items
		}
		for _, it := range items {
			var k struct{ Kind string }
			if err := json.Unmarshal(it, &k); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, manifest{k.Kind, it})
		}
	}
	return ms
}

func apply(t *testing.T, ctx context.Context, n *Node, obj any) {
	t.Helper()
	if j, ok := obj.(*batchv1.Job); ok {
		j.APIVersion, j.Kind = "batch/v1", "Job"
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, n.KubectlPath(), "--kubeconfig", n.Kubeconfig, "apply", "-f", "-")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, b)
	}
}

// waitJob waits until the Job in namespace kubelab has succeeded pods, and
// fails with the pods' logs if it fails.
func waitJob(t *testing.T, ctx context.Context, n *Node, job string, want int32) {
	t.Helper()
	for ctx.Err() == nil {
		out, err := n.Kubectl(ctx, "-n", "kubelab", "get", "job", job, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var j batchv1.Job
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatal(err)
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				t.Fatalf("job %s failed: %s\n%s", job, c.Message, jobLogs(ctx, n, job))
			}
		}
		if j.Status.Succeeded >= want {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("job %s did not complete: %v\n%s", job, ctx.Err(), jobLogs(context.Background(), n, job))
}

func jobLogs(ctx context.Context, n *Node, job string) string {
	pods, _ := n.Kubectl(ctx, "-n", "kubelab", "get", "pods", "-o", "wide")
	logs, _ := n.Kubectl(ctx, "-n", "kubelab", "logs", "--prefix", "--tail=40", "-l", "batch.kubernetes.io/job-name="+job)
	return pods + logs
}

// tree lists the files under dir, relative and sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}
