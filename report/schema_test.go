package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/report"
)

// TestFixturesMatchSchema: the reports of real grading runs (and a signed
// one) are valid against report/schema.json.
func TestFixturesMatchSchema(t *testing.T) {
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := report.Validate(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	r := readFixture(t, "correct")
	_, key, _ := report.GenerateKey()
	if err := report.Sign(r, key); err != nil {
		t.Fatal(err)
	}
	b, _ := report.JSON(r)
	if err := report.Validate(b); err != nil {
		t.Errorf("signed report: %v", err)
	}
}

// TestSchemaRejects: the validator finds what breaks the schema (so the
// test above could fail), and Read refuses such files.
func TestSchemaRejects(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "mistakes.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown status", `"status": "fail"`, `"status": "failed"`, `$.checks[11].status: is "failed", want one of`},
		{"missing member", `"max_score": 95,`, ``, `$: missing required member "max_score"`},
		{"unknown member", `"lang": "id",`, `"lang": "id", "grade": "A",`, `$: unknown member "grade"`},
		{"wrong type", `"score": 66,`, `"score": "66",`, `$.score: is string, want number`},
		{"negative points", `"points": 5,`, `"points": -5,`, `below the minimum 0`},
		{"fractional count", `"fail": 4,`, `"fail": 4.5,`, `$.counts.fail: is number, want integer`},
		{"bad time", `"started_at": "2026-03-02T09:00:00Z"`, `"started_at": "yesterday"`, `not an RFC 3339 date-time`},
		{"bad fingerprint", `"cluster": "sha256:00`, `"cluster": "md5:00`, `does not match ^sha256:`},
		{"wrong schema", `"schema": "kubelab.report/v1"`, `"schema": "kubelab.report/v9"`, `want "kubelab.report/v1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tc.old, tc.new, 1)
			if doc == string(base) {
				t.Fatalf("fixture has no %q", tc.old)
			}
			err := report.Validate([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error with %q", err, tc.want)
			}
			if _, err := report.Read([]byte(doc)); err == nil {
				t.Error("Read accepted it")
			}
		})
	}
}

// TestSchemaCoversModel walks the Go model and the schema together: every
// JSON member of every struct is in the schema with the right type, the
// schema lists no member the model lacks, and the required members are
// exactly those written always (no omitempty).
func TestSchemaCoversModel(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(report.SchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", schema["$schema"])
	}
	defs := schema["$defs"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		return s
	}
	var walk func(path string, typ reflect.Type, s map[string]any)
	walk = func(path string, typ reflect.Type, s map[string]any) {
		s = resolve(s)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == reflect.TypeOf(time.Time{}):
			if s["format"] != "date-time" {
				t.Errorf("%s: want format date-time", path)
			}
		case typ.Kind() == reflect.Struct:
			props, _ := s["properties"].(map[string]any)
			if s["additionalProperties"] != false {
				t.Errorf("%s: additionalProperties should be false", path)
			}
			var goReq, seen []string
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				tag := f.Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				if name == "" || name == "-" {
					t.Errorf("%s.%s has no json name", path, f.Name)
					continue
				}
				seen = append(seen, name)
				if !strings.Contains(opts, "omitempty") {
					goReq = append(goReq, name)
				}
				ps, ok := props[name].(map[string]any)
				if !ok {
					t.Errorf("%s: schema lacks member %q", path, name)
					continue
				}
				walk(path+"."+name, f.Type, ps)
			}
			for name := range props {
				if !contains(seen, name) {
					t.Errorf("%s: schema has %q, the model does not", path, name)
				}
			}
			var schemaReq []string
			for _, r := range asList(s["required"]) {
				schemaReq = append(schemaReq, r.(string))
			}
			sort.Strings(goReq)
			sort.Strings(schemaReq)
			if strings.Join(goReq, ",") != strings.Join(schemaReq, ",") {
				t.Errorf("%s: required %v, but the model always writes %v", path, schemaReq, goReq)
			}
		case typ.Kind() == reflect.Slice:
			if s["type"] != "array" {
				t.Errorf("%s: want array", path)
				return
			}
			walk(path+"[]", typ.Elem(), s["items"].(map[string]any))
		case typ.Kind() == reflect.Map:
			if s["type"] != "object" {
				t.Errorf("%s: want object", path)
			}
			for _, st := range report.Statuses {
				if _, ok := s["properties"].(map[string]any)[string(st)]; !ok {
					t.Errorf("%s: no member for status %s", path, st)
				}
			}
		default:
			want := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Float64: "number", reflect.Int64: "integer", reflect.Int: "integer"}[typ.Kind()]
			got, _ := s["type"].(string)
			if got == "" && (s["const"] != nil || s["enum"] != nil) {
				got = "string"
			}
			if got != want {
				t.Errorf("%s: schema type %q, Go %s", path, got, typ.Kind())
			}
		}
	}
	walk("$", reflect.TypeOf(report.Report{}), schema)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
