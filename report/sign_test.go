package report_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/goldentest"
	"github.com/kubelab/kubelab/report"
)

func signedFixture(t *testing.T) ([]byte, ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := report.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r := readFixture(t, "correct")
	if err := report.Sign(r, priv); err != nil {
		t.Fatal(err)
	}
	b, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b, pub, priv
}

// TestSignVerify: a signed report verifies with its key; its signature is
// the documented one (ed25519 over the JSON without the signature member,
// key id = 16 hex of sha256(public key)).
func TestSignVerify(t *testing.T) {
	data, pub, _ := signedFixture(t)
	v, err := report.Verify(data, []ed25519.PublicKey{pub})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pub)
	if v.Status != report.Valid || v.KeyID != hex.EncodeToString(sum[:])[:16] {
		t.Fatalf("verify = %+v, want valid with key id %x", v, sum[:8])
	}
	// Recompute the signature from the documented recipe, by hand.
	s := string(data)
	i := strings.Index(s, ",\n  \"signature\": {")
	if i < 0 || !strings.HasSuffix(s, "\"\n  }\n}\n") {
		t.Fatalf("signature is not the last member:\n%s", s[len(s)-300:])
	}
	canonical := s[:i] + "\n}\n"
	unsigned, _ := report.JSON(readFixture(t, "correct"))
	if canonical != string(unsigned) {
		t.Fatalf("the file minus its signature member is not the unsigned report:\n%s", goldentest.Diff(string(unsigned), canonical))
	}
	var doc struct {
		Signature report.Signature `json:"signature"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(doc.Signature.Value)
	if doc.Signature.Algorithm != "ed25519" || doc.Signature.PublicKey != base64.StdEncoding.EncodeToString(pub) || !ed25519.Verify(pub, []byte(canonical), sig) {
		t.Errorf("signature %+v does not verify over the canonical bytes", doc.Signature)
	}
}

// TestVerifyAltered: changing any one character of the content, or the
// signature, is caught.
func TestVerifyAltered(t *testing.T) {
	data, pub, _ := signedFixture(t)
	trusted := []ed25519.PublicKey{pub}
	cases := []struct{ name, old, new string }{
		{"score", `"score": 95,`, `"score": 96,`},
		{"student", `"name": "Budi Santoso"`, `"name": "Budi Santosa"`},
		{"a check's status", `"status": "skipped"`, `"status": "pass"`},
		{"passed", `"passed": true`, `"passed": false`},
		{"image digest", `"image_digest": "sha256:0`, `"image_digest": "sha256:1`},
		{"signature", `"value": "`, `"value": "A`},
		{"key id", `"key_id": "`, `"key_id": "0`},
		{"case of a member name", `"score": 95,`, `"Score": 95,`},
		{"duplicate member", `"score": 95,`, `"score": 100, "score": 95,`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alt := strings.Replace(string(data), tc.old, tc.new, 1)
			if alt == string(data) {
				t.Fatalf("report has no %q", tc.old)
			}
			v, err := report.Verify([]byte(alt), trusted)
			if err == nil && v.Status == report.Valid {
				t.Fatalf("an altered report verified as valid")
			}
			if err == nil && v.Status != report.Altered {
				t.Errorf("status %s, want altered", v.Status)
			}
		})
	}
	// Every single byte flipped in the content (not just chosen ones).
	start := bytes.Index(data, []byte(`"checks"`))
	for i := start; i < start+2000; i += 97 {
		alt := append([]byte(nil), data...)
		alt[i] ^= 0x01
		if v, err := report.Verify(alt, trusted); err == nil && v.Status == report.Valid {
			t.Errorf("byte %d flipped (%q) still verifies", i, data[i])
		}
	}
}

// TestVerifyLineEndings: a report that went through a CRLF checkout still
// verifies.
func TestVerifyLineEndings(t *testing.T) {
	data, pub, _ := signedFixture(t)
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	if v, err := report.Verify(crlf, []ed25519.PublicKey{pub}); err != nil || v.Status != report.Valid {
		t.Errorf("CRLF copy: %+v %v", v, err)
	}
}

// TestVerifyUnsignedAndOtherKey: an unsigned report says so; a report
// signed by another key (a student's own) is not valid for the lecturer's.
func TestVerifyUnsignedAndOtherKey(t *testing.T) {
	unsigned, _ := report.JSON(readFixture(t, "correct"))
	data, _, _ := signedFixture(t)
	lecturer, _, _ := report.GenerateKey()
	if v, err := report.Verify(unsigned, []ed25519.PublicKey{lecturer}); err != nil || v.Status != report.Unsigned {
		t.Errorf("unsigned: %+v %v", v, err)
	}
	v, err := report.Verify(data, []ed25519.PublicKey{lecturer})
	if err != nil || v.Status != report.OtherKey || !strings.Contains(v.Reason, report.KeyID(lecturer)) {
		t.Errorf("other key: %+v %v", v, err)
	}
}

// TestKeysRoundTrip: keys written as PEM read back, the public key also
// from the base64 a report carries; a private key is not a public key.
func TestKeysRoundTrip(t *testing.T) {
	pub, priv, _ := report.GenerateKey()
	pp, err := report.EncodePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := report.EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pp), "-----BEGIN PRIVATE KEY-----") || !strings.HasPrefix(string(pk), "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("PEM types:\n%s%s", pp, pk)
	}
	p2, err := report.ParsePrivateKey(pp)
	if err != nil || !p2.Equal(priv) {
		t.Errorf("private key round trip: %v", err)
	}
	k2, err := report.ParsePublicKey(pk)
	if err != nil || !k2.Equal(pub) {
		t.Errorf("public key round trip: %v", err)
	}
	k3, err := report.ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(pub) + "\n"))
	if err != nil || !k3.Equal(pub) {
		t.Errorf("public key from base64: %v", err)
	}
	if _, err := report.ParsePublicKey(pp); err == nil {
		t.Error("a private key was taken as a public key")
	}
	if _, err := report.ParsePrivateKey(pk); err == nil {
		t.Error("a public key was taken as a private key")
	}
}

// TestClusterFingerprint is the documented recipe.
func TestClusterFingerprint(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	sum := sha256.Sum256(append(append(append([]byte{}, ca...), 0), "8f2c-uid"...))
	if got := report.ClusterFingerprint(ca, "8f2c-uid"); got != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %s", got)
	}
	if report.ClusterFingerprint(ca, "a") == report.ClusterFingerprint(ca, "b") {
		t.Error("a new kube-system namespace (a new cluster) gives the same fingerprint")
	}
}
