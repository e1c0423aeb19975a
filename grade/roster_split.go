package grade

import (
	"strings"
)

// Splitting a roster's text into records: the separator, quoting, blank lines.

// detectSeparator reads the header line: semicolons when it has more of
// them than commas outside quotes (what a spreadsheet in a comma-decimal
// locale writes), else commas.
func detectSeparator(text string) rune {
	commas, semis := 0, 0
	inQ := false
	for _, r := range text {
		switch {
		case r == '"':
			inQ = !inQ
		case inQ:
		case r == '\n' || r == '\r':
			if semis > commas {
				return ';'
			}
			return ','
		case r == ',':
			commas++
		case r == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// split cuts text into records (RFC 4180 with \n, \r\n or \r line ends),
// recording each field's line and column. Blank lines are skipped. Quoting
// problems are reported and the parse goes on.
func (p *rosterParser) split(text string, sep rune) []record {
	var recs []record
	line, col := 1, 1
	rs := []rune(text)
	i := 0
	next := func() rune {
		r := rs[i]
		i++
		if r == '\n' || (r == '\r' && (i >= len(rs) || rs[i] != '\n')) {
			line, col = line+1, 1
		} else if r != '\r' {
			col++
		}
		return r
	}
	for i < len(rs) {
		rec := record{line: line}
		for {
			f := field{line: line, col: col}
			var b strings.Builder
			if i < len(rs) && rs[i] == '"' {
				f.quoted = true
				qLine, qCol := line, col
				next()
				closed := false
				for i < len(rs) {
					r := next()
					if r == '"' {
						if i < len(rs) && rs[i] == '"' {
							next()
							b.WriteRune('"')
							continue
						}
						closed = true
						break
					}
					if r == '\r' && i < len(rs) && rs[i] == '\n' {
						continue
					}
					b.WriteRune(r)
				}
				if !closed {
					p.add(qLine, qCol, "a quoted field is never closed (a missing \")")
					rec.broken = true
				}
				if closed && i < len(rs) && rs[i] != sep && rs[i] != '\n' && rs[i] != '\r' {
					p.add(line, col, "text after a closing quote: quote the whole field")
					for i < len(rs) && rs[i] != sep && rs[i] != '\n' && rs[i] != '\r' {
						b.WriteRune(next())
					}
				}
			} else {
				for i < len(rs) && rs[i] != sep && rs[i] != '\n' && rs[i] != '\r' {
					r := next()
					if r == '"' {
						p.add(line, col-1, "a quote inside an unquoted field: quote the whole field and double the quote (\"\")")
					}
					b.WriteRune(r)
				}
			}
			f.val = b.String()
			rec.fields = append(rec.fields, f)
			if i < len(rs) && rs[i] == sep {
				next()
				continue
			}
			rec.endLine, rec.endCo = line, col
			if i < len(rs) {
				next() // the line end (\r\n counts once)
				if rs[i-1] == '\r' && i < len(rs) && rs[i] == '\n' {
					next()
				}
			}
			break
		}
		if blank(rec) {
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

func blank(r record) bool {
	for _, f := range r.fields {
		if f.quoted || strings.TrimSpace(f.val) != "" {
			return false
		}
	}
	return true
}
