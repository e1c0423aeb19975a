package handin

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

func testLab(t testing.TB) *labs.Lab {
	t.Helper()
	l, err := labs.Find("", "", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := report.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// offline is a snapshot of a student whose cluster could not be read but
// whose image is on the registry: the image checks are judged, the cluster
// checks are errors.
func offline(t testing.TB, ref string) *snapshot.Snapshot {
	t.Helper()
	info := gather.GatherImage(context.Background(), ref, gather.ImageOptions{Insecure: true})
	if info.Err != nil || info.Digest == "" {
		t.Fatalf("%s: %+v", ref, info)
	}
	s := &snapshot.Snapshot{
		Cluster: &snapshot.ClusterInfo{Server: "https://127.0.0.1:1", Err: &snapshot.GatherError{Kind: snapshot.ErrUnreachable, What: "reach the API server", Detail: "connection refused"}},
		Image:   info,
		Run:     &snapshot.RunProbe{SkipReason: "image run disabled (--no-run)"},
	}
	red, err := Redact(s)
	if err != nil {
		t.Fatal(err)
	}
	return red
}

// makeSub builds a signed submission from a snapshot as Make does.
func makeSub(t testing.TB, lab *labs.Lab, id, ref string, snap *snapshot.Snapshot, cluster string, key ed25519.PrivateKey) *Submission {
	t.Helper()
	req := pipeline.Request{Job: pipeline.Job{Lab: lab, Lang: "en", Student: report.Student{ID: id, Name: "Student " + id}, Image: ref}}
	fp := report.Fingerprint{Cluster: cluster}
	if snap.Image != nil {
		fp.ImageDigest = snap.Image.Digest
	}
	s, err := build(req, snap, nil, fp, time.Now().UTC(), key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeSub(t testing.TB, dir, name string, s *Submission) string {
	t.Helper()
	b, err := JSON(s)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadVersions(t *testing.T) {
	lab := testLab(t)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "a/app:v1", registrytest.LessonImage())
	ref := reg.Ref("a/app:v1")
	s := makeSub(t, lab, "a1", ref, offline(t, ref), "", newKey(t))
	data, err := JSON(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if why := Verify(got); len(why) > 0 {
		t.Fatalf("an untouched submission does not verify: %v", why)
	}
	again, _ := JSON(got)
	if string(again) != string(data) {
		t.Error("reading and writing a submission changes its bytes")
	}

	for _, tc := range []struct {
		schema string
		want   []string
	}{
		{"kubelab.submission/v0", []string{`"kubelab.submission/v0"`, "older", `"kubelab.submission/v1"`}},
		{"kubelab.submission/v9", []string{`"kubelab.submission/v9"`, "newer", `"kubelab.submission/v1"`}},
		{"kubelab.report/v1", []string{"report", "not a submission", "kubelab submit"}},
		{"something/else", []string{`"something/else"`, `"kubelab.submission/v1"`}},
	} {
		old := strings.Replace(string(data), `"schema": "kubelab.submission/v1"`, `"schema": "`+tc.schema+`"`, 1)
		_, err := Read([]byte(old))
		if err == nil {
			t.Errorf("%s: read without error", tc.schema)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.schema, err, w)
			}
		}
	}
	var ve *VersionError
	v9 := strings.Replace(string(data), Schema, "kubelab.submission/v9", 1)
	if _, err := Read([]byte(v9)); !errors.As(err, &ve) || !ve.Newer {
		t.Errorf("v9: %v, want a newer VersionError", err)
	}
	if _, err := Read([]byte("{}")); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("{}: %v", err)
	}
	if _, err := Read([]byte(strings.Replace(string(data), `"schema": "kubelab.submission/v1",`, `"schema": "kubelab.submission/v1", "extra": 1,`, 1))); err == nil {
		t.Error("an unknown member was accepted")
	}
	bad := strings.Replace(string(data), `"id": "a1"`, `"id": "../../etc"`, 1)
	if _, err := Read([]byte(bad)); err == nil || !strings.Contains(err.Error(), "student id") {
		t.Errorf("a student id that is no file name: %v", err)
	}
}

// TestRedact: a secret in an env value, a command line, the last-applied
// annotation, managedFields and an event's message never leaves the
// student's machine; what the checks judge stays.
func TestRedact(t *testing.T) {
	const secret = "hunter2-s3cr3t-VALUE"
	meta := metav1.ObjectMeta{Name: "hello-flask", Namespace: "budi", UID: "uid-dep-1", Labels: map[string]string{"app": "hello-flask"},
		Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"template":{"spec":{"containers":[{"env":[{"name":"DB_PASSWORD","value":"` + secret + `"}]}]}}}}`,
			"deployment.kubernetes.io/revision":                "2",
			"kubernetes.io/change-cause":                       "kubectl set env DB_PASSWORD=" + secret,
		},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:` + secret + `":{}}`)}}},
	}
	spec := corev1.PodSpec{Containers: []corev1.Container{{
		Name: "hello-flask", Image: "budi/hello-flask",
		Command: []string{"python", "app.py", "--token=" + secret},
		Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: secret},
			{Name: "API_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Key: "k"}}}},
		Ports:          []corev1.ContainerPort{{ContainerPort: 5000}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "curl -u admin:" + secret}}}},
	}}}
	dep := appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "hello-flask"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hello-flask"}}, Spec: spec}}}
	pod := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hello-flask-1", UID: "uid-pod-1", Labels: map[string]string{"app": "hello-flask"}}, Spec: spec,
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "hello-flask", Image: "budi/hello-flask", ImageID: "sha256:abc", Ready: true}}}}
	ev := corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", UID: "uid-ev-1"}, Reason: "Started", Message: "started with " + secret,
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "hello-flask-1"}}
	ns := &snapshot.Namespace{Name: "budi", Deployments: []appsv1.Deployment{dep}, Pods: []corev1.Pod{pod}, Events: []corev1.Event{ev},
		ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Template: dep.Spec.Template}}}}
	s := &snapshot.Snapshot{NS: ns, Target: &snapshot.Target{Image: "budi/hello-flask", Deployment: &ns.Deployments[0], Pods: ns.Pods, Events: ns.Events},
		Cluster: &snapshot.ClusterInfo{SystemPods: []corev1.Pod{pod}}}

	red, err := Redact(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(red)
	if strings.Contains(string(b), secret) {
		t.Fatalf("the secret is in the redacted evidence:\n%s", b)
	}
	if !strings.Contains(string(s.NS.Deployments[0].Spec.Template.Spec.Containers[0].Env[0].Value), secret) {
		t.Error("Redact changed its input")
	}
	d := red.NS.Deployments[0]
	c := d.Spec.Template.Spec.Containers[0]
	switch {
	case d.UID != "uid-dep-1" || d.Name != "hello-flask" || d.Labels["app"] != "hello-flask" || d.Spec.Selector.MatchLabels["app"] != "hello-flask":
		t.Errorf("names, UIDs, labels or selectors lost: %+v", d.ObjectMeta)
	case d.Annotations["deployment.kubernetes.io/revision"] != "2" || len(d.Annotations) != 1:
		t.Errorf("annotations: %v, want only the revision", d.Annotations)
	case c.Image != "budi/hello-flask" || c.Ports[0].ContainerPort != 5000 || len(c.Env) != 2 || c.Env[0].Name != "DB_PASSWORD":
		t.Errorf("container: %+v", c)
	case red.Target.Pods[0].Status.ContainerStatuses[0].ImageID != "sha256:abc" || red.NS.Events[0].Reason != "Started":
		t.Error("statuses or events' reasons lost")
	case d.ManagedFields != nil:
		t.Error("managedFields kept")
	}
}

