package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
)

const testVersion = "v0.9.1-rc.1"

// One release for the whole test run (built by the first test that needs
// it): five cross-builds take minutes on a busy machine, and every test
// reads the same files.
var (
	dist       string // the release directory
	minisignPK string // public key that verifies checksums.txt.minisig ("" without minisign)
	buildErr   error
	buildOnce  sync.Once
	tmpDir     string
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "kubelab-release-test-")
	if err != nil {
		panic(err)
	}
	dist = filepath.Join(tmp, "dist")
	tmpDir = tmp
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func buildTestRelease(tmp string) error {
	// -trimpath=false: a -trimpath build shares no compiled package with
	// the other builds of this machine (make lint cross-builds darwin and
	// windows without it), and a cold cross-build of client-go takes tens
	// of minutes on a busy 2-core machine. make release keeps -trimpath.
	args := []string{"-out", dist, "-version", testVersion, "-repo", "../..", "-trimpath=false",
		"-commit", "0123456789abcdef0123456789abcdef01234567", "-date", "2026-12-05T08:00:00Z"}
	// KUBELAB_RELEASE_TEST_PLATFORMS=linux/amd64 builds fewer platforms
	// for a quick local run; the checks of the others then report them
	// missing (a skip locally, a failure in CI).
	if p := os.Getenv("KUBELAB_RELEASE_TEST_PLATFORMS"); p != "" {
		args = append(args, "-platforms", p)
	}
	if _, err := exec.LookPath("minisign"); err == nil {
		// A key without a password (-W) made for this run only.
		pk, sk := filepath.Join(tmp, "test.pub"), filepath.Join(tmp, "test.key")
		if out, err := exec.Command("minisign", "-G", "-W", "-p", pk, "-s", sk).CombinedOutput(); err != nil {
			return fmt.Errorf("minisign -G: %v\n%s", err, out)
		}
		minisignPK = pk
		args = append(args, "-minisign-key", sk)
	}
	return run(args)
}

// needRelease builds the release on first use, so a run of the tests
// that need none (-run TestManifests) builds nothing.
func needRelease(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() { buildErr = buildTestRelease(tmpDir) })
	if buildErr != nil {
		t.Fatalf("building the release: %v", buildErr)
	}
}

var wantArchives = []string{
	"kubelab_" + testVersion + "_darwin_amd64.tar.gz",
	"kubelab_" + testVersion + "_darwin_arm64.tar.gz",
	"kubelab_" + testVersion + "_linux_amd64.tar.gz",
	"kubelab_" + testVersion + "_linux_arm64.tar.gz",
	"kubelab_" + testVersion + "_windows_amd64.zip",
}

// built says whether the release holds archive; when it does not (fewer
// platforms were asked for), the test reports it missing.
func built(t *testing.T, archive string) bool {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dist, archive)); err != nil {
		testenv.Missing(t, "%s not built (KUBELAB_RELEASE_TEST_PLATFORMS=%s)", archive, os.Getenv("KUBELAB_RELEASE_TEST_PLATFORMS"))
		return false
	}
	return true
}

// checksums reads checksums.txt into name -> hash.
func checksums(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		h, n, ok := strings.Cut(l, "  ")
		if !ok || len(h) != 64 {
			t.Fatalf("checksums.txt line %q is not sha256sum's format", l)
		}
		m[n] = h
	}
	return m
}

// TestChecksums: sha256sum -c checksums.txt passes in the release directory,
// and it lists exactly the five archives.
func TestChecksums(t *testing.T) {
	needRelease(t)
	sums := checksums(t)
	files, _ := filepath.Glob(filepath.Join(dist, "kubelab_*"))
	for _, f := range files {
		if sums[filepath.Base(f)] == "" {
			t.Errorf("checksums.txt has no %s", filepath.Base(f))
		}
	}
	if len(sums) != len(files) || len(files) == 0 {
		t.Errorf("checksums.txt lists %d files, the release has %d archives: %v", len(sums), len(files), sums)
	}
	if n := os.Getenv("KUBELAB_RELEASE_TEST_PLATFORMS"); n == "" && len(sums) != len(wantArchives) {
		t.Errorf("checksums.txt lists %d files, want %d", len(sums), len(wantArchives))
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		testenv.Missing(t, "sha256sum (coreutils)")
	}
	cmd := exec.Command("sha256sum", "-c", "checksums.txt")
	cmd.Dir = dist
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), ": OK"); n != len(sums) {
		t.Errorf("sha256sum -c said OK %d times:\n%s", n, out)
	}
}

