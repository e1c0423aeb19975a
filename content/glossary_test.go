package content

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// glossary is what GLOSSARY.md decides: each rejected word with the word to
// use instead, and the fixed names that may contain a rejected word.
type glossary struct {
	rejected map[string]string // lower-case rejected word -> chosen word
	fixed    []string          // lower-case phrases removed before scanning
	phrases  map[string]string // lower-case rejected phrase ("klaster kamu") -> chosen
}

func loadGlossary(t *testing.T) glossary {
	t.Helper()
	b, err := os.ReadFile("GLOSSARY.md")
	if err != nil {
		t.Fatal(err)
	}
	g := glossary{rejected: map[string]string{}, phrases: map[string]string{}}
	section := ""
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimSpace(line[3:])
			continue
		}
		switch {
		case section == "Words" && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| chosen") && !strings.HasPrefix(line, "| ---"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 3 {
				t.Fatalf("GLOSSARY.md:%d: want | chosen | rejected | why |, got %d cells", i+1, len(cells))
			}
			for _, w := range strings.Split(cells[1], ",") {
				w = strings.ToLower(strings.TrimSpace(w))
				if w == "" || strings.ContainsAny(w, " `") {
					t.Fatalf("GLOSSARY.md:%d: rejected word %q must be one plain word", i+1, w)
				}
				g.rejected[w] = cells[0]
			}
		case section == "Possessive" && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| rejected") && !strings.HasPrefix(line, "| ---"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 2 {
				t.Fatalf("GLOSSARY.md:%d: want | rejected | chosen |, got %d cells", i+1, len(cells))
			}
			g.phrases[strings.ToLower(cells[0])] = cells[1]
		case section == "Fixed names" && strings.HasPrefix(line, "- `"):
			g.fixed = append(g.fixed, strings.ToLower(strings.Trim(line[2:], "` ")))
		}
	}
	if len(g.rejected) < 5 || len(g.fixed) == 0 || len(g.phrases) < 5 {
		t.Fatalf("GLOSSARY.md: found %d rejected words and %d fixed names; the tables were not read", len(g.rejected), len(g.fixed))
	}
	return g
}

var (
	codeSpan = regexp.MustCompile("`[^`]*`")
	urls     = regexp.MustCompile(`https?://\S+|<[^>\s]*>`)
	word     = regexp.MustCompile(`[\p{L}\p{N}_.\-/]+`)
	// clauseEnd ends a sentence or a clause (punctuation before a space).
	clauseEnd = regexp.MustCompile(`[.!?;:,()]\s`)
	wordOrBar = regexp.MustCompile(`[\p{L}\p{N}_.\-/]+|\|`)
)

// find returns the rejected words in one line of Indonesian text. Code
// spans, URLs, tags and placeholders are skipped; so are dotted, slashed or
// underscored identifiers (cluster.reachable, /app/file). A word with an
// Indonesian suffix (cluster-mu, file-nya) still counts.
func (g glossary) find(s string) []string {
	s = codeSpan.ReplaceAllString(s, " ")
	s = urls.ReplaceAllString(s, " ")
	low := strings.ToLower(s)
	for _, f := range g.fixed {
		low = strings.ReplaceAll(low, f, " ")
	}
	var hits []string
	for _, tok := range word.FindAllString(low, -1) {
		tok = strings.Trim(tok, ".-/")
		if strings.ContainsAny(tok, "./_") {
			continue
		}
		base := tok
		if i := strings.Index(tok, "-"); i > 0 {
			switch tok[i+1:] {
			case "mu", "nya", "ku":
				base = tok[:i]
			default:
				continue // a compound such as multi-cluster or kube-proxy
			}
		}
		if _, ok := g.rejected[base]; ok {
			hits = append(hits, tok)
		}
	}
	return hits
}

func (g glossary) report(t *testing.T, where string, s string) {
	t.Helper()
	for _, w := range g.find(s) {
		t.Errorf("%s: %q is rejected by GLOSSARY.md (use %q): %s", where, w, g.rejected[strings.SplitN(w, "-", 2)[0]], strings.TrimSpace(s))
	}
	for _, ph := range g.phraseHits(s) {
		t.Errorf("%s: %q: GLOSSARY.md says %q: %s", where, ph, g.phrases[ph], strings.TrimSpace(s))
	}
}

