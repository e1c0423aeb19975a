package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NoDuplicateMembers refuses JSON in which an object names a member twice.
// encoding/json keeps the last of two members of one name and other
// readers may keep the first, so a file could show the lecturer one
// student and verify a signature made over another: the signed, canonical
// form must be the only form. It walks the standard library's tokens (no
// JSON parsing of our own), keeping one set of names per open object.
func NoDuplicateMembers(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type level struct {
		object bool
		names  map[string]bool
		// key is set while the next token is a member name.
		key  bool
		path string
	}
	var stack []*level
	path := func() string {
		var parts []string
		for _, l := range stack[:len(stack)-1] {
			if l.path != "" {
				parts = append(parts, l.path)
			}
		}
		return strings.Join(parts, ".")
	}
	// value marks that a value was read in the innermost object: the next
	// string is a name again.
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].key = true
		}
	}
	for {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		top := (*level)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := t.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				value()
				continue
			}
			name, _ := t.(string)
			if top.names[name] {
				where := path()
				if where != "" {
					where = " in " + where
				}
				return fmt.Errorf("the member %q appears twice%s (a kubelab file has one form only: the one kubelab wrote)", name, where)
			}
			top.names[name] = true
			top.key = false
			// The member's name becomes part of the path of what it holds.
			top.path = name
			continue
		}
		switch d, _ := t.(json.Delim); d {
		case '{':
			stack = append(stack, &level{object: true, names: map[string]bool{}, key: true})
		case '[':
			stack = append(stack, &level{})
		case ']':
			stack = stack[:len(stack)-1]
			value()
		default:
			value()
		}
	}
}
