package report_test

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubelab/kubelab/report"
)

// FuzzRead: report.Read reads what students hand in. Any input gives a
// report or an error, never a panic; a report it accepts writes back to JSON
// that it reads again to the same bytes, and renders in every format.
func FuzzRead(f *testing.F) {
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"schema":"kubelab.report/v1"}`,
		`{"schema":"kubelab.report/v2"}`,
		`{"schema":"kubelab.report/v1","checks":[{"status":"pass","points":1e308}]}`,
		`{"schema":"kubelab.report/v1","score":-0,"counts":{"pass":-1}}`,
		"\xef\xbb\xbf{\"schema\":\"kubelab.report/v1\"}",
		`[1,2,3]`, `null`, `"x"`, ``, `{"schema":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Read(data)
		if err != nil {
			if r != nil {
				t.Fatal("a report and an error")
			}
			return
		}
		b, err := report.JSON(r)
		if err != nil {
			t.Fatalf("an accepted report does not write back: %v", err)
		}
		r2, err := report.Read(b)
		if err != nil {
			t.Fatalf("an accepted report, written back, is refused: %v\n%s", err, b)
		}
		b2, err := report.JSON(r2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("JSON -> Read -> JSON changed the bytes (%v)", err)
		}
		for _, format := range report.FormatNames() {
			var out bytes.Buffer
			_ = report.Render(&out, format, r, report.RenderOptions{})
		}
	})
}

// FuzzVerify: a forged report never verifies. The seed is a report signed
// with a key the test trusts; whatever the fuzzer makes of it, Verify says
// valid only for the very bytes that were signed (line endings and trailing
// white space aside), and never panics.
func FuzzVerify(f *testing.F) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	data, err := os.ReadFile(filepath.Join("testdata", "correct.json"))
	if err != nil {
		f.Fatal(err)
	}
	r, err := report.Read(data)
	if err != nil {
		f.Fatal(err)
	}
	if err := report.Sign(r, key); err != nil {
		f.Fatal(err)
	}
	signed, err := report.JSON(r)
	if err != nil {
		f.Fatal(err)
	}
	if v, err := report.Verify(signed, []ed25519.PublicKey{pub}); err != nil || v.Status != report.Valid {
		f.Fatalf("the seed does not verify: %v %v", v.Status, err)
	}
	f.Add(signed)
	f.Add(bytes.Replace(signed, []byte(`"score": 100`), []byte(`"score": 1000`), 1))
	f.Add(bytes.ReplaceAll(signed, []byte("\n"), []byte("\r\n")))
	f.Add(data)
	norm := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		return bytes.TrimRight(b, " \t\r\n")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := report.Verify(data, []ed25519.PublicKey{pub})
		if err != nil {
			return
		}
		if v.Status == report.Valid && !bytes.Equal(norm(data), norm(signed)) {
			t.Fatalf("a changed report verifies as valid:\n%s", data)
		}
	})
}