// phraseHits returns the rejected phrases ("klaster kamu") in s, outside
// code spans, sorted.
func (g glossary) phraseHits(s string) []string {
	// A phrase does not run across a sentence or clause: "klaster. Kamu".
	text := clauseEnd.ReplaceAllString(strings.ToLower(codeSpan.ReplaceAllString(s, " "))+" ", " | ")
	toks := wordOrBar.FindAllString(text, -1)
	for i, tok := range toks {
		toks[i] = strings.Trim(tok, ".-/")
	}
	low := " " + strings.Join(toks, " ") + " "
	var out []string
	for ph := range g.phrases {
		if strings.Contains(low, " "+ph+" ") {
			out = append(out, ph)
		}
	}
	sort.Strings(out)
	return out
}

// TestGlossaryLessons scans every Indonesian lesson, outside code blocks.
func TestGlossaryLessons(t *testing.T) {
	g := loadGlossary(t)
	files, _ := filepath.Glob("*/id/*.md")
	if len(files) < 20 {
		t.Fatalf("only %d Indonesian lessons found", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fence := false
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fence = !fence
				continue
			}
			if !fence {
				g.report(t, fmt.Sprintf("%s:%d", f, i+1), line)
			}
		}
	}
}

// TestGlossaryLabSpecs scans the Indonesian texts of every lab.yaml: the
// "id" entries of title, description and hints.
func TestGlossaryLabSpecs(t *testing.T) {
	g := loadGlossary(t)
	files, _ := filepath.Glob("*/lab.yaml")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walkTexts(&doc, "", func(v *yaml.Node) {
			n++
			g.report(t, fmt.Sprintf("%s:%d", f, v.Line), v.Value)
		})
	}
	if n < 20 {
		t.Fatalf("only %d Indonesian texts found in lab.yaml files", n)
	}
}

// walkTexts calls fn for every Indonesian string: the value (or the list
// items) of key "id" in a mapping reached through a translatable key.
func walkTexts(n *yaml.Node, parentKey string, fn func(*yaml.Node)) {
	translatable := map[string]bool{"title": true, "description": true, "hints": true}
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			walkTexts(c, parentKey, fn)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "id" && translatable[parentKey] {
				if v.Kind == yaml.ScalarNode {
					fn(v)
				}
				for _, item := range v.Content {
					fn(item)
				}
				continue
			}
			walkTexts(v, k.Value, fn)
		}
	}
}

// TestGlossaryCatalog scans the Indonesian message catalog whole: every
// sentence kubelab's code says to a student, lecturer or author (checks,
// hints, reports, dashboard, serve, watch), one translation per entry.
func TestGlossaryCatalog(t *testing.T) {
	g := loadGlossary(t)
	const file = "../internal/i18n/messages/id.yaml"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a mapping of English to Indonesian", file)
	}
	m := doc.Content[0]
	n := 0
	for i := 1; i < len(m.Content); i += 2 {
		n++
		where := fmt.Sprintf("internal/i18n/messages/id.yaml:%d", m.Content[i].Line)
		g.report(t, where, m.Content[i].Value)
		if ph := englishPlaceholder.FindString(m.Content[i].Value); ph != "" {
			t.Errorf("%s: English placeholder %s in an Indonesian text (fill in the student's own name): %s", where, ph, m.Content[i].Value)
		}
	}
	if n < 250 {
		t.Fatalf("only %d Indonesian messages found in %s", n, file)
	}
}

// englishPlaceholder matches placeholders an Indonesian text must not
// carry: the student reads them as words to copy (GLOSSARY.md: placeholders
// are Indonesian, or better the student's own names filled in).
var englishPlaceholder = regexp.MustCompile(`<(user|username|name|pod|deployment|container|file|service)>`)

func TestGlossaryFinds(t *testing.T) {
	g := loadGlossary(t)
	for s, want := range map[string]string{
		"Ini bukan kesalahan kamu.":             "kesalahan kamu",
		"Periksa Klaster kamu, lalu lanjut":     "klaster kamu",
		"Ini bukan kesalahanmu; `klaster kamu`": "",
		"yang kamu push":                        "",
	} {
		if got := strings.Join(g.phraseHits(s), ","); got != want {
			t.Errorf("phraseHits(%q) = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[string]string{
		"Lihat di cluster-mu":                          "cluster-mu",
		"bila Anda punya":                              "anda",
		"`cluster.reachable` dan ClusterIP":            "",
		"cek cluster.reachable":                        "cek",
		"meminta container runtime":                    "",
		"berkas di /app/file.txt":                      "",
		"buka https://example.com/cluster atau <file>": "",
		"Wrong port":                                   "wrong",
	} {
		got := strings.Join(g.find(s), ",")
		if got != want {
			t.Errorf("find(%q) = %q, want %q", s, got, want)
		}
	}
}
