package labs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubelab/kubelab/internal/i18n"
)

// SpecFile is the name of a lab's spec inside its directory.
const SpecFile = "lab.yaml"

// Problem is one thing wrong with a lab spec, located by file, line and field.
type Problem struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Field != "" {
		return loc + ": " + p.Field + ": " + p.Msg
	}
	return loc + ": " + p.Msg
}

// ValidationError lists every problem found in a lab; loading reports them
// all at once so an author fixes them in one go.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in lab:\n  %s", len(e.Problems), strings.Join(lines, "\n  "))
}

// Catalog tells the loader which check ids exist and the parameters each
// accepts. A nil Catalog accepts any check id (used only by tests of the
// loader itself).
type Catalog map[string][]string

// Load reads dir/lab.yaml from fsys and every Markdown file it names, and
// validates the whole lab.
func Load(fsys fs.FS, dir string, cat Catalog) (*Lab, error) {
	specPath := path.Join(dir, SpecFile)
	data, err := fs.ReadFile(fsys, specPath)
	if err != nil {
		return nil, fmt.Errorf("reading lab spec: %w", err)
	}
	return Parse(fsys, dir, specPath, data, cat)
}

var latePolicyPattern = regexp.MustCompile(`^(none|zero|percent:(100|[1-9][0-9]?(\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*))$`)

var idPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

// Parse parses and validates a spec. Markdown paths are relative to dir in
// fsys; specName is the file name used in problems.
func Parse(fsys fs.FS, dir, specName string, data []byte, cat Catalog) (*Lab, error) {
	top, err := decodeSpec(specName, data)
	if err != nil {
		return nil, err
	}
	v := &validator{file: specName}
	lab := &Lab{Source: dir, Markdown: map[string]Text{}}
	v.fields(top, "", []string{"id", "version", "title", "description", "languages", "pass_percent", "late_policy", "steps"})
	v.header(top, lab)
	stepsNode := get(top, "steps")
	if stepsNode == nil || stepsNode.Kind != yaml.SequenceNode || len(stepsNode.Content) == 0 {
		v.add(keyLine(top, "steps"), "steps", "required: a list of at least one step")
	} else {
		checkAt := v.steps(fsys, dir, stepsNode, lab, cat)
		v.needs(lab, checkAt)
	}
	if len(v.problems) > 0 {
		sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
		return nil, &ValidationError{v.problems}
	}
	return lab, nil
}

// decodeSpec decodes the spec's YAML into its top mapping; a
// *ValidationError with the line when it is not YAML or not a mapping.
func decodeSpec(specName string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		line := 0
		var te *yaml.TypeError
		if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		if errors.As(err, &te) {
			return nil, &ValidationError{[]Problem{{File: specName, Line: line, Msg: strings.Join(te.Errors, "; ")}}}
		}
		return nil, &ValidationError{[]Problem{{File: specName, Line: line, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &ValidationError{[]Problem{{File: specName, Line: 1, Msg: "a lab spec must be a YAML mapping (id, version, title, languages, steps)"}}}
	}
	return root.Content[0], nil
}

// header reads the lab's own fields: late policy, pass mark, id, version,
// languages (each one kubelab's messages are translated to), title and
// description.
func (v *validator) header(top *yaml.Node, lab *Lab) {
	lab.PassPercent = 80
	if n := get(top, "late_policy"); n != nil {
		if n.Kind != yaml.ScalarNode || !latePolicyPattern.MatchString(n.Value) {
			v.add(n.Line, "late_policy", fmt.Sprintf("%q: use none, zero or percent:N (N%% off per started day, 0 < N <= 100)", n.Value))
		} else {
			lab.LatePolicy = n.Value
		}
	}
	if n := get(top, "pass_percent"); n != nil {
		p, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || p < 0 || p > 100 {
			v.add(n.Line, "pass_percent", fmt.Sprintf("%q must be a number from 0 to 100", n.Value))
		} else {
			lab.PassPercent = p
		}
	}

	lab.ID = v.str(top, "", "id", true)
	if lab.ID != "" && !idPattern.MatchString(lab.ID) {
		v.add(keyLine(top, "id"), "id", "must be lower-case letters, digits, '-' and '.'")
	}
	lab.Version = v.str(top, "", "version", true)
	lab.Languages = v.strList(top, "", "languages")
	if len(lab.Languages) == 0 {
		v.add(top.Line, "languages", "required: the language codes the lab is written in, e.g. [en, id]")
	}
	for _, lang := range lab.Languages {
		// The lessons would be in lang but every check message, hint and
		// report word in English.
		if !i18n.Supports(lang) {
			v.add(valueLine(top, "languages"), "languages", fmt.Sprintf("kubelab's messages have no %q translation (internal/i18n/messages/%s.yaml); add one (docs/i18n.md) or leave %q out", lang, lang, lang))
		}
	}
	lab.Title = v.text(top, "", "title", lab.Languages, true)
	lab.Description = v.text(top, "", "description", lab.Languages, false)
}

type validator struct {
	file     string
	problems []Problem
}

func (v *validator) add(line int, field, msg string) {
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Field: field, Msg: msg})
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// fields reports keys the spec format does not know (usually a typo).
func (v *validator) fields(m *yaml.Node, prefix string, known []string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		ok := false
		for _, x := range known {
			if k == x {
				ok = true
			}
		}
		if !ok {
			v.add(m.Content[i].Line, join(prefix, k), "unknown field (known: "+strings.Join(known, ", ")+")")
		}
	}
}

