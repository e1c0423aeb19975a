package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/testenv"
)

// TestManifestsFromChecksums: with every platform's hash given (no build
// needed), the cask names both macOS archives with their hashes and parses
// as Ruby, Scoop's JSON has the Windows hash, and the krew manifest has one
// entry per platform with its hash and binary.
func TestManifestsFromChecksums(t *testing.T) {
	r, err := config{Out: t.TempDir(), Version: "v1.2.3", Commit: "abc", Date: "2026-12-05T08:00:00Z", Platforms: defaultPlatforms, Repo: "../.."}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, p := range r.platforms {
		h := sha256.Sum256([]byte(p.OS + p.Arch))
		sums[r.archiveName(p)] = hex.EncodeToString(h[:])
	}
	cask := r.homebrewCask(sums)
	m := regexp.MustCompile(`url "[^"]+/(kubelab_v1\.2\.3_darwin_(arm64|amd64)\.tar\.gz)"\s+sha256 "([0-9a-f]{64})"`).FindAllStringSubmatch(cask, -1)
	if len(m) != 2 || m[0][2] != "arm64" || m[1][2] != "amd64" {
		t.Fatalf("cask:\n%s", cask)
	}
	for _, x := range m {
		if sums[x[1]] != x[3] {
			t.Errorf("cask: %s has %s, want %s", x[1], x[3], sums[x[1]])
		}
	}
	if _, err := exec.LookPath("ruby"); err != nil {
		testenv.Missing(t, "ruby")
	} else {
		f := filepath.Join(t.TempDir(), "kubelab.rb")
		if err := os.WriteFile(f, []byte(cask), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ruby", "-c", f).CombinedOutput(); err != nil {
			t.Errorf("ruby -c: %v\n%s\n%s", err, out, cask)
		}
	}
	var scoop struct {
		Version      string
		Architecture map[string]struct{ URL, Hash string }
	}
	if err := json.Unmarshal([]byte(r.scoopManifest(sums)), &scoop); err != nil {
		t.Fatal(err)
	}
	win := "kubelab_v1.2.3_windows_amd64.zip"
	if a := scoop.Architecture["64bit"]; a.Hash != sums[win] || !strings.HasSuffix(a.URL, "/v1.2.3/"+win) || scoop.Version != "1.2.3" {
		t.Errorf("scoop: %+v", scoop)
	}
	krew := r.krewManifest(sums)
	for _, p := range r.platforms {
		entry := "os: " + p.OS + "\n        arch: " + p.Arch + "\n    uri: \"https://github.com/kubelab/kubelab/releases/download/v1.2.3/" + r.archiveName(p) + "\"\n    sha256: " + sums[r.archiveName(p)]
		if !strings.Contains(krew, entry) || !strings.Contains(krew, "bin: "+p.exe()) {
			t.Errorf("krew manifest has no entry for %s/%s:\n%s", p.OS, p.Arch, krew)
		}
	}
}

// TestVersionRefused: krew refuses a version that is not vMAJOR.MINOR.PATCH,
// so the release program refuses it first.
func TestVersionRefused(t *testing.T) {
	for _, v := range []string{"1.2.3", "v1.2", "bff923c-dirty", "v01.2.3"} {
		if _, err := (config{Version: v, Commit: "abc", Date: "2026-12-05T08:00:00Z", Platforms: defaultPlatforms}).resolve(); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}
