package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileFlag: --profile writes a gzipped pprof profile of the run,
// also when the command fails; a wrong profile name or an unwritable path
// is a usage error before any work is done.
func TestProfileFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		profile string
		args    []string
		code    int
	}{
		{"cpu", []string{"report", "render", fixturePath("correct.json"), "-o", "json", "--output-file", filepath.Join(dir, "r.json")}, ExitOK},
		{"heap", []string{"report", "render", fixturePath("correct.json"), "-o", "html", "--output-file", filepath.Join(dir, "r.html")}, ExitOK},
		{"allocs", []string{"report", "render", filepath.Join(dir, "missing.json")}, ExitUsage},
	} {
		out := filepath.Join(dir, tc.profile+".pprof")
		res := kubelabCLI(t, "", append([]string{"--profile", tc.profile, "--profile-output", out}, tc.args...)...)
		if res.code != tc.code {
			t.Fatalf("--profile %s: exit %d, want %d; stderr %q", tc.profile, res.code, tc.code, res.stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatalf("--profile %s wrote no file: %v", tc.profile, err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("--profile %s: not a gzipped pprof file: %v", tc.profile, err)
		}
		data, err := io.ReadAll(zr)
		f.Close()
		// A pprof profile is a protocol buffer naming its sample types.
		if err != nil || !bytes.Contains(data, []byte("nanoseconds")) && !bytes.Contains(data, []byte("bytes")) {
			t.Errorf("--profile %s: %d bytes, err %v; not a profile", tc.profile, len(data), err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "trace", "version"}, `--profile "trace": use one of [none cpu heap allocs goroutine]`},
		{[]string{"--profile", "heap", "--profile-output", filepath.Join(dir, "no", "such", "p"), "version"}, "--profile-output: open " + filepath.Join(dir, "no", "such", "p")},
	} {
		res := kubelabCLI(t, "", tc.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) || res.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tc.args, res.code, res.stdout, res.stderr, ExitUsage, tc.want)
		}
	}
}
