// Package pysource reads the few things kubelab needs from a student's
// Python source without running it: which variable holds the Flask app, the
// arguments of a call such as app.run(...), and the value of a simple integer
// expression (a number, an environment lookup with a default, or a module
// variable holding one of those).
//
// It is a scanner, not a parser: it knows Python's comments and string
// literals (prefixes, escapes, triple quotes spanning lines), so that text
// inside a string or a comment is never taken for code, and it matches
// brackets; everything else is read with patterns. What it cannot work out
// it says it cannot (ok false) rather than guess.
package pysource

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Source is Python source, scanned once.
type Source struct {
	// code is the source with comments blanked out (same offsets).
	code string
	// mask is code with the contents of string literals blanked out as
	// well; the quotes stay. Searches run on mask, text is cut from code.
	mask string
}

// Scan scans Python source.
func Scan(src string) *Source {
	code, mask := blank(src)
	return &Source{code: code, mask: mask}
}

// Code returns the source without its comments (each comment's bytes, up to
// the end of its line, become spaces).
func (s *Source) Code() string { return s.code }

// blank returns src with comments blanked, and src with comments and the
// contents of string literals blanked. Newlines are kept, so offsets and
// line numbers stay those of src.
func blank(src string) (code, mask string) {
	c := []byte(src)
	m := []byte(src)
	for i := 0; i < len(src); {
		ch := src[i]
		switch {
		case ch == '#':
			for i < len(src) && src[i] != '\n' {
				c[i], m[i] = ' ', ' '
				i++
			}
		case ch == '"' || ch == '\'':
			q := 1
			if strings.HasPrefix(src[i:], strings.Repeat(string(ch), 3)) {
				q = 3
			}
			end, closed := stringEnd(src, i, q)
			inner := end
			if closed {
				inner = end - q
			}
			for j := i + q; j < inner; j++ {
				if src[j] != '\n' {
					m[j] = ' '
				}
			}
			i = end
		default:
			i++
		}
	}
	return string(c), string(m)
}

// stringEnd returns the offset just after the string literal whose
// opening quote (q quote characters) is at src[i], and whether it is closed.
// A one-quote literal left open ends at its line's end; a triple-quoted one
// at the end of the source.
func stringEnd(src string, i, q int) (int, bool) {
	closer := src[i : i+q]
	for j := i + q; j < len(src); j++ {
		switch {
		case src[j] == '\\':
			j++
		case strings.HasPrefix(src[j:], closer):
			return j + q, true
		case src[j] == '\n' && q == 1:
			return j, false
		}
	}
	return len(src), false
}

