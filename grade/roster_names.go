package grade

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Student ids and namespaces: what a roster may hold, and the namespace each student gets.

// checkID says what is wrong with a student id, or "" when nothing is. An
// id names the student's files, so it must be a safe file name: letters,
// digits and . _ - @ +, starting with a letter or digit (which also keeps a
// spreadsheet from reading it as a formula).
func checkID(id string) string {
	if utf8.RuneCountInString(id) > 100 {
		return fmt.Sprintf("student id %q is longer than 100 characters", id)
	}
	for i, r := range id {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && strings.ContainsRune("._-@+", r))
		if !ok {
			if i == 0 {
				return fmt.Sprintf("student id %q must start with a letter or digit", id)
			}
			return fmt.Sprintf("student id %q has %q: use letters, digits and . _ - @ +", id, r)
		}
	}
	return ""
}

// checkNamespace says what is wrong with a namespace name (a DNS-1123
// label), or "".
func checkNamespace(ns string) string {
	if len(ns) > 63 {
		return "longer than 63 characters"
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !alnum && (c != '-' || i == 0 || i == len(ns)-1) {
			return "a namespace is lowercase letters, digits and '-', starting and ending with a letter or digit"
		}
	}
	return ""
}

// SanitizeNamespace turns a student id into a namespace name: lowercase,
// every run of other characters a '-', at most 63 characters ("Budi.Santoso"
// is "budi-santoso", "13519001" stays).
func SanitizeNamespace(id string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(id) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	if s == "" {
		s = "student"
	}
	return s
}

// DefaultNamespace is the namespace of a student of the shared cluster when
// the roster names none: prefix + the sanitised id, at most 63 characters.
func DefaultNamespace(prefix, id string) string {
	s := prefix + SanitizeNamespace(id)
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}