func (v *validator) str(m *yaml.Node, prefix, key string, required bool) string {
	n := get(m, key)
	if n == nil {
		if required {
			v.add(m.Line, join(prefix, key), "required")
		}
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		v.add(n.Line, join(prefix, key), "must be a non-empty string")
		return ""
	}
	return n.Value
}

func (v *validator) strList(m *yaml.Node, prefix, key string) []string {
	n := get(m, key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		v.add(n.Line, join(prefix, key), "must be a list of strings")
		return nil
	}
	var out []string
	for i, e := range n.Content {
		if e.Kind != yaml.ScalarNode || e.Value == "" {
			v.add(e.Line, fmt.Sprintf("%s[%d]", join(prefix, key), i), "must be a non-empty string")
			continue
		}
		out = append(out, e.Value)
	}
	return out
}

// text reads a per-language mapping and reports each missing translation.
func (v *validator) text(m *yaml.Node, prefix, key string, langs []string, required bool) Text {
	n := get(m, key)
	f := join(prefix, key)
	if n == nil {
		if required {
			v.add(m.Line, f, "required: one entry per language ("+strings.Join(langs, ", ")+")")
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f, "must map each language to a text, e.g. {en: ..., id: ...}")
		return nil
	}
	t := Text{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if val.Kind != yaml.ScalarNode || strings.TrimSpace(val.Value) == "" {
			v.add(val.Line, f+"."+k.Value, "must be a non-empty string")
			continue
		}
		t[k.Value] = val.Value
	}
	for _, lang := range langs {
		if _, ok := t[lang]; !ok {
			v.add(n.Line, f+"."+lang, "missing translation")
		}
	}
	return t
}

// check validates one entry of a lab's checks list against the catalog and
// returns its reference, or nil when it is not a mapping or has no id.
func (v *validator) check(c *yaml.Node, f string, langs []string, cat Catalog) *CheckRef {
	if c.Kind != yaml.MappingNode {
		v.add(c.Line, f, "must be a mapping with id and points")
		return nil
	}
	ref := &CheckRef{line: c.Line}
	ref.ID = v.str(c, f, "id", true)
	if ref.ID != "" {
		f = f + "(" + ref.ID + ")"
	}
	v.fields(c, f, []string{"id", "points", "informational", "required", "needs", "params", "hints"})
	if ref.ID == "" {
		return nil
	}
	var paramNames []string
	knownCheck := true
	if cat != nil {
		names, ok := cat[ref.ID]
		if !ok {
			knownCheck = false
			v.add(keyLine(c, "id"), f+".id", fmt.Sprintf("unknown check id %q (see `kubelab lab checks` for the catalog)", ref.ID))
		}
		paramNames = names
	}
	if n := get(c, "informational"); n != nil {
		if err := n.Decode(&ref.Informational); err != nil {
			v.add(n.Line, f+".informational", "must be true or false")
		}
	}
	if n := get(c, "required"); n != nil {
		if err := n.Decode(&ref.Required); err != nil {
			v.add(n.Line, f+".required", "must be true or false")
		}
	}
	v.checkPoints(c, f, ref)
	if ref.Informational && ref.Required {
		v.add(c.Line, f+".required", "an informational check cannot be required")
	}
	ref.Needs = v.strList(c, f, "needs")
	if n := get(c, "params"); n != nil {
		v.checkParams(n, f, ref, cat, paramNames, knownCheck)
	}
	if n := get(c, "hints"); n != nil {
		v.checkHints(n, f, ref, langs)
	}
	return ref
}

