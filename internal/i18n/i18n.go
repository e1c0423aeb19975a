// Package i18n is kubelab's one message catalog: every sentence a student,
// lecturer or lab author reads goes through T, and its translations live in
// one YAML file per language under messages/ (messages/id.yaml maps each
// English sentence to its Indonesian), which a translator edits without
// reading Go. See docs/i18n.md.
//
// The English text is the message key, as in gettext and kubectl's i18n.T:
// the code stays readable (T("Deployment %s has no container.", name)), and a
// sentence with no translation falls back to its English. A report is
// rendered in a language chosen at render time, so T does not translate: it
// returns a Msg (the key and its arguments), and Msg.In(lang) looks the key
// up and formats. A Msg given as an argument to another is translated into
// the same language, so sentences compose.
//
// Why not a library:
//   - golang.org/x/text/message formats with a locale-aware Printer, which
//     groups digits by locale: port 5000 would print as "5.000" in
//     Indonesian. kubelab's messages are full of ports, counts of restarts
//     and image digests, which must print as the student typed them. Its
//     catalogs are also built in Go code (or by gotext's JSON pipeline), not
//     a file a translator edits.
//   - go-i18n keys messages by ID and formats with text/template, so every
//     one of kubelab's printf-style sentences would be rewritten as a
//     template with named fields, and the code would read IDs, not English.
//
// So the formatting is plain fmt.Sprintf after the lookup, and the catalog
// a plain YAML mapping. Two sentences whose English is the same but whose
// translation must differ are told apart by a context (TC), written in the
// catalog as "[context] English".
package i18n

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Msg is a message not yet translated: its key (the English text, with an
// optional context) and the arguments of its format verbs. The zero Msg is
// the empty text.
type Msg struct {
	ctx, key string
	args     []any
	fn       func(lang string) string
}

// T is the message whose English is key; args fill its format verbs (with
// fmt.Sprintf) in whatever language it is rendered in. With no args, key is
// not formatted ("100%" stays as written).
func T(key string, args ...any) Msg { return Msg{key: key, args: args} }

// TC is T with a context, for an English text that needs two different
// translations: the catalog entry is "[ctx] key". The English is key.
func TC(ctx, key string, args ...any) Msg { return Msg{ctx: ctx, key: key, args: args} }

// Tr translates at once: T(key, args...).In(lang).
func Tr(lang, key string, args ...any) string { return T(key, args...).In(lang) }

// IsZero reports whether m is the empty text.
func (m Msg) IsZero() bool { return m.key == "" && m.ctx == "" && len(m.args) == 0 && m.fn == nil }

// Key is the catalog key of m: its English, or "[ctx] English".
func (m Msg) Key() string { return catalogKey(m.ctx, m.key) }

// String is m in English.
func (m Msg) String() string { return m.In("en") }

// In renders m in lang: the translation of its key (the English when lang or
// the key has none), formatted with its arguments, each Msg among them
// rendered in lang too.
func (m Msg) In(lang string) string {
	if m.fn != nil {
		return m.fn(lang)
	}
	text := m.key
	if lang != "en" && m.ctx != rawCtx {
		if tr, ok := lookup(lang, m.Key()); ok {
			text = tr
		}
	}
	if len(m.args) == 0 {
		return text
	}
	args := make([]any, len(m.args))
	for i, a := range m.args {
		switch v := a.(type) {
		case Msg:
			args[i] = v.In(lang)
		case []Msg:
			s := make([]string, len(v))
			for j, x := range v {
				s[j] = x.In(lang)
			}
			args[i] = s
		default:
			args[i] = a
		}
	}
	return fmt.Sprintf(text, args...)
}

// Join is the messages joined by sep (itself translated), in any language.
func Join(parts []Msg, sep Msg) Msg {
	if len(parts) == 0 {
		return Msg{}
	}
	key := strings.Repeat("%s%s", len(parts))
	key = key[:len(key)-2]
	args := make([]any, 0, 2*len(parts)-1)
	for i, p := range parts {
		if i > 0 {
			args = append(args, sep)
		}
		args = append(args, p)
	}
	// The key is made of verbs only, so it needs no translation: mark it
	// as already translated by rendering through raw.
	return Msg{ctx: rawCtx, key: key, args: args}
}

// Concat is the messages one after the other.
func Concat(parts ...Msg) Msg { return Join(parts, Msg{}) }

// Func is a message computed from another's rendering (e.g. a prefix cut
// off): f gets the language and returns the text in it. Every sentence f
// returns must itself come from T, so the catalog test sees its key.
func Func(f func(lang string) string) Msg { return Msg{fn: f} }

// Raw is text that is not translated (a name, a value from the cluster,
// or text already in the reader's language), as a Msg to compose with
// others.
func Raw(s string) Msg { return Msg{ctx: rawCtx, key: "%s", args: []any{s}} }

// rawCtx marks a Msg whose key is a bare format, never looked up.
const rawCtx = "\x00raw"

func catalogKey(ctx, key string) string {
	if ctx == "" || ctx == rawCtx {
		return key
	}
	return "[" + ctx + "] " + key
}

//go:embed messages/*.yaml
var files embed.FS

var (
	loadOnce sync.Once
	catalogs map[string]map[string]string
	loadErr  error
)

func load() {
	catalogs = map[string]map[string]string{}
	names, err := files.ReadDir("messages")
	if err != nil {
		loadErr = err
		return
	}
	for _, n := range names {
		lang, ok := strings.CutSuffix(n.Name(), ".yaml")
		if !ok {
			continue
		}
		b, err := files.ReadFile(path.Join("messages", n.Name()))
		if err != nil {
			loadErr = err
			return
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			loadErr = fmt.Errorf("messages/%s: %w", n.Name(), err)
			return
		}
		catalogs[lang] = m
	}
}

func lookup(lang, key string) (string, bool) {
	loadOnce.Do(load)
	tr, ok := catalogs[lang][key]
	return tr, ok && tr != ""
}

// Err is the error met reading the embedded catalogs, if any (a test and
// `kubelab lab validate` report it; rendering falls back to English).
func Err() error {
	loadOnce.Do(load)
	return loadErr
}

// Languages lists the languages messages can be rendered in: English (the
// keys) and one per catalog file, sorted.
func Languages() []string {
	loadOnce.Do(load)
	out := []string{"en"}
	for l := range catalogs {
		if l != "en" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// Supports reports whether lang has a catalog (English always does).
func Supports(lang string) bool {
	loadOnce.Do(load)
	_, ok := catalogs[lang]
	return lang == "en" || ok
}

// Catalog returns a copy of lang's catalog: key -> translation.
func Catalog(lang string) map[string]string {
	loadOnce.Do(load)
	out := map[string]string{}
	for k, v := range catalogs[lang] {
		out[k] = v
	}
	return out
}
