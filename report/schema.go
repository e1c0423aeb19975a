package report

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of the JSON report,
// report/schema.json. Other tools may validate saved reports with it.
//
//go:embed schema.json
var SchemaJSON []byte

// SchemaError lists every place a document breaks the schema.
type SchemaError struct{ Problems []string }

func (e *SchemaError) Error() string {
	return "does not match the report schema: " + strings.Join(e.Problems, "; ")
}

var (
	schemaOnce sync.Once
	schemaRoot map[string]any
	schemaErr  error
)

func loadSchema() (map[string]any, error) {
	schemaOnce.Do(func() { schemaErr = json.Unmarshal(SchemaJSON, &schemaRoot) })
	return schemaRoot, schemaErr
}

// Validate checks a JSON document against SchemaJSON. It implements the
// part of JSON Schema the report schema uses: type, const, enum,
// properties, required, additionalProperties, items, minLength, minimum,
// maximum, pattern, format date-time and local $ref ("#/$defs/...").
func Validate(data []byte) error {
	root, err := loadSchema()
	if err != nil {
		return fmt.Errorf("report schema: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	v := &validator{root: root}
	v.check(root, doc, "$")
	if len(v.problems) > 0 {
		return &SchemaError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	root     map[string]any
	problems []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.problems = append(v.problems, path+": "+fmt.Sprintf(format, args...))
}

var patterns sync.Map

func (v *validator) check(schema map[string]any, doc any, path string) {
	if ref, ok := schema["$ref"].(string); ok {
		target, err := v.resolve(ref)
		if err != nil {
			v.fail(path, "%v", err)
			return
		}
		v.check(target, doc, path)
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, doc) {
		v.fail(path, "is %s, want %v", jsonType(doc), t)
		return
	}
	if c, ok := schema["const"]; ok && !jsonEqual(c, doc) {
		v.fail(path, "is %v, want %v", show(doc), show(c))
	}
	if e, ok := schema["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || jsonEqual(x, doc)
		}
		if !found {
			v.fail(path, "is %v, want one of %v", show(doc), e)
		}
	}
	switch d := doc.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := d[r.(string)]; !ok {
					v.fail(path, "missing required member %q", r)
				}
			}
		}
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				v.check(ps, d[k], path+"."+k)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					v.fail(path, "unknown member %q", k)
				}
			case map[string]any:
				v.check(ap, d[k], path+"."+k)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range d {
				v.check(items, x, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case string:
		if n, ok := schema["minLength"].(float64); ok && float64(len([]rune(d))) < n {
			v.fail(path, "is shorter than %v characters", n)
		}
		if p, ok := schema["pattern"].(string); ok {
			re, _ := patterns.Load(p)
			if re == nil {
				c, err := regexp.Compile(p)
				if err != nil {
					v.fail(path, "bad pattern in schema: %v", err)
					return
				}
				patterns.Store(p, c)
				re = c
			}
			if !re.(*regexp.Regexp).MatchString(d) {
				v.fail(path, "%q does not match %s", d, p)
			}
		}
		if f, _ := schema["format"].(string); f == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, d); err != nil {
				v.fail(path, "%q is not an RFC 3339 date-time", d)
			}
		}
	case json.Number:
		f, _ := d.Float64()
		if m, ok := schema["minimum"].(float64); ok && f < m {
			v.fail(path, "%v is below the minimum %v", d, m)
		}
		if m, ok := schema["maximum"].(float64); ok && f > m {
			v.fail(path, "%v is above the maximum %v", d, m)
		}
	}
}

func (v *validator) resolve(ref string) (map[string]any, error) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	defs, _ := v.root["$defs"].(map[string]any)
	s, ok := defs[name].(map[string]any)
	if !ok {
		return nil, errors.New("unknown $ref " + ref)
	}
	return s, nil
}

func jsonType(doc any) string {
	switch d := doc.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if f, err := d.Float64(); err == nil && f == math.Trunc(f) && !strings.ContainsAny(d.String(), ".eE") {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", doc)
}

func typeMatches(t any, doc any) bool {
	got := jsonType(doc)
	one := func(want string) bool { return want == got || (want == "number" && got == "integer") }
	switch tt := t.(type) {
	case string:
		return one(tt)
	case []any:
		for _, x := range tt {
			if s, ok := x.(string); ok && one(s) {
				return true
			}
		}
	}
	return false
}

func jsonEqual(schemaVal, doc any) bool {
	if n, ok := doc.(json.Number); ok {
		f, _ := n.Float64()
		sv, ok := schemaVal.(float64)
		return ok && sv == f
	}
	a, _ := json.Marshal(schemaVal)
	b, _ := json.Marshal(doc)
	return string(a) == string(b)
}

func show(x any) string {
	b, _ := json.Marshal(x)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}
