package report

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// SignatureAlgorithm is the only signature algorithm kubelab writes and
// accepts.
const SignatureAlgorithm = "ed25519"

// CanonicalJSON returns the bytes a signature covers: the report's JSON
// exactly as JSON writes it (two-space indent, members in schema order, a
// final newline) with the "signature" member left out. Since "signature" is
// the last member, these are the bytes of the signed file with the
// `,\n  "signature": {...}` part removed.
func CanonicalJSON(r *Report) ([]byte, error) {
	c := *r
	c.Signature = nil
	return JSON(&c)
}

// KeyID names a public key: the first 16 hex digits of SHA-256 over its raw
// 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:16]
}

// ClusterFingerprint is "sha256:" + hex(SHA-256(ca || 0x00 || kubeSystemUID)):
// ca is the API server's CA bundle as the kubeconfig holds it (PEM bytes,
// empty when it trusts none), kubeSystemUID the UID of the kube-system
// namespace. The CA names the cluster's PKI, the UID the cluster's etcd: a
// new cluster (minikube delete + start) gets a new fingerprint.
func ClusterFingerprint(ca []byte, kubeSystemUID string) string {
	h := sha256.New()
	h.Write(ca)
	h.Write([]byte{0})
	h.Write([]byte(kubeSystemUID))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Sign signs the report with key: it sets r.Signature to an ed25519
// signature over CanonicalJSON(r). Any later change to the report's content
// invalidates it.
func Sign(r *Report, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("not an ed25519 private key")
	}
	msg, err := CanonicalJSON(r)
	if err != nil {
		return err
	}
	pub := key.Public().(ed25519.PublicKey)
	r.Signature = &Signature{
		Algorithm: SignatureAlgorithm,
		KeyID:     KeyID(pub),
		PublicKey: base64.StdEncoding.EncodeToString(pub),
		Value:     base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg)),
	}
	return nil
}

// VerifyStatus is the verdict on a saved report's signature.
type VerifyStatus string

// The verdicts.
const (
	// Valid: the signature matches the file and was made by a trusted key.
	Valid VerifyStatus = "valid"
	// Altered: the file is signed, but its content (or the signature) was
	// changed after signing, or it is not byte for byte what kubelab wrote.
	Altered VerifyStatus = "altered"
	// Unsigned: the file has no signature.
	Unsigned VerifyStatus = "unsigned"
	// OtherKey: the signature matches the file but was made by a key that is
	// not among the trusted ones.
	OtherKey VerifyStatus = "other-key"
)

// Verification is the result of Verify.
type Verification struct {
	Status VerifyStatus
	// Reason explains a verdict other than Valid.
	Reason string
	// KeyID is the key id the signature names (empty when unsigned).
	KeyID string
	// Report is the parsed report.
	Report *Report
}

// Verify checks a saved JSON report's signature. The signature must be
// valid for the file's canonical bytes, the file must be exactly what
// kubelab wrote (line endings and trailing white space aside), and the key
// must be one of trusted. An error means data is not a readable report.
func Verify(data []byte, trusted []ed25519.PublicKey) (Verification, error) {
	// The signature covers what Read keeps of a member named twice (the
	// last); other readers show the first. A signed file has one form.
	if err := NoDuplicateMembers(data); err != nil {
		return Verification{}, fmt.Errorf("not a valid kubelab report: %v", err)
	}
	r, err := Read(data)
	if err != nil {
		return Verification{}, err
	}
	v := Verification{Report: r}
	s := r.Signature
	if s == nil {
		v.Status, v.Reason = Unsigned, "the report has no signature"
		return v, nil
	}
	v.KeyID = s.KeyID
	altered := func(format string, args ...any) (Verification, error) {
		v.Status, v.Reason = Altered, fmt.Sprintf(format, args...)
		return v, nil
	}
	if s.Algorithm != SignatureAlgorithm {
		return altered("unknown signature algorithm %q", s.Algorithm)
	}
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return altered("the signature's public key is malformed")
	}
	sig, err := base64.StdEncoding.DecodeString(s.Value)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return altered("the signature value is malformed")
	}
	if KeyID(pub) != s.KeyID {
		return altered("the key id %s does not belong to the signature's public key (%s)", s.KeyID, KeyID(pub))
	}
	written, err := JSON(r)
	if err != nil {
		return Verification{}, err
	}
	if !bytes.Equal(normalizeText(written), normalizeText(data)) {
		return altered("the file is not byte for byte the report kubelab wrote (edited or re-formatted after signing)")
	}
	msg, err := CanonicalJSON(r)
	if err != nil {
		return Verification{}, err
	}
	if !ed25519.Verify(pub, msg, sig) {
		return altered("the signature does not match the report's content: it was changed after signing")
	}
	for _, k := range trusted {
		if bytes.Equal(k, pub) {
			v.Status = Valid
			return v, nil
		}
	}
	var ids []string
	for _, k := range trusted {
		ids = append(ids, KeyID(k))
	}
	v.Status = OtherKey
	v.Reason = fmt.Sprintf("the signature is intact but was made by key %s, not by the trusted key(s) %v", s.KeyID, ids)
	return v, nil
}

// normalizeText turns CRLF into LF and drops trailing white space, so a
// file that crossed a Windows checkout still verifies.
func normalizeText(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.TrimRight(b, " \t\r\n")
}
