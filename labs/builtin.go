package labs

import (
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/kubelab/kubelab/content"
)

// Builtin loads every lab embedded in the binary, sorted by id.
func Builtin(cat Catalog) ([]*Lab, error) {
	entries, err := fs.ReadDir(content.FS, ".")
	if err != nil {
		return nil, err
	}
	var out []*Lab
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		l, err := Load(content.FS, e.Name(), cat)
		if err != nil {
			return nil, fmt.Errorf("built-in lab %s: %w", e.Name(), err)
		}
		l.Source = "builtin"
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DefaultLab is the lab used when a command names none.
const DefaultLab = "kubernetes-basics"

// Find returns the lab to use: the one in labDir when set, else the built-in
// lab named id (DefaultLab when empty).
func Find(id, labDir string, cat Catalog) (*Lab, error) {
	if labDir != "" {
		l, err := Load(os.DirFS(labDir), ".", cat)
		if err != nil {
			return nil, err
		}
		l.Source = labDir
		if id != "" && id != l.ID {
			return nil, fmt.Errorf("lab directory %s holds lab %q, not %q", labDir, l.ID, id)
		}
		return l, nil
	}
	if id == "" {
		id = DefaultLab
	}
	all, err := Builtin(cat)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range all {
		if l.ID == id {
			return l, nil
		}
		ids = append(ids, l.ID)
	}
	return nil, fmt.Errorf("no built-in lab %q (built-in labs: %v); use --lab-dir for your own", id, ids)
}