// TestSignature: the minisign signature verifies with the public key, and
// no longer does after one byte of checksums.txt changed.
func TestSignature(t *testing.T) {
	needRelease(t)
	if minisignPK == "" {
		testenv.Missing(t, "minisign (Debian package minisign)")
	}
	verify := func(file string) ([]byte, error) {
		return exec.Command("minisign", "-V", "-p", minisignPK, "-m", file, "-x", filepath.Join(dist, "checksums.txt.minisig")).CombinedOutput()
	}
	sums := filepath.Join(dist, "checksums.txt")
	if out, err := verify(sums); err != nil {
		t.Fatalf("minisign -V of the release: %v\n%s", err, out)
	}
	b, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	b[10] ^= 0x01 // one bit of one hash digit
	changed := filepath.Join(t.TempDir(), "checksums.txt")
	if err := os.WriteFile(changed, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(changed); err == nil {
		t.Fatalf("minisign -V accepted a changed checksums.txt:\n%s", out)
	} else if !strings.Contains(string(out), "verification failed") {
		t.Errorf("minisign -V of a changed file said:\n%s", out)
	}
}

// archiveFiles reads a release archive into name -> contents.
func archiveFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		return files
	}
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "kubelab" && h.Mode&0o111 == 0 {
			t.Errorf("%s: kubelab has mode %o, not executable", name, h.Mode)
		}
		files[h.Name], err = io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestArchiveBinaries: each archive holds the binary, LICENSE and README.md,
// and the binary is the right format for its OS (ELF, Mach-O, PE) and the
// right architecture, so no student downloads a binary their machine
// cannot start.
func TestArchiveBinaries(t *testing.T) {
	needRelease(t)
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(license, []byte("Apache License")) || !bytes.Contains(license, []byte("END OF TERMS AND CONDITIONS")) {
		t.Fatal("LICENSE is not the Apache License 2.0 text")
	}
	for _, a := range wantArchives {
		t.Run(a, func(t *testing.T) {
			if built(t, a) {
				checkArchive(t, a, license)
			}
		})
	}
}

func checkArchive(t *testing.T, a string, license []byte) {
	{
		parts := strings.Split(strings.TrimSuffix(strings.TrimSuffix(a, ".zip"), ".tar.gz"), "_")
		goos, goarch := parts[2], parts[3]
		files := archiveFiles(t, a)
		exe := "kubelab"
		if goos == "windows" {
			exe = "kubelab.exe"
		}
		if len(files) != 3 || files[exe] == nil || files["README.md"] == nil {
			t.Errorf("%s holds %d files, want %s, LICENSE, README.md", a, len(files), exe)
		}
		if !bytes.Equal(files["LICENSE"], license) {
			t.Errorf("%s: LICENSE differs from the repository's", a)
		}
		bin := bytes.NewReader(files[exe])
		var got string
		switch goos {
		case "linux":
			f, err := elf.NewFile(bin)
			if err != nil {
				t.Errorf("%s: %s is not ELF: %v", a, exe, err)
				return
			}
			got = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
		case "darwin":
			f, err := macho.NewFile(bin)
			if err != nil {
				t.Errorf("%s: %s is not Mach-O: %v", a, exe, err)
				return
			}
			got = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
		case "windows":
			f, err := pe.NewFile(bin)
			if err != nil {
				t.Errorf("%s: %s is not PE: %v", a, exe, err)
				return
			}
			got = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
		}
		if got != goarch {
			t.Errorf("%s: binary is for %q, want %q", a, got, goarch)
		}
		if !bytes.Contains(files[exe], []byte(testVersion)) {
			t.Errorf("%s: the binary does not carry the version %s", a, testVersion)
		}
	}
}

