package i18n

import "strconv"

// Verbs lists the format verbs of a printf format, in order, as the
// argument index each consumes (1-based) and its verb letter, e.g. "%d" ->
// "1d". %% is not a verb. A translation must use the same verbs as its key
// (in any order, with explicit indexes such as %[2]s), else the arguments
// would print in the wrong places; the catalog test compares them.
func Verbs(format string) []string {
	var out []string
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		// flags, width, precision and an explicit index
		for i < len(format) {
			c := format[i]
			if c == '[' {
				j := i + 1
				for j < len(format) && format[j] != ']' {
					j++
				}
				if n, err := strconv.Atoi(format[i+1 : j]); err == nil {
					arg = n
				}
				i = j + 1
				continue
			}
			if c == '+' || c == '-' || c == '#' || c == ' ' || c == '0' || c == '.' || (c >= '1' && c <= '9') || c == '*' {
				i++
				continue
			}
			break
		}
		if i >= len(format) {
			break
		}
		if format[i] == '%' {
			continue
		}
		out = append(out, strconv.Itoa(arg)+string(format[i]))
		arg++
	}
	return out
}
