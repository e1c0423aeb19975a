package report

import (
	"strings"
	"testing"
)

// TestNoDuplicateMembers: a name twice in one object is refused at any
// depth (and named with where it is); the same name in two objects, or in
// an array's objects, is not a duplicate.
func TestNoDuplicateMembers(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{`{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}`, ""},
		{`{"a": [], "b": {}, "c": [[{"x": 1}], {"x": 2}], "d": null}`, ""},
		{`{"student": {"id": "m"}, "schema": "x", "student": {"id": "a"}}`, `"student" appears twice`},
		{`{"report": {"checks": [{"id": "a", "points": 1, "points": 9}]}}`, `"points" appears twice in report.checks`},
		{`{"a": {"b": {"c": 1, "c": 1}}}`, `"c" appears twice in a.b`},
	} {
		err := NoDuplicateMembers([]byte(tc.in))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
		}
	}
}
