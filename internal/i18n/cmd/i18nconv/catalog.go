package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// catalog is id.yaml as a YAML node tree, so a rewrite keeps its comments
// and order; new entries go at the end under a comment naming their file.
type catalog struct {
	doc     yaml.Node
	have    map[string]string
	added   []string
	lastSrc string
}

func loadCatalog(path string) (*catalog, error) {
	c := &catalog{have: map[string]string{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &c.doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.doc.Kind == 0 || len(c.doc.Content) == 0 {
		c.doc = yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.TrimSpace(string(b)), Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	m := c.doc.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		*m = yaml.Node{Kind: yaml.MappingNode}
	}
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping of English to Indonesian", path)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		c.have[m.Content[i].Value] = m.Content[i+1].Value
	}
	return c, nil
}

func (c *catalog) add(en, id, src string) error {
	if have, ok := c.have[en]; ok {
		if have != id {
			return fmt.Errorf("%q is in the catalog as %q, here %q: give one a context (i18n.TC) by hand", en, have, id)
		}
		return nil
	}
	c.have[en] = id
	c.added = append(c.added, en)
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: en, Style: yaml.DoubleQuotedStyle}
	if src != c.lastSrc {
		k.HeadComment = "# " + src
		c.lastSrc = src
	}
	m := c.doc.Content[0]
	m.Content = append(m.Content, k, &yaml.Node{Kind: yaml.ScalarNode, Value: id, Style: yaml.DoubleQuotedStyle})
	return nil
}

func (c *catalog) save(path string) error {
	if len(c.added) == 0 {
		return nil
	}
	return os.WriteFile(path, c.encode(), 0o644)
}

// encode writes one "English": "translation" line per entry, each text
// double-quoted with Go's escapes (valid YAML escapes too). yaml.v3's own
// encoder would write a key over 128 bytes as a "? key : value" pair, which
// a translator should not have to read.
func (c *catalog) encode() []byte {
	var b bytes.Buffer
	comment := func(s string) {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				if !strings.HasPrefix(line, "#") {
					line = "# " + line
				}
				b.WriteString(line + "\n")
			}
		}
	}
	m := c.doc.Content[0]
	comment(c.doc.HeadComment)
	comment(m.HeadComment)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.HeadComment != "" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			comment(k.HeadComment)
		}
		fmt.Fprintf(&b, "%s: %s\n", strconv.Quote(k.Value), strconv.Quote(v.Value))
	}
	return b.Bytes()
}
