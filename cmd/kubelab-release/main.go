// Command kubelab-release builds kubelab's release: the binaries for the
// platforms students use, each in a versioned archive with LICENSE and
// README, checksums.txt, a minisign signature of it, and the manifests of
// the package managers students install from (krew, Homebrew, Scoop), all
// written from the same checksums so no hash is ever copied by hand.
//
//	go run ./cmd/kubelab-release -out dist -version v0.3.0 -minisign-key ~/.minisign/kubelab.key
//
// It uses the standard library only and shells out to the go command and
// minisign: goreleaser would do this too, but its module is not served here
// as an approved release, and the whole job is a few hundred lines.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kubelab-release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("kubelab-release", flag.ContinueOnError)
	c := config{}
	fs.StringVar(&c.Out, "out", envOr("RELEASE_DIR", "dist"), "directory to write the release into (emptied first)")
	fs.StringVar(&c.Version, "version", "", "release version, vMAJOR.MINOR.PATCH (default: git describe --tags; v0.0.0-dev+gCOMMIT when HEAD has no tag)")
	fs.StringVar(&c.Commit, "commit", "", "commit the binaries name (default: git rev-parse HEAD)")
	fs.StringVar(&c.Date, "date", "", "build date, RFC 3339 (default: the commit's date, so a rebuild is byte-identical)")
	fs.StringVar(&c.BaseURL, "base-url", "", "where the archives will be downloaded from (default: the GitHub release page of -version)")
	fs.StringVar(&c.MinisignKey, "minisign-key", os.Getenv("KUBELAB_MINISIGN_KEY"), "minisign secret key that signs checksums.txt; without it the release is unsigned (and says so)")
	fs.StringVar(&c.Platforms, "platforms", defaultPlatforms, "comma-separated GOOS/GOARCH list to build")
	fs.BoolVar(&c.Trimpath, "trimpath", true, "build with -trimpath (reproducible; the tests turn it off to share the go build cache with make lint)")
	fs.StringVar(&c.Repo, "repo", ".", "the kubelab repository (where go.mod, LICENSE and README.md are)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	r, err := c.resolve()
	if err != nil {
		return err
	}
	return r.build(os.Stderr)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
