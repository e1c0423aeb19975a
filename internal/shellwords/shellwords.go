// Package shellwords reads command lines the way a POSIX shell reads them
// (token recognition and quoting, POSIX.1-2017 XCU 2.2, 2.3 and 2.6.2),
// without ever running a shell. kubelab reads two kinds of command line: the
// shell script an image's CMD or ENTRYPOINT hands to /bin/sh -c (judged, never
// run), and a lab solution's kubectl line (run, but without a shell). Both are
// read by this package so that they follow one set of rules.
//
// The rules:
//   - Blanks (space, tab) separate words; a newline is an operator.
//   - Operators are | || & && ; ;; ( ) < > << <<- >> <& >& <> >| and newline,
//     recognised outside quotes wherever they stand: a|b is three tokens.
//   - # at the start of a word begins a comment that runs to the end of the
//     line; inside a word (a#b) it is an ordinary character.
//   - A backslash outside quotes keeps the next character as it is; a
//     backslash before a newline joins the lines; a backslash at the very end
//     is kept.
//   - Single quotes keep everything up to the next single quote as written.
//   - Inside double quotes a backslash escapes only $ ` " \ and newline;
//     before any other character it is kept.
//   - $NAME, ${...}, $(...) and `...` are part of the word they stand in
//     (their parentheses are not operators). What happens to them is the
//     caller's choice (see Options.Lookup).
//
// Not supported, on purpose: field splitting of expanded values (a value
// always stays one word), globbing, tilde expansion, arithmetic, the bodies
// of here-documents, and aliases or keywords. Reading is done on bytes; text
// that is not UTF-8 passes through unchanged.
package shellwords

import (
	"fmt"
	"strings"
)

// Kind says what a token is.
type Kind uint8

const (
	// Word is a word after quote removal (and expansion, with a Lookup).
	Word Kind = iota + 1
	// Operator is a control or redirection operator, or a newline.
	Operator
	// Comment is a comment, from # to the end of its line (without the
	// newline).
	Comment
)

// Token is one word, operator or comment.
type Token struct {
	Kind Kind
	// Text is the word's value, the operator, or the comment.
	Text string
	// Start and End are the byte offsets of the token in the input.
	Start, End int
}

// Options change how words are read.
type Options struct {
	// Lookup, when set, expands $NAME and ${NAME} outside single quotes to
	// the value it returns; the value is never split or re-read. $$ stands
	// for a literal $ (not the shell's process id), and a $ that is not
	// followed by a name or { stays as it is. Command substitution ($(...)
	// and `...`) is then an error, since nothing will run it. An error from
	// Lookup stops the reading.
	//
	// When Lookup is nil nothing is expanded: $NAME, ${...}, $(...) and
	// `...` stay in the word as written, which is what a reader of a script
	// that runs elsewhere wants.
	Lookup func(name string) (string, error)
}

// ErrKind says what went wrong.
type ErrKind uint8

const (
	ErrSingleQuote  ErrKind = iota + 1 // a ' is not closed
	ErrDoubleQuote                     // a " is not closed
	ErrBrace                           // a ${ is not closed
	ErrSubstitution                    // $( or ` with a Lookup; Text says which
	ErrOpenSubst                       // a $( or ` is not closed (no Lookup)
	ErrLookup                          // Lookup failed; Err is its error
	ErrOperator                        // Split met an operator; Text is it
	ErrComment                         // Split met a comment
)

// Error is a syntax error, or Lookup's error, at a byte offset of the input.
type Error struct {
	Kind   ErrKind
	Offset int
	// Text is the operator or substitution concerned, where there is one.
	Text string
	// Err is Lookup's error for ErrLookup.
	Err error
}

