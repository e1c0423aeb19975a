package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The platforms students run kubelab on (lab PCs and their own laptops).
// Windows on arm64 is left out until someone asks: krew and Scoop would
// need a second Windows entry nobody can test here.
const defaultPlatforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64"

const (
	module   = "github.com/kubelab/kubelab"
	repoURL  = "https://github.com/kubelab/kubelab"
	shortDoc = "Kubernetes lab runner and auto-grader for students"
)

type config struct {
	Out, Version, Commit, Date, BaseURL, MinisignKey, Platforms, Repo string
	Trimpath                                                          bool
}

// release is a config with every default filled in.
type release struct {
	config
	date      time.Time
	platforms []platform
}

type platform struct{ OS, Arch string }

func (p platform) exe() string {
	if p.OS == "windows" {
		return "kubelab.exe"
	}
	return "kubelab"
}

// archiveName is the file a platform's archive is published as:
// kubelab_v0.3.0_linux_amd64.tar.gz, kubelab_v0.3.0_windows_amd64.zip.
func (r *release) archiveName(p platform) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubelab_%s_%s_%s%s", r.Version, p.OS, p.Arch, ext)
}

// semver is what krew accepts as a plugin version (k8s.io/apimachinery's
// ParseSemantic with a leading v); Homebrew and Scoop accept it too.
var semver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func (c config) resolve() (*release, error) {
	r := &release{config: c}
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = c.Repo
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	if r.Commit == "" {
		s, err := git("rev-parse", "HEAD")
		if err != nil {
			return nil, fmt.Errorf("git rev-parse HEAD: %v (give -commit)", err)
		}
		r.Commit = s
	}
	if r.Version == "" {
		// A tagged commit releases as its tag; anything else is a
		// development build whose version still sorts below v0.0.1.
		if s, err := git("describe", "--tags", "--exact-match"); err == nil && semver.MatchString(s) {
			r.Version = s
		} else {
			r.Version = "v0.0.0-dev+g" + short(r.Commit)
		}
	}
	if !semver.MatchString(r.Version) {
		return nil, fmt.Errorf("-version %q is not vMAJOR.MINOR.PATCH[-PRE][+BUILD] (krew refuses it)", r.Version)
	}
	if r.Date == "" {
		// The commit's date rather than now: two builds of one commit
		// give the same archives, so anyone can check ours.
		s, err := git("show", "-s", "--format=%cI", r.Commit)
		if err != nil {
			return nil, fmt.Errorf("date of commit %s: %v (give -date)", r.Commit, err)
		}
		r.Date = s
	}
	d, err := time.Parse(time.RFC3339, r.Date)
	if err != nil {
		return nil, fmt.Errorf("-date %q: %v", r.Date, err)
	}
	r.date = d.UTC()
	r.Date = r.date.Format(time.RFC3339)
	if r.BaseURL == "" {
		r.BaseURL = repoURL + "/releases/download/" + r.Version
	}
	r.BaseURL = strings.TrimSuffix(r.BaseURL, "/")
	for _, s := range strings.Split(r.Platforms, ",") {
		os_, arch, ok := strings.Cut(strings.TrimSpace(s), "/")
		if !ok || os_ == "" || arch == "" {
			return nil, fmt.Errorf("-platforms: %q is not GOOS/GOARCH", s)
		}
		r.platforms = append(r.platforms, platform{os_, arch})
	}
	return r, nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// build writes the whole release into r.Out, which it empties first so no
// archive of an earlier version is signed by mistake.
func (r *release) build(log io.Writer) error {
	if err := os.RemoveAll(r.Out); err != nil {
		return err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return err
	}
	license, err := os.ReadFile(filepath.Join(r.Repo, "LICENSE"))
	if err != nil {
		return fmt.Errorf("every archive carries LICENSE (krew's index requires it): %v", err)
	}
	readme, err := os.ReadFile(filepath.Join(r.Repo, "README.md"))
	if err != nil {
		return err
	}
	sums := map[string]string{} // archive name -> sha256 hex
	for _, p := range r.platforms {
		fmt.Fprintf(log, "building %s/%s\n", p.OS, p.Arch)
		bin, err := r.compile(p)
		if err != nil {
			return err
		}
		files := []archiveFile{
			{Name: p.exe(), Mode: 0o755, Data: bin},
			{Name: "LICENSE", Mode: 0o644, Data: license},
			{Name: "README.md", Mode: 0o644, Data: readme},
		}
		var buf bytes.Buffer
		if p.OS == "windows" {
			err = writeZip(&buf, files, r.date)
		} else {
			err = writeTarGz(&buf, files, r.date)
		}
		if err != nil {
			return err
		}
		name := r.archiveName(p)
		if err := os.WriteFile(filepath.Join(r.Out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		h := sha256.Sum256(buf.Bytes())
		sums[name] = hex.EncodeToString(h[:])
	}
	if err := os.WriteFile(filepath.Join(r.Out, "checksums.txt"), []byte(checksumsFile(sums)), 0o644); err != nil {
		return err
	}
	for name, text := range map[string]string{
		"kubelab.yaml": r.krewManifest(sums),
		"kubelab.rb":   r.homebrewCask(sums),
		"kubelab.json": r.scoopManifest(sums),
	} {
		if err := os.WriteFile(filepath.Join(r.Out, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	if r.MinisignKey == "" {
		fmt.Fprintln(log, "checksums.txt NOT signed: give -minisign-key (or KUBELAB_MINISIGN_KEY) for a release students can verify")
		return nil
	}
	return r.sign(log)
}

// compile cross-builds kubelab for p and returns the binary. CGO is off so
// one Linux machine builds every platform, -trimpath keeps the builder's
// paths out, and -s -w drops the symbol tables students never use.
func (r *release) compile(p platform) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "kubelab-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, p.exe())
	ldflags := strings.Join([]string{
		"-s", "-w",
		"-X", module + "/report.Version=" + r.Version,
		"-X", "main.commit=" + r.Commit,
		"-X", "main.date=" + r.Date,
	}, " ")
	args := []string{"build", "-ldflags", ldflags, "-o", out, "./cmd/kubelab"}
	if r.Trimpath {
		args = append(args[:1], append([]string{"-trimpath"}, args[1:]...)...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = r.Repo
	cmd.Env = append(os.Environ(), "GOOS="+p.OS, "GOARCH="+p.Arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build for %s/%s: %v\n%s", p.OS, p.Arch, err, b)
	}
	return os.ReadFile(out)
}

// sign writes checksums.txt.minisig beside checksums.txt with minisign, the
// tool students verify with (packaged for Debian, Homebrew and Scoop).
// Signing checksums.txt signs every archive through its hash.
func (r *release) sign(log io.Writer) error {
	sums := filepath.Join(r.Out, "checksums.txt")
	cmd := exec.Command("minisign", "-S", "-s", r.MinisignKey, "-m", sums,
		"-t", "kubelab "+r.Version+" checksums, commit "+r.Commit)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("minisign -S: %v", err)
	}
	fmt.Fprintln(log, "signed checksums.txt -> checksums.txt.minisig")
	return nil
}

type archiveFile struct {
	Name string
	Mode int64
	Data []byte
}

// writeTarGz writes files at the top of a gzipped tar with fixed owner and
// times, so the archive (and its hash) depends on the contents alone.
func writeTarGz(w io.Writer, files []archiveFile, mtime time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: f.Mode, Size: int64(len(f.Data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, files []archiveFile, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(f.Mode))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// checksumsFile is sha256sum's own format ("HASH  NAME"), sorted by name, so
// `sha256sum -c checksums.txt` checks the download.
func checksumsFile(sums map[string]string) string {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return b.String()
}

// krewManifest is the plugin manifest of krew v0.4.3 (index.krew.dev,
// apiVersion v1alpha2). The plugin is "kubelab" ("check" is taken in the
// index); krew links kubectl-kubelab to the binary named by bin.
func (r *release) krewManifest(sums map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: kubelab
spec:
  version: %s
  homepage: %s
  shortDescription: %s
  description: |
    kubelab teaches a beginner Kubernetes lab step by step (in Bahasa
    Indonesia and English) and checks the student's work on their own
    cluster and Docker Hub image: kubectl kubelab lab show, then
    kubectl kubelab check --image USER/IMAGE. It only reads the cluster.
  caveats: |
    Start with:
      kubectl kubelab doctor
      kubectl kubelab lab show
  platforms:
`, yamlString(r.Version), yamlString(repoURL), yamlString(shortDoc))
	for _, p := range r.platforms {
		name := r.archiveName(p)
		fmt.Fprintf(&b, `  - selector:
      matchLabels:
        os: %s
        arch: %s
    uri: %s
    sha256: %s
    files:
    - from: %s
      to: .
    - from: LICENSE
      to: .
    bin: %s
`, p.OS, p.Arch, yamlString(r.BaseURL+"/"+name), sums[name], p.exe(), p.exe())
	}
	return b.String()
}

// yamlString quotes s as a YAML double-quoted scalar; strconv's escapes are
// a subset of YAML's for the printable ASCII a version or URL holds.
func yamlString(s string) string { return strconv.Quote(s) }

// homebrewCask is a cask for macOS (Homebrew's tap for binaries a
// project builds itself): one archive for Apple silicon, one for Intel.
func (r *release) homebrewCask(sums map[string]string) string {
	var arm, intel string
	for _, p := range r.platforms {
		if p.OS != "darwin" {
			continue
		}
		name := r.archiveName(p)
		block := fmt.Sprintf("    url %s\n    sha256 %s\n", rubyString(r.BaseURL+"/"+name), rubyString(sums[name]))
		switch p.Arch {
		case "arm64":
			arm = "  on_arm do\n" + block + "  end\n"
		case "amd64":
			intel = "  on_intel do\n" + block + "  end\n"
		}
	}
	return fmt.Sprintf(`# Homebrew cask for kubelab %s, written by cmd/kubelab-release from
# checksums.txt. brew install --cask ./kubelab.rb (or from a tap).
cask "kubelab" do
  version %s

%s%s
  name "kubelab"
  desc %s
  homepage %s

  binary "kubelab"
end
`, r.Version, rubyString(strings.TrimPrefix(r.Version, "v")), arm, intel, rubyString(shortDoc), rubyString(repoURL))
}

// rubyString quotes s for Ruby; only printable ASCII without quotes,
// backslashes or #{ reaches here (versions, URLs, hex).
func rubyString(s string) string {
	if strings.ContainsAny(s, "\"\\#") {
		panic("rubyString: unexpected character in " + s)
	}
	return `"` + s + `"`
}

// scoopManifest is a Scoop app manifest for Windows on amd64.
func (r *release) scoopManifest(sums map[string]string) string {
	arch := ""
	for _, p := range r.platforms {
		if p.OS == "windows" && p.Arch == "amd64" {
			name := r.archiveName(p)
			arch = fmt.Sprintf(`  "architecture": {
    "64bit": {
      "url": %s,
      "hash": %s
    }
  },
`, strconv.Quote(r.BaseURL+"/"+name), strconv.Quote(sums[name]))
		}
	}
	return fmt.Sprintf(`{
  "version": %s,
  "description": %s,
  "homepage": %s,
  "license": "Apache-2.0",
%s  "bin": "kubelab.exe"
}
`, strconv.Quote(strings.TrimPrefix(r.Version, "v")), strconv.Quote(shortDoc), strconv.Quote(repoURL), arch)
}
