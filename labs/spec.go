// Package labs is kubelab's lab model: the lab spec (YAML), its loader and
// validator, and the built-in labs embedded in the binary.
package labs

import (
	"sort"
	"strings"
)

// Languages kubelab's built-in labs are written in. A lab names its own in
// `languages`; every text must exist in each of them.
var Languages = []string{"en", "id"}

// Text is a text per language code.
type Text map[string]string

// Get returns the text in lang, falling back to English, then to any.
func (t Text) Get(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	if s, ok := t["en"]; ok && s != "" {
		return s
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if t[k] != "" {
			return t[k]
		}
	}
	return ""
}

// Lab is a loaded and validated lab.
type Lab struct {
	ID          string   `yaml:"id"`
	Version     string   `yaml:"version"`
	Title       Text     `yaml:"title"`
	Description Text     `yaml:"description"`
	Languages   []string `yaml:"languages"`
	Steps       []*Step  `yaml:"steps"`
	// PassPercent is the share of the points a student needs, besides every
	// required check, for the lab to count as passed (default 80).
	PassPercent float64 `yaml:"pass_percent"`
	// LatePolicy is what work after the deadline costs when `kubelab grade`
	// is given one: none, zero or percent:N (N% off per started day); the
	// --late-policy flag overrides it.
	LatePolicy string `yaml:"late_policy"`

	// Source says where the lab came from ("builtin" or a directory).
	Source string `yaml:"-"`
	// Markdown holds each step's lesson per language, read at load time so a
	// loaded lab needs no file system.
	Markdown map[string]Text `yaml:"-"`
}

// Step is one step of a lab: a lesson page and the checks that prove it done.
type Step struct {
	ID     string      `yaml:"id"`
	Title  Text        `yaml:"title"`
	File   Text        `yaml:"file"`
	Checks []*CheckRef `yaml:"checks"`
	// Solution is what completes the step, for `kubelab lab selftest`
	// (nil: the step has none; see solution.go).
	Solution *Solution `yaml:"solution"`

	line int
}

// CheckRef is one use of a catalog check in a step.
type CheckRef struct {
	ID string `yaml:"id"`
	// Points the check is worth; a partial result earns a share of them.
	Points float64 `yaml:"points"`
	// Informational checks earn no points and never fail the lab.
	Informational bool `yaml:"informational"`
	// Required checks must pass for the lab to count as passed.
	Required bool `yaml:"required"`
	// Needs lists checks (by id) that must pass first; if one did not, this
	// check is skipped.
	Needs []string `yaml:"needs"`
	// Params override the catalog check's defaults.
	Params map[string]any `yaml:"params"`
	// Hints per language, from gentle to explicit.
	Hints map[string][]string `yaml:"hints"`

	line int
}

// Step returns the step with the given id.
func (l *Lab) Step(id string) *Step {
	for _, s := range l.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Checks returns every check of the lab in step order.
func (l *Lab) Checks() []*CheckRef {
	var out []*CheckRef
	for _, s := range l.Steps {
		out = append(out, s.Checks...)
	}
	return out
}

// StepOf returns the step that holds check id.
func (l *Lab) StepOf(checkID string) *Step {
	for _, s := range l.Steps {
		for _, c := range s.Checks {
			if c.ID == checkID {
				return s
			}
		}
	}
	return nil
}

// MaxScore is the sum of the points of every scored check.
func (l *Lab) MaxScore() float64 {
	var sum float64
	for _, c := range l.Checks() {
		if !c.Informational {
			sum += c.Points
		}
	}
	return sum
}

// HasLanguage reports whether the lab is written in lang.
func (l *Lab) HasLanguage(lang string) bool {
	for _, x := range l.Languages {
		if strings.EqualFold(x, lang) {
			return true
		}
	}
	return false
}
