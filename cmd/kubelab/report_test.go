package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/testenv"

	"github.com/kubelab/kubelab/report"
)

// cliResult is what a user sees from one kubelab command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// kubelabCLI runs the real command line (run in main.go) with stdin, and
// captures standard output and error in buffers: no global stream is
// swapped, so tests calling it run in parallel.
func kubelabCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"--lang", "en"}, args...), strings.NewReader(stdin), &out, &errb)
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

func fixturePath(name string) string {
	return filepath.Join("..", "..", "report", "testdata", name)
}

// TestReportRenderCLI: `kubelab report render` writes, for every format,
// exactly the golden file the report package approved for the same real
// run; bad input is exit code 2 with a message.
func TestReportRenderCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range report.FormatNames() {
		out := filepath.Join(dir, "report."+f)
		res := kubelabCLI(t, "", "report", "render", fixturePath("mistakes.json"), "-o", f, "--output-file", out, "--lesson-url", "lesson.html", "--evidence")
		if res.code != ExitOK || res.stdout != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", f, res.code, res.stdout, res.stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(fixturePath("mistakes." + f + ".golden"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("report render -o %s differs from report/testdata/mistakes.%s.golden", f, f)
		}
	}
	// From standard input, to standard output.
	saved, _ := os.ReadFile(fixturePath("correct.json"))
	res := kubelabCLI(t, string(saved), "report", "render", "-", "-o", "json")
	if res.code != ExitOK || res.stdout != string(saved) {
		t.Errorf("render - -o json: exit %d, output equal: %v, stderr %q", res.code, res.stdout == string(saved), res.stderr)
	}
	html := kubelabCLI(t, "", "report", "render", fixturePath("correct.json"))
	if html.code != ExitOK || !strings.HasPrefix(html.stdout, "<!doctype html>") || !strings.Contains(html.stdout, `id="score">95/95<`) {
		t.Errorf("render defaults to html: exit %d, %.80q", html.code, html.stdout)
	}

	notReport := filepath.Join(dir, "x.json")
	os.WriteFile(notReport, []byte(`{"schema":"kubelab.report/v1","score":"lots"}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "render", fixturePath("correct.json"), "-o", "pdf"}, "use one of text, json, html, junit, markdown, gradescope, csv"},
		{[]string{"report", "render", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"report", "render", notReport}, "not a valid kubelab report"},
		{[]string{"report", "show", notReport}, "missing required member"},
	} {
		res := kubelabCLI(t, "", tc.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, res.code, res.stderr, ExitUsage, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report.pdf")); err == nil {
		t.Error("a failed render left a file")
	}
}

// TestReportShowCLI: `kubelab report show` prints the report as check does.
func TestReportShowCLI(t *testing.T) {
	t.Parallel()
	res := kubelabCLI(t, "", "report", "show", fixturePath("mistakes.json"))
	want, _ := os.ReadFile(fixturePath("mistakes.text.golden"))
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	// The golden has evidence; show without --evidence prints the rest.
	for _, line := range strings.Split(string(want), "\n") {
		if strings.Contains(line, "66/95") || strings.Contains(line, "pods.running") && strings.Contains(line, "gagal") {
			if !strings.Contains(res.stdout, line) {
				t.Errorf("show lacks %q", line)
			}
		}
	}
	if !strings.Contains(res.stdout, "Belum lulus") {
		t.Errorf("show does not say the lab is not passed:\n%s", res.stdout)
	}
}

// TestKeysGenerateCLI: a key pair in PEM, the private key 0600, the key id
// printed is the public key's; an existing key is never overwritten
// without --force.
func TestKeysGenerateCLI(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	res := kubelabCLI(t, "", "keys", "generate", "--out", dir)
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	m := regexp.MustCompile(`key id:\s+([0-9a-f]{16})\n`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no key id printed:\n%s", res.stdout)
	}
	priv, pub := filepath.Join(dir, "kubelab.key"), filepath.Join(dir, "kubelab.pub")
	st, err := os.Stat(priv)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key %v mode %v, want 0600", err, st.Mode())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", st.Mode().Perm())
	}
	pkData, _ := os.ReadFile(pub)
	pk, err := report.ParsePublicKey(pkData)
	if err != nil {
		t.Fatal(err)
	}
	skData, _ := os.ReadFile(priv)
	sk, err := report.ParsePrivateKey(skData)
	if err != nil || !pk.Equal(sk.Public()) {
		t.Fatalf("private key does not match the public key: %v", err)
	}
	if report.KeyID(pk) != m[1] {
		t.Errorf("printed key id %s, the public key's is %s", m[1], report.KeyID(pk))
	}
	if !strings.Contains(res.stdout, "kubelab report verify report.json --pubkey "+pub) {
		t.Errorf("no verify example:\n%s", res.stdout)
	}

	again := kubelabCLI(t, "", "keys", "generate", "--out", dir)
	if again.code != ExitUsage || !strings.Contains(again.stderr, "exists") {
		t.Errorf("second generate: exit %d, %q", again.code, again.stderr)
	}
	if now, _ := os.ReadFile(priv); !bytes.Equal(now, skData) {
		t.Fatal("the private key was overwritten")
	}
	forced := kubelabCLI(t, "", "keys", "generate", "--out", dir, "--force")
	if forced.code != ExitOK || strings.Contains(forced.stdout, m[1]) {
		t.Errorf("--force: exit %d, same key id: %v", forced.code, strings.Contains(forced.stdout, m[1]))
	}
	if st, _ := os.Stat(priv); st.Mode().Perm() != 0o600 {
		t.Errorf("forced private key mode %v", st.Mode().Perm())
	}
}

// TestReportVerifyCLI: valid (exit 0) with key id and fingerprint printed;
// one byte changed: ALTERED (exit 1); unsigned (exit 1); another key's
// signature (exit 1); no --pubkey or a bad key: exit 2.
func TestReportVerifyCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if res := kubelabCLI(t, "", "keys", "generate", "--out", dir); res.code != 0 {
		t.Fatal(res.stderr)
	}
	if res := kubelabCLI(t, "", "keys", "generate", "--out", dir, "--name", "other"); res.code != 0 {
		t.Fatal(res.stderr)
	}
	skData, _ := os.ReadFile(filepath.Join(dir, "kubelab.key"))
	sk, _ := report.ParsePrivateKey(skData)
	pub := filepath.Join(dir, "kubelab.pub")
	r, err := report.ReadFile(fixturePath("correct.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Sign(r, sk); err != nil {
		t.Fatal(err)
	}
	signed, _ := report.JSON(r)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("signed.json", signed)

	res := kubelabCLI(t, "", "report", "verify", good, "--pubkey", pub)
	keyID := r.Signature.KeyID
	if res.code != ExitOK || !strings.HasPrefix(res.stdout, "valid: the report is intact and signed by key "+keyID) ||
		!strings.Contains(res.stdout, "fingerprint: cluster "+r.Fingerprint.Cluster+"\n") ||
		!strings.Contains(res.stdout, "@ "+r.Fingerprint.ImageDigest+"\n") || !strings.Contains(res.stdout, "score 95/95 (5 points not graded), passed\n") {
		t.Errorf("valid report: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// The public key given as base64 on the command line works too.
	if res := kubelabCLI(t, "", "report", "verify", good, "--pubkey", r.Signature.PublicKey); res.code != ExitOK {
		t.Errorf("--pubkey BASE64: exit %d %s", res.code, res.stdout+res.stderr)
	}

	altered := write("altered.json", bytes.Replace(signed, []byte(`"score": 95,`), []byte(`"score": 99,`), 1))
	res = kubelabCLI(t, "", "report", "verify", altered, "--pubkey", pub)
	if res.code != ExitNotPassed || !strings.HasPrefix(res.stdout, "ALTERED: ") || !strings.Contains(res.stdout, keyID) || !strings.Contains(res.stdout, "(unverified)") {
		t.Errorf("altered report: exit %d\n%s", res.code, res.stdout)
	}

	unsigned, _ := os.ReadFile(fixturePath("correct.json"))
	res = kubelabCLI(t, "", "report", "verify", write("unsigned.json", unsigned), "--pubkey", pub)
	if res.code != ExitNotPassed || !strings.HasPrefix(res.stdout, "unsigned: ") || !strings.Contains(res.stdout, "fingerprint: cluster sha256:") {
		t.Errorf("unsigned report: exit %d\n%s", res.code, res.stdout)
	}

	res = kubelabCLI(t, "", "report", "verify", good, "--pubkey", filepath.Join(dir, "other.pub"))
	if res.code != ExitNotPassed || !strings.HasPrefix(res.stdout, "NOT TRUSTED: ") {
		t.Errorf("other key: exit %d\n%s", res.code, res.stdout)
	}

	for _, args := range [][]string{
		{"report", "verify", good},
		{"report", "verify", good, "--pubkey", filepath.Join(dir, "kubelab.key")},
		{"report", "verify", filepath.Join(dir, "none.json"), "--pubkey", pub},
	} {
		if res := kubelabCLI(t, "", args...); res.code != ExitUsage || res.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d with a message", args, res.code, res.stderr, ExitUsage)
		}
	}
}

// TestCheckSignCLI: `kubelab check --sign` writes a signed JSON report
// even when the environment fails (exit 3), and `report verify` accepts
// it; bad -o and a missing key stop before grading with exit 2.
func TestCheckSignCLI(t *testing.T) {
	t.Setenv("KUBELAB_ALLOW_NETS", "127.0.0.0/8")
	dir := t.TempDir()
	if res := kubelabCLI(t, "", "keys", "generate", "--out", dir); res.code != 0 {
		t.Fatal(res.stderr)
	}
	kubeconfig := testenv.DeadKubeconfig(t)
	out := filepath.Join(dir, "report.json")
	common := []string{"check", "--image", "127.0.0.1:1/budi/hello-flask", "--insecure-registry", "--kubeconfig", kubeconfig,
		"--no-run", "--timeout", "20s", "--cache-dir", filepath.Join(dir, "cache"), "--student-id", "2201234", "--name", "Budi"}

	res := kubelabCLI(t, "", append(common, "--sign", filepath.Join(dir, "kubelab.key"), "-o", "json", "--output-file", out)...)
	if res.code != ExitEnv {
		t.Fatalf("check against a dead cluster: exit %d, want %d (environment): %s", res.code, ExitEnv, res.stderr)
	}
	r, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Signature == nil || r.Fingerprint == nil || r.Fingerprint.Cluster != "" || r.Target.Namespace != "default" || r.Student.ID != "2201234" {
		t.Errorf("signed report: signature %v fingerprint %+v target %+v", r.Signature, r.Fingerprint, r.Target)
	}
	v := kubelabCLI(t, "", "report", "verify", out, "--pubkey", filepath.Join(dir, "kubelab.pub"))
	if v.code != ExitOK || !strings.Contains(v.stdout, "fingerprint: cluster not recorded") {
		t.Errorf("verify the report check signed: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(common, "-o", "yaml"), `-o "yaml": use one of text, json, html, junit, markdown, gradescope, csv`},
		{append(common, "--sign", filepath.Join(dir, "missing.key")), "--sign: "},
		{append(common, "--sign", filepath.Join(dir, "kubelab.pub")), "not a PKCS #8"},
	} {
		res := kubelabCLI(t, "", tc.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) || res.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tc.args[len(tc.args)-2:], res.code, res.stdout, res.stderr, ExitUsage, tc.want)
		}
	}
}

// TestReportCommandsHaveHelp: every new command has examples in --help.
func TestReportCommandsHaveHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"report"}, {"report", "render"}, {"report", "show"}, {"report", "verify"}, {"keys"}, {"keys", "generate"}, {"check"}} {
		res := kubelabCLI(t, "", append(args, "--help")...)
		if res.code != ExitOK || !strings.Contains(res.stdout, "Examples:\n  kubelab "+args[0]) {
			t.Errorf("%v --help: exit %d, no examples:\n%s", args, res.code, res.stdout)
		}
	}
}

// write writes a test file (grade_test.go uses it too).
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