// Call is a call found in the source.
type Call struct {
	// Args is the text between the call's parentheses, comments removed.
	Args string
	// Positional are the positional arguments, trimmed, in order
	// (*args included as written).
	Positional []string
	// Keyword maps each keyword argument's name to its expression, trimmed.
	Keyword map[string]string
	// Offset is where the call's receiver starts in the source.
	Offset int
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// compiled is pattern compiled, kept for the next call: a class grading
// asks the same few questions of every student's app.py (the names come
// from the lab and from the app's own variable), and compiling them again
// each time was a tenth of judging. At most compiledKept are kept.
func compiled(pattern string) *regexp.Regexp {
	compiledRes.Lock()
	defer compiledRes.Unlock()
	if re, ok := compiledRes.m[pattern]; ok {
		return re
	}
	re := regexp.MustCompile(pattern)
	if len(compiledRes.m) < compiledKept {
		compiledRes.m[pattern] = re
	}
	return re
}

const compiledKept = 1024

var compiledRes = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

// FindCall returns the first call recv.method(...) in the code (not in a
// string or comment).
func (s *Source) FindCall(recv, method string) (Call, bool) {
	re := compiled(`\b` + regexp.QuoteMeta(recv) + `\s*\.\s*` + regexp.QuoteMeta(method) + `\s*\(`)
	if m := re.FindStringIndex(s.mask); m != nil {
		end := closing(s.mask[m[1]:])
		args := s.code[m[1] : m[1]+end]
		c := Call{Args: args, Keyword: map[string]string{}, Offset: m[0]}
		for _, r := range splitTop(s.mask[m[1]:m[1]+end], args) {
			a := strings.TrimSpace(r)
			if a == "" {
				continue
			}
			if k, v, ok := strings.Cut(a, "="); ok && identRe.MatchString(strings.TrimSpace(k)) && !strings.HasPrefix(v, "=") {
				c.Keyword[strings.TrimSpace(k)] = strings.TrimSpace(v)
			} else {
				c.Positional = append(c.Positional, a)
			}
		}
		return c, true
	}
	return Call{}, false
}

// closing returns the offset of the bracket that closes a call whose
// opening parenthesis precedes mask (or the end, for a call left open).
func closing(mask string) int {
	depth := 0
	for i := 0; i < len(mask); i++ {
		switch mask[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(mask)
}

// splitTop splits text on the commas that mask shows at bracket depth 0.
func splitTop(mask, text string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(mask); i++ {
		switch mask[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, text[start:i])
				start = i + 1
			}
		}
	}
	return append(out, text[start:])
}

// AssignedCall returns the variable that the first statement "NAME =
// callee(" assigns, for any of callees written as given (e.g. "Flask",
// "flask.Flask").
func (s *Source) AssignedCall(callees ...string) (string, bool) {
	alt := make([]string, len(callees))
	for i, c := range callees {
		alt[i] = strings.ReplaceAll(regexp.QuoteMeta(c), `\.`, `\s*\.\s*`)
	}
	re := compiled(`(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:` + strings.Join(alt, "|") + `)\s*\(`)
	if m := re.FindStringSubmatch(s.mask); m != nil {
		return m[1], true
	}
	return "", false
}

// Assigned returns the expression of the last line "name = EXPR" in the
// code (to the end of that line), if there is one.
func (s *Source) Assigned(name string) (string, bool) {
	re := compiled(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s*=[^=]`)
	ms := re.FindAllStringIndex(s.mask, -1)
	if len(ms) == 0 {
		return "", false
	}
	start := ms[len(ms)-1][1] - 1
	end := strings.IndexByte(s.code[start:], '\n')
	if end < 0 {
		end = len(s.code) - start
	}
	v := strings.TrimSpace(s.code[start : start+end])
	return v, v != ""
}

var (
	numberRe   = regexp.MustCompile(`^\d+$`)
	envGetRe   = regexp.MustCompile(`(?:environ\.get|getenv|environ\.setdefault)\s*\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']?(\d+)["']?)?\s*\)`)
	envIndexRe = regexp.MustCompile(`environ\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]`)
)

// Int evaluates the simple integer expressions students write for a port:
// a number; os.environ.get("PORT", 5000), os.getenv(...) or
// os.environ["PORT"] (int(...) around them or not), with getenv giving the
// environment the program would run with; or a module variable holding one
// of those (two levels deep at most). ok is false for anything else.
func (s *Source) Int(expr string, getenv func(string) (string, bool)) (n int, ok bool) {
	return s.intExpr(expr, getenv, 0)
}

func (s *Source) intExpr(expr string, getenv func(string) (string, bool), depth int) (int, bool) {
	expr = strings.TrimSpace(expr)
	atoi := func(v string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil
	}
	if numberRe.MatchString(expr) {
		return atoi(expr)
	}
	if m := envGetRe.FindStringSubmatch(expr); m != nil {
		if v, ok := getenv(m[1]); ok {
			return atoi(v)
		}
		if m[2] != "" {
			return atoi(m[2])
		}
		return 0, false
	}
	if m := envIndexRe.FindStringSubmatch(expr); m != nil {
		if v, ok := getenv(m[1]); ok {
			return atoi(v)
		}
		return 0, false
	}
	if identRe.MatchString(expr) && depth < 2 {
		if v, ok := s.Assigned(expr); ok {
			return s.intExpr(v, getenv, depth+1)
		}
	}
	return 0, false
}
