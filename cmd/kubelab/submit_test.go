package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/internal/registrytest"
	"github.com/kubelab/kubelab/internal/testenv"
)

// TestSubmitKeyAndDeadCluster: the first submit makes the student's key in
// their config directory and says so; the next one signs with the same key
// silently. A cluster that cannot be reached still gives a submission (the
// image is graded), with exit code 3 and no cluster fingerprint.
func TestSubmitKeyAndDeadCluster(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	reg := registrytest.New(t)
	registrytest.Push(t, reg, "budi/hello-flask:latest", registrytest.LessonImage())
	dead := testenv.DeadKubeconfig(t)
	out := filepath.Join(t.TempDir(), "submission.json")
	args := []string{"submit", "--image", reg.Ref("budi/hello-flask:latest"), "--student-id", "2201234", "--kubeconfig", dead,
		"--output-file", out, "--insecure-registry", "--no-run", "--no-service-proxy", "--cache-dir", t.TempDir(), "--timeout", "20s"}

	var ids []string
	for i := 0; i < 2; i++ {
		res := kubelabCLI(t, "", args...)
		if res.code != ExitEnv {
			t.Fatalf("exit %d, want %d\n%s", res.code, ExitEnv, res.stderr)
		}
		made := strings.Contains(res.stderr, "You had no key yet: made a new one")
		if made != (i == 0) {
			t.Errorf("submit %d: key made: %t\n%s", i+1, made, res.stderr)
		}
		for _, want := range []string{"submission written to " + out, "no cluster fingerprint", "could not run"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("submit %d: stderr lacks %q:\n%s", i+1, want, res.stderr)
			}
		}
		s, err := handin.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if why := handin.Verify(s); len(why) > 0 {
			t.Fatal(why)
		}
		if s.Fingerprint.Cluster != "" || s.Fingerprint.ImageDigest == "" || s.Report.Score == 0 {
			t.Errorf("fingerprint %+v, score %v", s.Fingerprint, s.Report.Score)
		}
		ids = append(ids, s.Key.KeyID)
	}
	if ids[0] != ids[1] {
		t.Errorf("the second submit used another key: %v", ids)
	}
	st, err := os.Stat(filepath.Join(cfg, "kubelab", "kubelab.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v, mode %v", err, st)
	}
}

func TestSubmitAndGradeSubmissionsBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := t.TempDir()
	roster := write(t, dir, "class.csv", "student_id,name,image\n1,Budi,budi/app\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--image", "budi/app"}, "--student-id is required"},
		{[]string{"submit", "--image", "budi/app", "--student-id", "../x"}, "--student-id"},
		{[]string{"submit", "--student-id", "1"}, "--image is required"},
		{[]string{"submit", "--image", "budi/app", "--student-id", "1", "--key", filepath.Join(dir, "none.key")}, "no such file"},
		{[]string{"grade", "--submissions", empty, "--roster", roster, "--out", filepath.Join(dir, "o1")}, "choose one"},
		{[]string{"grade", "--submissions", filepath.Join(dir, "missing"), "--out", filepath.Join(dir, "o2")}, "not a directory"},
		{[]string{"grade", "--submissions", empty, "--out", filepath.Join(dir, "o3")}, "no submission to grade"},
		{[]string{"grade", "--submissions", empty, "--out", filepath.Join(dir, "o4"), "--resume"}, "--resume does not apply"},
		{[]string{"grade", "--submissions", empty, "--out", filepath.Join(dir, "o5"), "--keys", roster}, "--keys"},
		{[]string{"grade", "--out", filepath.Join(dir, "o6")}, "--roster"},
	} {
		res := kubelabCLI(t, "", tc.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, res.code, res.stderr, ExitUsage, tc.want)
		}
	}
}