// TestCaskAndScoopHashes: the Homebrew cask and the Scoop manifest name the
// archives and hashes of checksums.txt, and parse (ruby -c, JSON).
func TestCaskAndScoopHashes(t *testing.T) {
	needRelease(t)
	for _, a := range wantArchives {
		if strings.Contains(a, "_darwin_") || strings.Contains(a, "_windows_") {
			if !built(t, a) {
				return
			}
		}
	}
	sums := checksums(t)
	cask, err := os.ReadFile(filepath.Join(dist, "kubelab.rb"))
	if err != nil {
		t.Fatal(err)
	}
	urls := regexp.MustCompile(`url "([^"]+)"\s+sha256 "([0-9a-f]{64})"`).FindAllStringSubmatch(string(cask), -1)
	if len(urls) != 2 {
		t.Fatalf("cask has %d url/sha256 pairs, want 2 (arm, intel):\n%s", len(urls), cask)
	}
	for _, m := range urls {
		name := m[1][strings.LastIndex(m[1], "/")+1:]
		if !strings.Contains(name, "_darwin_") || sums[name] != m[2] {
			t.Errorf("cask: %s has sha256 %s, checksums.txt says %q", name, m[2], sums[name])
		}
	}
	if !strings.Contains(string(cask), `version "`+strings.TrimPrefix(testVersion, "v")+`"`) {
		t.Errorf("cask does not say version %s", testVersion)
	}
	if _, err := exec.LookPath("ruby"); err != nil {
		testenv.Missing(t, "ruby (to check the cask's syntax)")
	} else if out, err := exec.Command("ruby", "-c", filepath.Join(dist, "kubelab.rb")).CombinedOutput(); err != nil {
		t.Errorf("ruby -c kubelab.rb: %v\n%s", err, out)
	}

	var scoop struct {
		Version      string
		License      string
		Bin          string
		Architecture map[string]struct{ URL, Hash string }
	}
	b, err := os.ReadFile(filepath.Join(dist, "kubelab.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &scoop); err != nil {
		t.Fatalf("kubelab.json: %v", err)
	}
	a := scoop.Architecture["64bit"]
	name := a.URL[strings.LastIndex(a.URL, "/")+1:]
	if name != "kubelab_"+testVersion+"_windows_amd64.zip" || a.Hash != sums[name] {
		t.Errorf("scoop: %s hash %s, checksums.txt says %q", a.URL, a.Hash, sums[name])
	}
	if scoop.Bin != "kubelab.exe" || scoop.License != "Apache-2.0" || scoop.Version != strings.TrimPrefix(testVersion, "v") {
		t.Errorf("scoop manifest: %+v", scoop)
	}
}

var (
	krewOnce sync.Once
	krewBin  string
	krewErr  error
)

// krew builds kubectl-krew v0.4.3 from tools/krew (its own module, see
// tools/krew/go.mod) once per test run.
func krew(t *testing.T) string {
	t.Helper()
	krewOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kubelab-krew-")
		if err != nil {
			krewErr = err
			return
		}
		krewBin = filepath.Join(dir, "kubectl-krew")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", krewBin, "sigs.k8s.io/krew/cmd/krew")
		cmd.Dir = "../../tools/krew"
		if out, err := cmd.CombinedOutput(); err != nil {
			krewErr = fmt.Errorf("building krew: %v\n%s", err, out)
		}
	})
	if krewErr != nil {
		t.Fatal(krewErr)
	}
	return krewBin
}

// krewInstall runs krew install --manifest --archive with a fresh KREW_ROOT
// and returns that root, the output and the error.
func krewInstall(t *testing.T, manifest, archive string, env ...string) (string, string, error) {
	root := t.TempDir()
	cmd := exec.Command(krew(t), "install", "--manifest="+manifest, "--archive="+filepath.Join(dist, archive))
	cmd.Env = append(os.Environ(), append([]string{"KREW_ROOT=" + root, "KREW_NO_UPGRADE_CHECK=1"}, env...)...)
	out, err := cmd.CombinedOutput()
	return root, string(out), err
}

