package checks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the check catalog in docs/lab-authoring.md from the code")

// TestCatalogDocs: the catalog in docs/lab-authoring.md is exactly what the
// code says (every id of IDs(), every parameter with its default), so the
// docs never go stale. Regenerate with -update-docs.
func TestCatalogDocs(t *testing.T) {
	path := filepath.Join("..", "docs", "lab-authoring.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, CatalogDocBegin), strings.Index(doc, CatalogDocEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the catalog markers %q ... %q", path, CatalogDocBegin, CatalogDocEnd)
	}
	want := CatalogMarkdown()
	got := strings.TrimPrefix(doc[i+len(CatalogDocBegin):j], "\n")
	if got == want {
		return
	}
	if *updateDocs {
		doc = doc[:i+len(CatalogDocBegin)] + "\n" + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated the catalog in %s", path)
		return
	}
	for _, id := range IDs() {
		if !strings.Contains(got, "#### `"+id+"`") {
			t.Errorf("the docs do not describe check %s", id)
		}
		for _, p := range catalog[id].Params {
			if !strings.Contains(got, "| `"+p.Name+"` |") {
				t.Errorf("the docs do not describe parameter %s of %s", p.Name, id)
			}
		}
	}
	t.Errorf("the check catalog in %s is stale; run: go test ./checks -run TestCatalogDocs -update-docs", path)
}