// TestGradeFlags grades a directory of hand-made submissions (no cluster:
// their clusters could not be read, their images are judged) with every
// kind of tampering that needs no cluster.
func TestGradeFlags(t *testing.T) {
	lab := testLab(t)
	reg := registrytest.New(t)
	refs := map[string]string{}
	for _, id := range []string{"a", "b", "edit", "resign", "repush"} {
		registrytest.Push(t, reg, id+"/hello-flask:v1", registrytest.LessonImage(registrytest.AppSource("# "+id+"\n"+registrytest.AppPy)))
		refs[id] = reg.Ref(id + "/hello-flask:v1")
	}
	dir, out := t.TempDir(), t.TempDir()
	keys := map[string]ed25519.PrivateKey{}
	subs := map[string]*Submission{}
	fpB := "sha256:" + strings.Repeat("b", 64)
	for _, id := range []string{"a", "b", "edit", "resign", "repush"} {
		keys[id] = newKey(t)
		fp := ""
		if id == "b" {
			fp = fpB
		}
		subs[id] = makeSub(t, lab, id, refs[id], offline(t, refs[id]), fp, keys[id])
		writeSub(t, dir, id+".json", subs[id])
	}
	honestScore := subs["a"].Report.Score
	if honestScore == 0 {
		t.Fatal("the honest submission scores 0: nothing to compare")
	}

	// edit: raises the score in the file, signature untouched.
	data, _ := os.ReadFile(filepath.Join(dir, "edit.json"))
	re := regexp.MustCompile(`"score": [0-9.]+,`)
	if !re.Match(data) {
		t.Fatal("no score in the file")
	}
	data = re.ReplaceAll(data, []byte(`"score": 100,`))
	if err := os.WriteFile(filepath.Join(dir, "edit.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// resign: turns a failed check into a pass and signs everything again
	// with their own key: the signature is fine, the evidence says no.
	rs := subs["resign"]
	for i, c := range rs.Report.Checks {
		if c.Status != report.Pass && c.MaxPoints > 0 {
			rs.Report.Checks[i].Status, rs.Report.Checks[i].Points = report.Pass, c.MaxPoints
			break
		}
	}
	report.Summarize(rs.Report)
	rs.Report.Signature = nil
	if err := Sign(rs, keys["resign"]); err != nil {
		t.Fatal(err)
	}
	writeSub(t, dir, "resign.json", rs)
	// copy: b's submission under another id, signed with its own key.
	cp := *subs["b"]
	cr := *cp.Report
	cp.Report, cp.Student = &cr, report.Student{ID: "copy", Name: "Copier"}
	cr.Student, cr.Signature = cp.Student, nil
	keys["copy"] = newKey(t)
	if err := Sign(&cp, keys["copy"]); err != nil {
		t.Fatal(err)
	}
	writeSub(t, dir, "copy.json", &cp)
	// repush: the tag gets another image after handing in.
	registrytest.Push(t, reg, "repush/hello-flask:v1", registrytest.LessonImage(registrytest.AppSource("# changed\n"+registrytest.AppPy)))
	// Files kubelab cannot grade.
	v1, _ := JSON(subs["a"])
	for name, schema := range map[string]string{"old.json": "kubelab.submission/v0", "new.json": "kubelab.submission/v9"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Replace(string(v1), Schema, schema, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a submission"), 0o644)

	// The key history: a's key is known, b had another key last lab.
	hist := map[string]string{"a": report.KeyID(keys["a"].Public().(ed25519.PublicKey)), "b": "0123456789abcdef"}
	histFile := filepath.Join(t.TempDir(), "keys.json")
	if err := WriteKeyHistory(histFile, hist); err != nil {
		t.Fatal(err)
	}

	cache := t.TempDir()
	opt := Options{Lab: lab, Lang: "en", Dir: dir, Out: out, KeysFile: histFile,
		ImageOpts: gather.ImageOptions{Insecure: true, CacheDir: cache}}
	res, err := Grade(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Refused {
		t.Logf("refused %s", r)
	}
	for _, s := range res.Students {
		t.Logf("%-7s graded %v/%v (handed in %v) flags %v", s.ID, s.Score, s.MaxScore, s.Claimed, s.Flags)
	}
	if len(res.Refused) != 2 {
		t.Fatalf("refused %v, want old.json and new.json", res.Refused)
	}
	for _, r := range res.Refused {
		want := map[string][]string{"old.json": {"kubelab.submission/v0", "older", Schema}, "new.json": {"kubelab.submission/v9", "newer", Schema}}[filepath.Base(r.File)]
		for _, w := range want {
			if !strings.Contains(r.Reason, w) {
				t.Errorf("%s: %q lacks %q", r.File, r.Reason, w)
			}
		}
	}
	wantFlags := map[string][]Flag{
		"a":      nil,
		"b":      {SharedCluster, SharedImage, OtherKey},
		"copy":   {SharedCluster, SharedImage},
		"edit":   {BadSignature, ScoreMismatch},
		"resign": {ScoreMismatch},
		"repush": {ImageChanged},
	}
	if len(res.Students) != len(wantFlags) {
		t.Fatalf("graded %d students, want %d", len(res.Students), len(wantFlags))
	}
	for _, s := range res.Students {
		if got, want := s.Flags, wantFlags[s.ID]; !sameFlags(got, want) {
			t.Errorf("%s: flags %v, want %v", s.ID, got, want)
		}
		if len(s.Unchecked) > 0 {
			t.Errorf("%s: unchecked %v", s.ID, s.Unchecked)
		}
		// Everyone's grade is what the evidence gives: the lesson image
		// earns the same for each.
		if s.Score != honestScore {
			t.Errorf("%s: graded %v, want %v (handed in %v)", s.ID, s.Score, honestScore, s.Claimed)
		}
	}

	// grades.csv has a flags column; the dashboard a column per flag.
	f, _ := os.Open(filepath.Join(out, grade.GradesFile))
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	if head[len(head)-1] != "flags" {
		t.Fatalf("grades.csv header %v lacks flags", head)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	// b (another key than the one bound to b), edit (changed after
	// signing) and resign (a report its evidence does not give) are held:
	// no grade until the lecturer accepts.
	wantHeld := map[string]string{"b": "other-key", "edit": "bad-signature;score-mismatch", "resign": "score-mismatch"}
	for _, row := range rows[1:] {
		var want []string
		for _, f := range wantFlags[row[0]] {
			want = append(want, string(f))
		}
		if row[len(row)-1] != strings.Join(want, ";") {
			t.Errorf("grades.csv %s: flags %q, want %q", row[0], row[len(row)-1], strings.Join(want, ";"))
		}
		if got := row[col["held"]]; got != wantHeld[row[0]] {
			t.Errorf("grades.csv %s: held %q, want %q", row[0], got, wantHeld[row[0]])
		}
		if h := wantHeld[row[0]] != ""; h != (row[col["score"]] == "" && row[col["percent"]] == "") {
			t.Errorf("grades.csv %s: held %t but score %q percent %q", row[0], h, row[col["score"]], row[col["percent"]])
		}
	}
	for _, s := range res.Students {
		var held []string
		for _, f := range s.Held {
			held = append(held, string(f))
		}
		if strings.Join(held, ";") != wantHeld[s.ID] {
			t.Errorf("%s: held %v, want %q", s.ID, s.Held, wantHeld[s.ID])
		}
	}
	dash, _ := os.ReadFile(filepath.Join(out, grade.IndexFile))
	for _, f := range Flags {
		if !strings.Contains(string(dash), `title="`+f.CheckID()+`"`) {
			t.Errorf("the dashboard has no column %s", f.CheckID())
		}
	}
	// The key history for the next lab: everyone's key, b still bound to
	// the old one (the new key is held, not accepted).
	next, err := ReadKeyHistory(filepath.Join(out, KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if next["b"] != hist["b"] || next["a"] != hist["a"] || len(next) != len(wantFlags)-1 {
		t.Errorf("keys.json: %v", next)
	}
	if updated, _ := ReadKeyHistory(histFile); len(updated) != len(next) {
		t.Errorf("the key history %s was not updated: %v", histFile, updated)
	}
	if _, ok := next["edit"]; ok {
		t.Error("keys.json records the key of a submission whose signature is bad")
	}

	// Graded again with the cache: one HEAD per image, nothing else.
	reg.ResetCounts()
	opt.Out, opt.KeysFile = t.TempDir(), filepath.Join(out, KeysFile)
	res2, err := Grade(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	counts := reg.Counts()
	if counts[registrytest.HeadManifest] != res2.ImageChecks || counts[registrytest.GetManifest]+counts[registrytest.GetBlob] != 0 {
		t.Errorf("second run: registry requests %v, want %d HEADs only", counts, res2.ImageChecks)
	}
	for _, s := range res2.Students {
		if s.ID != "b" && slices.Contains(s.Flags, OtherKey) || s.ID == "b" && !slices.Contains(s.Held, OtherKey) {
			t.Errorf("second run, %s: %v held %v", s.ID, s.Flags, s.Held)
		}
	}

	// The lecturer accepts b's new key: b is graded and bound to it.
	opt.Out, opt.Accept = t.TempDir(), map[string][]Flag{"b": {OtherKey}}
	res3, err := Grade(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res3.Students {
		if s.ID == "b" && (len(s.Held) > 0 || !slices.Contains(s.Flags, OtherKey)) {
			t.Errorf("accepted: b flags %v held %v, want other-key raised, nothing held", s.Flags, s.Held)
		}
	}
	if h, _ := ReadKeyHistory(opt.KeysFile); h["b"] != report.KeyID(keys["b"].Public().(ed25519.PublicKey)) {
		t.Errorf("accepting other-key did not bind b to its new key: %v", h)
	}
}

func sameFlags(a, b []Flag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
