package labs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The skeleton that `kubelab lab new` writes is a lab like any other: a
// lab.yaml and its lessons in Markdown, kept as files so an author reads and
// edits them as such. LABID in any file is replaced by the new lab's id.
//
//go:embed skeleton
var skeletonFS embed.FS

// ErrSkeletonArgs marks a bad lab name or a directory that is not empty:
// the caller's mistake, not a failure to write.
var ErrSkeletonArgs = errors.New("bad lab name or directory")

var labIDRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

// NewSkeleton writes a small working lab named id into dir (which must be
// empty or missing unless force), loads it back with cat to prove it
// validates as written, and returns it with the paths written, sorted.
func NewSkeleton(dir, id string, force bool, cat Catalog) (*Lab, []string, error) {
	if !labIDRe.MatchString(id) || len(id) > 50 {
		return nil, nil, fmt.Errorf("%w: lab name %q: use lower-case letters, digits, '-' and '.' (at most 50), e.g. k8s-week3", ErrSkeletonArgs, id)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !force {
		return nil, nil, fmt.Errorf("%w: %s exists and is not empty; choose another --dir or pass --force", ErrSkeletonArgs, dir)
	}
	var written []string
	err := fs.WalkDir(skeletonFS, "skeleton", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := skeletonFS.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "skeleton/")))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(strings.ReplaceAll(string(data), "LABID", id)), 0o644); err != nil {
			return err
		}
		written = append(written, out)
		return nil
	})
	if err != nil {
		return nil, written, err
	}
	// The skeleton must load as written; anything else is a kubelab bug.
	l, err := Load(os.DirFS(dir), ".", cat)
	if err != nil {
		return nil, written, fmt.Errorf("the new lab does not validate (a kubelab bug): %w", err)
	}
	return l, written, nil
}