// checkPoints sets ref.Points from the check's points, which an informational
// check must leave out (or set to 0) and any other check must give as positive.
func (v *validator) checkPoints(c *yaml.Node, f string, ref *CheckRef) {
	pn := get(c, "points")
	switch {
	case pn == nil && !ref.Informational:
		v.add(c.Line, f+".points", "required: a positive number (or set informational: true)")
	case pn != nil:
		p, err := strconv.ParseFloat(pn.Value, 64)
		if pn.Kind != yaml.ScalarNode || err != nil {
			v.add(pn.Line, f+".points", fmt.Sprintf("%q is not a number", pn.Value))
		} else if ref.Informational && p != 0 {
			v.add(pn.Line, f+".points", "an informational check earns no points; remove points or informational")
		} else if !ref.Informational && p <= 0 {
			v.add(pn.Line, f+".points", fmt.Sprintf("must be a positive number, got %s", pn.Value))
		} else {
			ref.Points = p
		}
	}
}

// checkParams copies the check's params into ref.Params, reporting any name
// the catalog does not list for this check.
func (v *validator) checkParams(n *yaml.Node, f string, ref *CheckRef, cat Catalog, paramNames []string, knownCheck bool) {
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f+".params", "must be a mapping of parameter names to values")
	} else {
		ref.Params = map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			// Parameters of an unknown check cannot be judged.
			known := cat == nil || !knownCheck
			for _, p := range paramNames {
				known = known || p == k.Value
			}
			if !known {
				msg := fmt.Sprintf("check %s has no parameter %q", ref.ID, k.Value)
				if len(paramNames) > 0 {
					msg += " (it takes: " + strings.Join(paramNames, ", ") + ")"
				} else {
					msg += " (it takes none)"
				}
				v.add(k.Line, f+".params."+k.Value, msg)
				continue
			}
			var val any
			if err := n.Content[i+1].Decode(&val); err != nil {
				v.add(k.Line, f+".params."+k.Value, err.Error())
				continue
			}
			ref.Params[k.Value] = val
		}
	}
}

// checkHints reads the check's hints per language and reports a language of
// the lab with none, or languages with different numbers of hints.
func (v *validator) checkHints(n *yaml.Node, f string, ref *CheckRef, langs []string) {
	if n.Kind != yaml.MappingNode {
		v.add(n.Line, f+".hints", "must map each language to a list of hints, gentle first")
	} else {
		ref.Hints = map[string][]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ref.Hints[k] = v.strList(n, f+".hints", k)
			if len(ref.Hints[k]) == 0 && n.Content[i+1].Kind == yaml.ScalarNode {
				ref.Hints[k] = []string{n.Content[i+1].Value}
			}
		}
		for _, lang := range langs {
			if len(ref.Hints[lang]) == 0 {
				v.add(n.Line, f+".hints."+lang, "missing translation")
			}
		}
		for _, lang := range sortedKeys(ref.Hints) {
			for _, other := range langs {
				if len(ref.Hints[other]) > 0 && len(ref.Hints[lang]) != len(ref.Hints[other]) {
					v.add(n.Line, f+".hints", fmt.Sprintf("%s has %d hints but %s has %d; give each language the same hints", lang, len(ref.Hints[lang]), other, len(ref.Hints[other])))
					break
				}
			}
		}
	}
}

func get(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func keyLine(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

func valueLine(m *yaml.Node, key string) int {
	if n := get(m, key); n != nil {
		return n.Line
	}
	return m.Line
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