// TestKrewInstall: krew v0.4.3 installs the linux/amd64 archive from the
// release's manifest and `kubectl kubelab version` prints the release's
// version; with KREW_OS/KREW_ARCH each other platform's entry installs; a
// manifest with one wrong sha256 is refused.
func TestKrewInstall(t *testing.T) {
	needRelease(t)
	manifest := filepath.Join(dist, "kubelab.yaml")
	root, out, err := krewInstall(t, manifest, "kubelab_"+testVersion+"_linux_amd64.tar.gz", "KREW_OS=linux", "KREW_ARCH=amd64")
	if err != nil {
		t.Fatalf("krew install: %v\n%s", err, out)
	}
	plugin := filepath.Join(root, "bin", "kubectl-kubelab")
	got, err := exec.Command(plugin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(got), "kubelab "+testVersion+" (commit 0123456789abcdef") {
		t.Errorf("%s version: %v\n%s", plugin, err, got)
	}

	if help, err := exec.Command(plugin, "doctor", "--help").CombinedOutput(); err != nil || !strings.Contains(string(help), "kubectl kubelab doctor [flags]") {
		t.Errorf("%s doctor --help does not name the command as a kubectl plugin: %v\n%s", plugin, err, help)
	}

	t.Run("kubectl", func(t *testing.T) {
		if testing.Short() && os.Getenv("CI") == "" {
			t.Skip("-short: not building kubectl")
		}
		bins, err := simcluster.Binaries()
		if err != nil {
			testenv.Missing(t, "kubectl: %v", err)
		}
		cmd := exec.Command(filepath.Join(bins, "kubectl"), "kubelab", "version")
		cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		got, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(got), "kubelab "+testVersion+" ") {
			t.Errorf("kubectl kubelab version: %v\n%s", err, got)
		}
	})

	for _, p := range [][2]string{{"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}} {
		t.Run(p[0]+"/"+p[1], func(t *testing.T) {
			ext := ".tar.gz"
			bin := "kubectl-kubelab"
			if p[0] == "windows" {
				ext, bin = ".zip", "kubectl-kubelab.exe"
			}
			archive := "kubelab_" + testVersion + "_" + p[0] + "_" + p[1] + ext
			if !built(t, archive) {
				return
			}
			root, out, err := krewInstall(t, manifest, archive, "KREW_OS="+p[0], "KREW_ARCH="+p[1])
			if err != nil {
				t.Fatalf("krew install: %v\n%s", err, out)
			}
			if fi, err := os.Stat(filepath.Join(root, "bin", bin)); err != nil || fi.Size() < 1<<20 {
				t.Errorf("installed %s: %v", bin, err)
			}
		})
	}

	t.Run("wrong sha256", func(t *testing.T) {
		b, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		sum := checksums(t)["kubelab_"+testVersion+"_linux_amd64.tar.gz"]
		wrong := strings.Replace(string(b), sum, strings.Repeat("0", 64), 1)
		if wrong == string(b) {
			t.Fatal("the manifest does not hold checksums.txt's hash")
		}
		bad := filepath.Join(t.TempDir(), "kubelab.yaml")
		if err := os.WriteFile(bad, []byte(wrong), 0o644); err != nil {
			t.Fatal(err)
		}
		root, out, err := krewInstall(t, bad, "kubelab_"+testVersion+"_linux_amd64.tar.gz", "KREW_OS=linux", "KREW_ARCH=amd64")
		if err == nil {
			t.Fatalf("krew installed an archive whose sha256 does not match:\n%s", out)
		}
		if !strings.Contains(out, "sha256") {
			t.Errorf("krew refused, but not for the hash:\n%s", out)
		}
		if _, err := os.Lstat(filepath.Join(root, "bin", "kubectl-kubelab")); err == nil {
			t.Errorf("kubectl-kubelab exists after a refused install")
		}
	})
}