func (e *Error) Error() string {
	switch e.Kind {
	case ErrSingleQuote:
		return fmt.Sprintf("unterminated single quote at byte %d", e.Offset)
	case ErrDoubleQuote:
		return fmt.Sprintf("unterminated double quote at byte %d", e.Offset)
	case ErrBrace:
		return fmt.Sprintf("unterminated ${...} at byte %d", e.Offset)
	case ErrSubstitution:
		return fmt.Sprintf("command substitution (%s) at byte %d needs a shell", e.Text, e.Offset)
	case ErrOpenSubst:
		return fmt.Sprintf("unterminated command substitution (%s) at byte %d", e.Text, e.Offset)
	case ErrLookup:
		return e.Err.Error()
	case ErrOperator:
		return fmt.Sprintf("shell operator %q at byte %d", e.Text, e.Offset)
	case ErrComment:
		return fmt.Sprintf("comment at byte %d", e.Offset)
	}
	return fmt.Sprintf("shell syntax error at byte %d", e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

// operators, longest first so that the longest match wins.
var operators = []string{"<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|", "|", "&", ";", "<", ">", "(", ")"}

func isOperatorStart(c byte) bool { return strings.IndexByte("|&;<>()", c) >= 0 }

// Lex reads s into tokens. On an error it returns the tokens read so far,
// the unfinished word last (holding what was read of it), and the error;
// a lenient reader may use them.
func Lex(s string, opt Options) ([]Token, error) {
	var toks []Token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '\n':
			toks = append(toks, Token{Kind: Operator, Text: "\n", Start: i, End: i + 1})
			i++
		case c == '#':
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s) - i
			}
			toks = append(toks, Token{Kind: Comment, Text: s[i : i+end], Start: i, End: i + end})
			i += end
		case isOperatorStart(c):
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, Token{Kind: Operator, Text: op, Start: i, End: i + len(op)})
					i += len(op)
					break
				}
			}
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2 // a line continuation between words
		default:
			w, end, err := word(s, i, opt)
			toks = append(toks, Token{Kind: Word, Text: w, Start: i, End: end})
			if err != nil {
				return toks, err
			}
			i = end
		}
	}
	return toks, nil
}

// word reads the word starting at s[i] and returns its value and where it
// ends.
func word(s string, i int, opt Options) (string, int, error) {
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || isOperatorStart(c):
			return b.String(), i, nil
		case c == '\\':
			switch {
			case i+1 == len(s):
				b.WriteByte('\\')
				i++
			case s[i+1] == '\n':
				i += 2
			default:
				b.WriteByte(s[i+1])
				i += 2
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				b.WriteString(s[i+1:])
				return b.String(), len(s), &Error{Kind: ErrSingleQuote, Offset: i}
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case c == '"':
			start := i
			i++
			closed := false
			for i < len(s) && !closed {
				switch d := s[i]; {
				case d == '"':
					closed = true
					i++
				case d == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
					if s[i+1] != '\n' {
						b.WriteByte(s[i+1])
					}
					i += 2
				case d == '$' || d == '`':
					n, err := expansion(&b, s, i, opt)
					if err != nil {
						return b.String(), len(s), err
					}
					i += n
				default:
					b.WriteByte(d)
					i++
				}
			}
			if !closed {
				return b.String(), len(s), &Error{Kind: ErrDoubleQuote, Offset: start}
			}
		case c == '$' || c == '`':
			n, err := expansion(&b, s, i, opt)
			if err != nil {
				return b.String(), len(s), err
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i, nil
}

// expansion handles the $ or ` at s[i]: it writes the expansion (or, without
// a Lookup, the text as written) to b and returns how many bytes it spans.
func expansion(b *strings.Builder, s string, i int, opt Options) (int, error) {
	if opt.Lookup != nil {
		if s[i] == '`' {
			return 0, &Error{Kind: ErrSubstitution, Offset: i, Text: "`...`"}
		}
		if strings.HasPrefix(s[i:], "$(") {
			return 0, &Error{Kind: ErrSubstitution, Offset: i, Text: "$(...)"}
		}
		return param(b, s, i, opt.Lookup)
	}
	// Keep the text as written, but read it whole so that the
	// parentheses and quotes inside a $(...) or `...` stay in this word.
	end, err := skipExpansion(s, i)
	b.WriteString(s[i:end])
	return end - i, err
}

// param expands the parameter at s[i] ('$'): $$, $NAME, ${NAME}, or a lone $.
func param(b *strings.Builder, s string, i int, lookup func(string) (string, error)) (int, error) {
	rest := s[i+1:]
	var name string
	var n int
	switch {
	case strings.HasPrefix(rest, "$"):
		b.WriteByte('$')
		return 2, nil
	case strings.HasPrefix(rest, "{"):
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return 0, &Error{Kind: ErrBrace, Offset: i}
		}
		name, n = rest[1:end], end+2
	default:
		name = rest[:nameLen(rest)]
		if name == "" {
			b.WriteByte('$')
			return 1, nil
		}
		n = len(name) + 1
	}
	v, err := lookup(name)
	if err != nil {
		return 0, &Error{Kind: ErrLookup, Offset: i, Text: name, Err: err}
	}
	b.WriteString(v)
	return n, nil
}

// nameLen is the length of the shell name ([A-Za-z_][A-Za-z0-9_]*) that s
// starts with.
func nameLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || n > 0 && '0' <= c && c <= '9' {
			n++
			continue
		}
		break
	}
	return n
}

