// Package report holds kubelab's result model (the JSON report is the source of
// truth) and the renderers that turn a saved report into other formats.
package report

import "time"

// Schema is the version of the JSON report. Bump it when a field changes
// meaning or disappears; adding a field keeps it.
const Schema = "kubelab.report/v1"

// Status is the outcome of one check.
type Status string

// The five statuses. Error and Skipped never earn points: error means the check
// could not run (environment), skipped means a check it needs did not pass or a
// component it needs (Docker) is absent. Whether a check that earned nothing
// counts against the student is Result.NotGraded: an error never does, a
// skip does only when the student's own earlier step failed.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Partial Status = "partial"
	Error   Status = "error"
	Skipped Status = "skipped"
)

// Statuses lists every status in display order.
var Statuses = []Status{Pass, Partial, Fail, Error, Skipped}

// Fact is one piece of evidence: what the check observed.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is the outcome of one check of one step.
type Result struct {
	ID     string `json:"id"`
	Step   string `json:"step"`
	Status Status `json:"status"`
	// NotGraded: the check could not be judged because of the grading
	// machine (no Docker engine, --no-run, a forbidden read, a rate limit,
	// an unreachable cluster, a timeout), or it needs a check that could
	// not. It earns nothing and is left out of the report's maximum; the
	// message says why. Always set with status error.
	NotGraded bool `json:"not_graded,omitempty"`
	// Excluded: not graded because whoever ran kubelab chose so (--no-run,
	// batch grading without --run-images), not because something failed.
	// Its points are out of this grade's maximum and it does not make the
	// grade incomplete: grading again would not change it.
	Excluded bool `json:"excluded,omitempty"`
	// Settling: the check caught the cluster mid-change, in a state that
	// ends by itself within seconds (a pod still starting, a pod Ready
	// only seconds ago that the Deployment, the Service or the node's
	// routes have not caught up with). The verdict is what was true then;
	// grading again may change it. Class grading waits and grades such a
	// student again (kubelab grade --settle).
	Settling   bool     `json:"settling,omitempty"`
	Points     float64  `json:"points"`
	MaxPoints  float64  `json:"max_points"`
	Required   bool     `json:"required,omitempty"`
	Message    string   `json:"message"`
	Hint       string   `json:"hint,omitempty"`
	Hints      []string `json:"hints,omitempty"`
	Evidence   []Fact   `json:"evidence,omitempty"`
	DurationMS int64    `json:"duration_ms"`
}

// Student names who did the work.
type Student struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Target is what was graded.
type Target struct {
	Image      string `json:"image,omitempty"`
	Digest     string `json:"digest,omitempty"`
	Server     string `json:"server,omitempty"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Deployment string `json:"deployment,omitempty"`
	Service    string `json:"service,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Lab names the lab that was graded.
type Lab struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Title   string `json:"title,omitempty"`
}

// Step is a lab step as the report shows it: its title and its share of the score.
type Step struct {
	ID        string  `json:"id"`
	Title     string  `json:"title"`
	Points    float64 `json:"points"`
	MaxPoints float64 `json:"max_points"`
	// NotGradedPoints are the points of its checks that were not graded
	// (left out of MaxPoints).
	NotGradedPoints float64 `json:"not_graded_points,omitempty"`
}

// Report is one grading run of one student.
type Report struct {
	Schema     string    `json:"schema"`
	Tool       Tool      `json:"tool"`
	Lab        Lab       `json:"lab"`
	Lang       string    `json:"lang"`
	Student    Student   `json:"student"`
	Target     Target    `json:"target"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Steps      []Step    `json:"steps"`
	Checks     []Result  `json:"checks"`
	Score      float64   `json:"score"`
	// MaxScore is the points of the checks that were graded.
	MaxScore float64 `json:"max_score"`
	// NotGradedPoints are the points of the checks that were not graded:
	// left out of MaxScore, so the environment costs the student nothing.
	NotGradedPoints float64 `json:"not_graded_points,omitempty"`
	// Incomplete: points or a required check were not graded; the grade
	// is not final and the student should be graded again where the
	// checks can run.
	Incomplete bool `json:"incomplete,omitempty"`
	// PassPercent is the share of MaxScore needed to pass (with every
	// required check passed).
	PassPercent float64        `json:"pass_percent"`
	Passed      bool           `json:"passed"`
	Counts      map[Status]int `json:"counts"`
	// Fingerprint identifies the cluster and image the report came from, as
	// far as the grading machine could see them (set when signing).
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	// Signature is an ed25519 signature over the report's canonical bytes
	// (see CanonicalJSON). It is the last member of the JSON.
	Signature *Signature `json:"signature,omitempty"`
}

// Fingerprint says where a report came from.
type Fingerprint struct {
	// Cluster is "sha256:" + hex of SHA-256 over the API server's CA bundle
	// (the PEM bytes the kubeconfig trusts; empty when it trusts none), one
	// zero byte, and the UID of the kube-system namespace. Empty when the
	// cluster could not be read.
	Cluster string `json:"cluster,omitempty"`
	// ImageDigest is the manifest digest of the graded image on the registry.
	ImageDigest string `json:"image_digest,omitempty"`
}

// Signature signs a report.
type Signature struct {
	// Algorithm is "ed25519".
	Algorithm string `json:"algorithm"`
	// KeyID is the first 16 hex digits of SHA-256 over the raw 32-byte
	// public key.
	KeyID string `json:"key_id"`
	// PublicKey is the raw 32-byte ed25519 public key, standard base64.
	PublicKey string `json:"public_key"`
	// Value is the 64-byte signature, standard base64.
	Value string `json:"value"`
}
