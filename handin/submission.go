// Package handin is grading of work done where the lecturer cannot reach:
// each student runs the checks on their own machine (kubelab submit) and
// hands in one signed submission file carrying the report and the redacted
// evidence the checks judged; the lecturer (kubelab grade --submissions)
// verifies each file's signature, judges its evidence again, re-checks the
// image on the registry and compares the class's submissions with each
// other.
package handin

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// Schema is the version of a submission file. Bump it when a field changes
// meaning or disappears, or when the evidence (snapshot.Snapshot as JSON)
// changes shape.
const Schema = "kubelab.submission/v1"

const (
	schemaPrefix  = "kubelab.submission/v"
	schemaVersion = 1
)

// Key names the student's signing key.
type Key struct {
	// KeyID is the first 16 hex digits of SHA-256 over the raw public key.
	KeyID string `json:"key_id"`
	// PublicKey is the raw 32-byte ed25519 public key, standard base64.
	PublicKey string `json:"public_key"`
}

// Submission is one student's hand-in: what their machine saw and judged.
type Submission struct {
	Schema    string         `json:"schema"`
	Tool      report.Tool    `json:"tool"`
	Student   report.Student `json:"student"`
	Lab       report.Lab     `json:"lab"`
	CreatedAt time.Time      `json:"created_at"`
	// Fingerprint is the cluster's (CA bundle and kube-system UID) and the
	// image's digest, as the student's machine read them.
	Fingerprint report.Fingerprint `json:"fingerprint"`
	// Key is the student's public key; Signature must be made with it.
	Key Key `json:"key"`
	// Report is the JSON report, signed with Key as report.Sign does.
	Report *report.Report `json:"report"`
	// Evidence is the snapshot the report was judged on, redacted (see
	// Redact): checks.Evaluate(lab, Evidence) gives the report's checks.
	Evidence *snapshot.Snapshot `json:"evidence"`
	// Signature is an ed25519 signature over CanonicalJSON: the whole
	// submission but this member (the last one).
	Signature *report.Signature `json:"signature,omitempty"`
}

// JSON returns the submission as kubelab writes it: two-space indent,
// members in this order, a final newline. The same submission gives the
// same bytes.
func JSON(s *Submission) ([]byte, error) {
	if s.Report != nil && (s.Report.Steps == nil || s.Report.Checks == nil) {
		c, r := *s, *s.Report
		if r.Steps == nil {
			r.Steps = []report.Step{}
		}
		if r.Checks == nil {
			r.Checks = []report.Result{}
		}
		c.Report = &r
		s = &c
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(true)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CanonicalJSON returns the bytes the submission's signature covers: JSON
// without the "signature" member.
func CanonicalJSON(s *Submission) ([]byte, error) {
	c := *s
	c.Signature = nil
	return JSON(&c)
}

// Sign sets the submission's key and signs it (and the report inside, as
// report.Sign does, unless it is already signed with the same key).
func Sign(s *Submission, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("not an ed25519 private key")
	}
	pub := key.Public().(ed25519.PublicKey)
	s.Key = Key{KeyID: report.KeyID(pub), PublicKey: base64.StdEncoding.EncodeToString(pub)}
	if s.Report != nil {
		if err := report.Sign(s.Report, key); err != nil {
			return err
		}
	}
	msg, err := CanonicalJSON(s)
	if err != nil {
		return err
	}
	s.Signature = &report.Signature{
		Algorithm: report.SignatureAlgorithm,
		KeyID:     s.Key.KeyID,
		PublicKey: s.Key.PublicKey,
		Value:     base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg)),
	}
	return nil
}

// Verify checks the submission's signature and the report's inside it: both
// made with the submission's key over their content. It returns why not,
// one reason a line; none means valid.
func Verify(s *Submission) []string {
	var why []string
	sig := s.Signature
	if sig == nil {
		return []string{"the submission is not signed"}
	}
	if sig.Algorithm != report.SignatureAlgorithm {
		return []string{fmt.Sprintf("unknown signature algorithm %q", sig.Algorithm)}
	}
	pub, err := base64.StdEncoding.DecodeString(sig.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return []string{"the signature's public key is malformed"}
	}
	val, err := base64.StdEncoding.DecodeString(sig.Value)
	if err != nil || len(val) != ed25519.SignatureSize {
		return []string{"the signature value is malformed"}
	}
	if report.KeyID(pub) != sig.KeyID {
		why = append(why, fmt.Sprintf("the key id %s does not belong to the signature's public key (%s)", sig.KeyID, report.KeyID(pub)))
	}
	if sig.PublicKey != s.Key.PublicKey || sig.KeyID != s.Key.KeyID {
		why = append(why, fmt.Sprintf("the submission names key %s but is signed with key %s", s.Key.KeyID, sig.KeyID))
	}
	msg, err := CanonicalJSON(s)
	if err != nil {
		return append(why, err.Error())
	}
	if !ed25519.Verify(pub, msg, val) {
		why = append(why, "the submission was changed after it was signed (the signature does not match its content)")
	}
	r := s.Report
	switch {
	case r == nil:
	case r.Signature == nil:
		why = append(why, "the report inside is not signed")
	case r.Signature.PublicKey != sig.PublicKey:
		why = append(why, fmt.Sprintf("the report inside is signed with another key (%s)", r.Signature.KeyID))
	default:
		rv, err := base64.StdEncoding.DecodeString(r.Signature.Value)
		rmsg, cerr := report.CanonicalJSON(r)
		if err != nil || cerr != nil || len(rv) != ed25519.SignatureSize || !ed25519.Verify(pub, rmsg, rv) {
			why = append(why, "the report inside was changed after it was signed")
		}
	}
	return why
}

var fingerprintRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// VersionError is a submission written in another schema version than the
// one this kubelab reads.
type VersionError struct {
	// Found is the file's schema, Want the one this kubelab reads.
	Found, Want string
	// Newer is set when the file comes from a newer kubelab.
	Newer bool
}

func (e *VersionError) Error() string {
	if e.Newer {
		return fmt.Sprintf("submission schema %q is newer than this kubelab (%s) reads (%q): grade it with a newer kubelab", e.Found, report.Version, e.Want)
	}
	return fmt.Sprintf("submission schema %q is older than this kubelab (%s) reads (%q): the student must hand in again with kubelab submit from a current kubelab", e.Found, report.Version, e.Want)
}

// Read parses a submission file: it checks the schema version first (a
// file from an older or newer kubelab is refused with a *VersionError),
// then decodes it strictly (no unknown member) and checks the report inside
// against the report schema.
func Read(data []byte) (*Submission, error) {
	var probe struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a kubelab submission: %w", err)
	}
	if probe.Schema == nil || *probe.Schema == "" {
		return nil, errors.New(`not a kubelab submission: no "schema" member`)
	}
	found := *probe.Schema
	if err := report.NoDuplicateMembers(data); err != nil {
		return nil, fmt.Errorf("not a kubelab submission: %v", err)
	}
	if found != Schema {
		if strings.HasPrefix(found, "kubelab.report/") {
			return nil, fmt.Errorf("this is a kubelab report (%s), not a submission: hand in with kubelab submit", found)
		}
		if v, ok := strings.CutPrefix(found, schemaPrefix); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return nil, &VersionError{Found: found, Want: Schema, Newer: n > schemaVersion}
			}
		}
		return nil, fmt.Errorf("not a kubelab submission: schema %q (this kubelab reads %q)", found, Schema)
	}
	var s Submission
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("reading the submission: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("reading the submission: data after its closing brace")
	}
	var raw struct {
		Report json.RawMessage `json:"report"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if len(raw.Report) == 0 || string(raw.Report) == "null" {
		return nil, errors.New("the submission has no report")
	}
	r, err := report.Read(raw.Report)
	if err != nil {
		return nil, fmt.Errorf("the report inside: %w", err)
	}
	s.Report = r
	if s.Evidence == nil {
		return nil, errors.New("the submission has no evidence")
	}
	if c := s.Fingerprint.Cluster; c != "" && !fingerprintRe.MatchString(c) {
		return nil, fmt.Errorf("the cluster fingerprint %q is not sha256:<64 hex digits>", c)
	}
	if err := grade.CheckStudentID(s.Student.ID); err != nil {
		return nil, fmt.Errorf("student id: %w", err)
	}
	// A name is copied into every page and file of the class: a long one
	// multiplies the output.
	if n := utf8.RuneCountInString(s.Student.Name); n > MaxNameRunes {
		return nil, fmt.Errorf("the student name is %d characters long; at most %d are read", n, MaxNameRunes)
	}
	return &s, nil
}

// MaxNameRunes is the longest student name a submission may carry.
const MaxNameRunes = 200

// DefaultMaxSize is the largest submission file read by default (kubelab
// submit writes a few hundred KiB).
const DefaultMaxSize = 16 << 20

// ReadFile reads a submission file of at most DefaultMaxSize bytes; errors
// name the file.
func ReadFile(path string) (*Submission, error) {
	return readFile(path, DefaultMaxSize)
}

func readFile(path string, maxSize int64) (*Submission, error) {
	data, err := readRegular(path, maxSize)
	if err != nil {
		return nil, err
	}
	s, err := Read(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
