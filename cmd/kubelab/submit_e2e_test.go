package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/report"
)

// The secret a student put in their deployment's env (kubectl apply, so
// the last-applied annotation holds it too). It must never leave the
// student's machine.
const handinSecret = "s3cr3t-DB-pa55w0rd-do-not-leak"

type handinStudent struct {
	id, name, scenario string
	secretEnv          bool
	image, file        string
	submitted          float64 // the score kubelab submit printed and handed in
}

// TestSubmitAndGradeSubmissions: five students each do the lab on their
// own simulated cluster (their "laptop"), with their own image in one
// registry, and hand in with kubelab submit (their key made on first use).
// Then one edits the score in their file, one re-pushes their image, one
// copies another's submission under their own id and key, and two files are
// of another schema version. The lecturer runs kubelab grade --submissions
// with last lab's key history (one student has a new key) and must see
// exactly those flags in grades.csv and on the dashboard, while the honest
// students keep the score they handed in.
func TestSubmitAndGradeSubmissions(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	testenv.Real(t, "the simulated cluster")
	bins, err := simcluster.Binaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	reg := registrytest.New(t)
	subs := t.TempDir()

	students := []*handinStudent{
		{id: "2025001", name: "Ani", scenario: "correct"},
		{id: "2025002", name: "Budi", scenario: "nodeport", secretEnv: true},
		{id: "2025003", name: "Citra (edits her score)", scenario: "correct"},
		{id: "2025004", name: "Dewi (pushes again)", scenario: "correct"},
		{id: "2025005", name: "Eko (copied)", scenario: "correct"},
	}
	keyIDs := map[string]string{}
	t0 := time.Now()
	for _, s := range students {
		ts := time.Now()
		repo := "u" + s.id + "/hello-flask:latest"
		registrytest.Push(t, reg, repo, registrytest.LessonImage(registrytest.AppSource("# "+s.id+"\n"+registrytest.AppPy)))
		s.image = reg.Ref(repo)
		s.file = filepath.Join(subs, s.id+".json")
		keyIDs[s.id] = doLabAndSubmit(ctx, t, bins, s)
		t.Logf("%s (%s): played, submitted %v in %s", s.id, s.scenario, s.submitted, time.Since(ts).Round(time.Millisecond))
	}
	t.Logf("5 students, each on their own cluster, submitted in %s", time.Since(t0).Round(time.Millisecond))

	// Redaction: the secret is nowhere in the file; the variable's name is.
	data, err := os.ReadFile(students[1].file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), handinSecret) {
		t.Fatal("the secret env value is in the submission file")
	}
	if !strings.Contains(string(data), `"name": "DB_PASSWORD"`) {
		t.Error("the env variable's name is not in the evidence")
	}
	if strings.Contains(string(data), "last-applied-configuration") || strings.Contains(string(data), "managedFields") {
		t.Error("the last-applied annotation or managedFields are in the submission")
	}

	// Citra raises her score in the file.
	citra := students[2]
	data, _ = os.ReadFile(citra.file)
	scoreRe := regexp.MustCompile(`"score": [0-9.]+,`)
	if err := os.WriteFile(citra.file, scoreRe.ReplaceAll(data, []byte(`"score": 100,`)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Dewi pushes her tag again after handing in.
	registrytest.Push(t, reg, "u2025004/hello-flask:latest", registrytest.LessonImage(registrytest.AppSource("# changed after handing in\n"+registrytest.AppPy)))
	// Fajar copies Eko's submission and signs it as his own.
	eko, err := handin.ReadFile(students[4].file)
	if err != nil {
		t.Fatal(err)
	}
	eko.Student = report.Student{ID: "2025006", Name: "Fajar (copies)"}
	eko.Report.Student, eko.Report.Signature = eko.Student, nil
	_, fajarKey, _ := report.GenerateKey()
	if err := handin.Sign(eko, fajarKey); err != nil {
		t.Fatal(err)
	}
	fajar, _ := handin.JSON(eko)
	if err := os.WriteFile(filepath.Join(subs, "2025006.json"), fajar, 0o644); err != nil {
		t.Fatal(err)
	}
	// Two files of another kubelab.
	ani, _ := os.ReadFile(students[0].file)
	for name, schema := range map[string]string{"old.json": "kubelab.submission/v0", "new.json": "kubelab.submission/v9"} {
		if err := os.WriteFile(filepath.Join(subs, name), []byte(strings.Replace(string(ani), handin.Schema, schema, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Last lab's keys: Ani's is the same; Citra and Dewi had another (for
	// Citra, whose signature is bad, the key proves nothing).
	hist := filepath.Join(t.TempDir(), "keys.json")
	if err := handin.WriteKeyHistory(hist, map[string]string{"2025001": keyIDs["2025001"], "2025003": "0123456789abcdef", "2025004": "fedcba9876543210"}); err != nil {
		t.Fatal(err)
	}

	// The lecturer grades.
	out := filepath.Join(t.TempDir(), "class")
	tg := time.Now()
	res := kubelabCLI(t, "", "grade", "--submissions", subs, "--out", out, "--keys", hist, "--insecure-registry", "--cache-dir", t.TempDir())
	t.Logf("graded in %s:\n%s%s", time.Since(tg).Round(time.Millisecond), res.stdout, res.stderr)
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d (two files refused)", res.code, ExitUsage)
	}
	for _, want := range []string{
		filepath.Join(subs, "old.json") + `: submission schema "kubelab.submission/v0" is older`,
		filepath.Join(subs, "new.json") + `: submission schema "kubelab.submission/v9" is newer`,
		`reads ("kubelab.submission/v1")`,
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}

	wantFlags := map[string]string{
		"2025001": "",
		"2025002": "",
		"2025003": "bad-signature;score-mismatch",
		"2025004": "image-changed;other-key",
		"2025005": "shared-cluster;shared-objects;shared-image",
		"2025006": "shared-cluster;shared-objects;shared-image",
	}
	// Citra's edited file and Dewi's other key hold their grades.
	wantHeld := map[string]string{"2025003": "bad-signature;score-mismatch", "2025004": "other-key"}
	wantScore := map[string]float64{}
	for _, s := range students {
		wantScore[s.id] = s.submitted
	}
	wantScore["2025006"] = students[4].submitted

	// grades.csv: the score judged from the evidence, and the flags.
	f, err := os.Open(filepath.Join(out, grade.GradesFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	if _, ok := col["flags"]; !ok {
		t.Fatalf("grades.csv has no flags column: %v", head)
	}
	if len(rows)-1 != len(wantFlags) {
		t.Fatalf("grades.csv has %d students, want %d", len(rows)-1, len(wantFlags))
	}
	for _, row := range rows[1:] {
		id := row[col["student_id"]]
		if got := row[col["flags"]]; got != wantFlags[id] {
			t.Errorf("grades.csv: %s flags %q, want %q", id, got, wantFlags[id])
		}
		if got := row[col["held"]]; got != wantHeld[id] {
			t.Errorf("grades.csv: %s held %q, want %q", id, got, wantHeld[id])
		}
		want := fmtNum(wantScore[id])
		if wantHeld[id] != "" {
			want = ""
		}
		if got := row[col["score"]]; got != want {
			t.Errorf("grades.csv: %s score %q, want %q (what the evidence gives; none when held)", id, got, want)
		}
	}
	if students[0].submitted == students[1].submitted {
		t.Log("note: the two honest students scored the same")
	}

	// The dashboard: a column per flag, a failed cell where a flag is up.
	dash, err := os.ReadFile(filepath.Join(out, grade.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range handin.Flags {
		if !strings.Contains(string(dash), `scope="col" class="check" title="`+fl.CheckID()+`"`) {
			t.Errorf("the dashboard has no column for %s", fl)
		}
	}
	for id, flags := range wantFlags {
		m := regexp.MustCompile(`(?s)<tr data-id="` + id + `">.*?</tr>`).FindString(string(dash))
		if m == "" {
			t.Errorf("the dashboard has no row for %s", id)
			continue
		}
		for _, fl := range handin.Flags {
			up := strings.Contains(";"+flags+";", ";"+string(fl)+";")
			cell := regexp.MustCompile(`<td class="num (\w+)"[^>]*title="` + regexp.QuoteMeta(fl.CheckID()) + `:`).FindStringSubmatch(m)
			switch {
			case cell == nil:
				t.Errorf("dashboard %s: no %s cell", id, fl)
			case up && cell[1] != "fail", !up && cell[1] == "fail":
				t.Errorf("dashboard %s: %s cell is %q (flag up: %t)", id, fl, cell[1], up)
			}
		}
	}
	for id := range wantFlags {
		for _, ext := range []string{".json", ".html"} {
			if _, err := os.Stat(filepath.Join(out, grade.StudentsDir, id+ext)); err != nil {
				t.Error(err)
			}
		}
	}
	// Nothing the lecturer got holds the secret.
	_ = filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), handinSecret) {
				t.Errorf("%s holds the secret", p)
			}
		}
		return nil
	})
	// The key history for the next lab.
	var next map[string]string
	b, _ := os.ReadFile(filepath.Join(out, handin.KeysFile))
	if err := json.Unmarshal(b, &next); err != nil {
		t.Fatal(err)
	}
	if next["2025001"] != keyIDs["2025001"] || next["2025002"] != keyIDs["2025002"] || next["2025003"] != "0123456789abcdef" || next["2025004"] != "fedcba9876543210" || next["2025006"] == "" {
		t.Errorf("keys.json: %v", next)
	}
}

// doLabAndSubmit starts the student's own cluster, plays the scenario with
// kubectl, stands in for the app and runs kubelab submit with a key made on
// first use in the student's own config directory. It returns the key id.
func doLabAndSubmit(ctx context.Context, t *testing.T, bins string, s *handinStudent) string {
	t.Helper()
	c, err := simcluster.Start(ctx, simcluster.Options{BinDir: bins, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	st := &simcluster.Student{C: c, Namespace: "default", Image: s.image}
	if err := st.Play(ctx, s.scenario); err != nil {
		t.Fatal(err)
	}
	if s.secretEnv {
		name, err := c.Kubectl(ctx, "get", "deployment", "hello-flask", "-o", "jsonpath={.spec.template.spec.containers[0].name}")
		if err != nil {
			t.Fatal(err)
		}
		manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: hello-flask, namespace: default, labels: {app: hello-flask}}
spec:
  selector: {matchLabels: {app: hello-flask}}
  template:
    metadata: {labels: {app: hello-flask}}
    spec:
      containers:
      - name: %s
        image: %s
        env:
        - {name: DB_PASSWORD, value: %s}
`, name, s.image, handinSecret)
		p := filepath.Join(t.TempDir(), "deployment.yaml")
		if err := os.WriteFile(p, []byte(manifest), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Kubectl(ctx, "apply", "-f", p); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Kubectl(ctx, "rollout", "status", "deployment/hello-flask", "--timeout=90s"); err != nil {
			t.Fatal(err)
		}
		if out, _ := c.Kubectl(ctx, "get", "deployment", "hello-flask", "-o", "yaml"); !strings.Contains(out, handinSecret) {
			t.Fatal("the secret is not in the deployment: the redaction test would prove nothing")
		}
	}
	stop, err := c.ServeApp(ctx, "default", "hello-flask", simcluster.FlaskStandIn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the student's own laptop
	res := kubelabCLI(t, "", "submit", "--image", s.image, "--student-id", s.id, "--name", s.name,
		"--kubeconfig", c.Kubeconfig, "--output-file", s.file, "--insecure-registry", "--no-run", "--no-service-proxy", "--cache-dir", t.TempDir())
	if res.code != ExitOK {
		t.Fatalf("%s: kubelab submit: exit %d\n%s\n%s", s.id, res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "You had no key yet: made a new one") {
		t.Errorf("%s: no message about the new key:\n%s", s.id, res.stderr)
	}
	sub, err := handin.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	if why := handin.Verify(sub); len(why) > 0 {
		t.Fatalf("%s: the fresh submission does not verify: %v", s.id, why)
	}
	if sub.Fingerprint.Cluster == "" || sub.Fingerprint.ImageDigest == "" {
		t.Fatalf("%s: fingerprint %+v", s.id, sub.Fingerprint)
	}
	if !strings.Contains(res.stderr, "score "+fmtNum(sub.Report.Score)+"/") {
		t.Errorf("%s: submit did not print the score handed in:\n%s", s.id, res.stderr)
	}
	s.submitted = sub.Report.Score
	return sub.Key.KeyID
}