// skipExpansion returns where the $... or `...` at s[i] ends, unexpanded.
func skipExpansion(s string, i int) (int, error) {
	switch {
	case s[i] == '`':
		for j := i + 1; j < len(s); j++ {
			if s[j] == '\\' {
				j++
			} else if s[j] == '`' {
				return j + 1, nil
			}
		}
		return len(s), &Error{Kind: ErrOpenSubst, Offset: i, Text: "`...`"}
	case strings.HasPrefix(s[i:], "${"):
		if end := strings.IndexByte(s[i:], '}'); end >= 0 {
			return i + end + 1, nil
		}
		return len(s), &Error{Kind: ErrBrace, Offset: i}
	case strings.HasPrefix(s[i:], "$("):
		depth := 0
		var quote byte
		for j := i + 1; j < len(s); j++ {
			c := s[j]
			switch {
			case quote == '\'':
				if c == '\'' {
					quote = 0
				}
			case c == '\\':
				j++
			case quote == '"':
				if c == '"' {
					quote = 0
				}
			case c == '\'' || c == '"':
				quote = c
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return len(s), &Error{Kind: ErrOpenSubst, Offset: i, Text: "$(...)"}
	}
	return i + 1, nil // $NAME, $$ and a lone $ read on as ordinary text
}

// Split returns the words of one simple command. An operator (a newline
// included) or a comment is an error (ErrOperator, ErrComment), since
// without a shell it would mean something else; so is any error of Lex.
func Split(s string, opt Options) ([]string, error) {
	toks, err := Lex(s, opt)
	var words []string
	for _, t := range toks {
		switch t.Kind {
		case Operator:
			return nil, &Error{Kind: ErrOperator, Offset: t.Start, Text: t.Text}
		case Comment:
			return nil, &Error{Kind: ErrComment, Offset: t.Start}
		}
		words = append(words, t.Text)
	}
	if err != nil {
		return nil, err
	}
	return words, nil
}

// Commands splits a script, leniently, into the simple commands a shell
// would run: a new command starts after ; & && | || ;; ( ) and newline.
// Redirections (> out, 2>&1, < in) are left out of the words; comments are
// dropped; nothing is expanded. A syntax error (an unclosed quote) ends the
// script where it stands, the unfinished word included. It is meant for
// judging what a script runs, not for running it.
func Commands(script string) [][]string {
	toks, _ := Lex(script, Options{})
	var cmds [][]string
	var cur []string
	var last *Token // the word last added to cur
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.Kind == Comment:
		case t.Kind == Word:
			cur = append(cur, t.Text)
			last = &toks[i]
			continue
		case strings.ContainsAny(t.Text, "<>"):
			// An IO number (the 2 of 2>) is digits touching the operator.
			if last != nil && last == &toks[i-1] && last.End == t.Start && isDigits(script[last.Start:last.End]) {
				cur = cur[:len(cur)-1]
			}
			if i+1 < len(toks) && toks[i+1].Kind == Word {
				i++ // the target
			}
		default:
			if len(cur) > 0 {
				cmds = append(cmds, cur)
				cur = nil
			}
		}
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Expand replaces $NAME and ${NAME} in s with lookup's values, as in an
// unquoted here-document but with no command substitution and no quoting:
// $$ is a literal $, and $(, a $ before anything that is not a name, quotes
// and backslashes are kept as written.
func Expand(s string, lookup func(string) (string, error)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		if strings.HasPrefix(s[i:], "$(") {
			b.WriteByte('$')
			i++
			continue
		}
		n, err := param(&b, s, i, lookup)
		if err != nil {
			return "", err
		}
		i += n
	}
	return b.String(), nil
}

// Quote returns w as one shell word that reads back as w: unchanged when
// it holds only characters no shell treats specially, else in single
// quotes (a ' inside written as '\”).
func Quote(w string) string {
	if w != "" && strings.Trim(w, safe) == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// safe are the bytes a word may hold unquoted (as Python's shlex.quote).
const safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-"

// Join quotes each word and joins them with spaces.
func Join(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}
