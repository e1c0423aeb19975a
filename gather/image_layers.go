package gather

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubelab/kubelab/snapshot"
)

// Reading the image's files from its layers, top down, within a size budget.

// readFiles resolves each wanted path from the top layer down. A file found
// in a layer is the image's version; a whiteout (.wh.<name>), an opaque
// directory marker (.wh..wh..opq) or a non-directory replacing a parent hides
// what lower layers hold. It stops reading as soon as every path is resolved.
func (g *imgGatherer) readFiles(ctx context.Context, repo name.Repository, layers []v1.Descriptor, wanted []string) (map[string]*snapshot.ImageFile, error) {
	found := map[string]*snapshot.ImageFile{}
	resolved := map[string]bool{}
	pending := func() int { return len(wanted) - len(resolved) }
	budget := &imgBudget{left: g.opt.MaxReadBytes, max: g.opt.MaxReadBytes}
	// Every regular file seen, for ImageInfo.Paths (near-miss names);
	// gone holds what upper layers' whiteouts deleted.
	seen, gone := map[string]bool{}, map[string]bool{}
	defer func() { g.info.Paths = imgSortedPaths(seen) }()

	for i := len(layers) - 1; i >= 0 && pending() > 0; i-- {
		d := layers[i]
		if !d.MediaType.IsDistributable() || len(d.URLs) > 0 {
			// Foreign (Windows base) layers are not served by the registry.
			continue
		}
		hidden := map[string]bool{}
		err := g.step(ctx, func(ctx context.Context) error {
			l, err := g.puller.Layer(ctx, repo.Digest(d.Digest.String()))
			if err != nil {
				return err
			}
			rc, err := l.Uncompressed()
			if err != nil {
				return err
			}
			// Closing early aborts the download: the rest of the layer is
			// never fetched.
			defer rc.Close()
			tr := tar.NewReader(budget.reader(rc))
			for pending() > 0 {
				h, err := tr.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				p := imgEntryPath(h.Name)
				dir, base := path.Split(p)
				dir = path.Clean(dir)
				if (h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA) && len(seen) < snapshot.MaxImagePaths && !snapshot.SystemDir(p) && !imgGone(gone, p) {
					seen[p] = true
				}
				if imgWhiteout(dir, base, wanted, hidden) {
					continue
				}
				if err := g.imgMatch(tr, h, p, wanted, resolved, found, hidden); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return found, err
		}
		// Whiteouts hide lower layers only: what this layer itself holds
		// was resolved above.
		for w := range hidden {
			if slices.Contains(wanted, w) {
				resolved[w] = true
			}
			gone[w] = true
		}
	}
	return found, nil
}

// imgWhiteout records in hidden what a whiteout entry (an opaque directory
// marker or a .wh.<name> file) hides of the lower layers, and says whether
// the entry was one: a whiteout is never itself a wanted file.
func imgWhiteout(dir, base string, wanted []string, hidden map[string]bool) bool {
	switch {
	case base == ".wh..wh..opq":
		hidden[strings.TrimSuffix(dir, "/")+"/"] = true
		for _, w := range wanted {
			if strings.HasPrefix(w, strings.TrimSuffix(dir, "/")+"/") {
				hidden[w] = true
			}
		}
		return true
	case strings.HasPrefix(base, ".wh."):
		gone := path.Join(dir, strings.TrimPrefix(base, ".wh."))
		hidden[gone] = true
		for _, w := range wanted {
			if w == gone || strings.HasPrefix(w, gone+"/") {
				hidden[w] = true
			}
		}
		return true
	}
	return false
}

// imgMatch settles the wanted paths still open that the tar entry h (at p)
// decides: the file itself (read into found), a directory in its place, or a
// parent replaced by a file, which hides the lower layers.
func (g *imgGatherer) imgMatch(tr *tar.Reader, h *tar.Header, p string, wanted []string, resolved map[string]bool, found map[string]*snapshot.ImageFile, hidden map[string]bool) error {
	for _, w := range wanted {
		if resolved[w] {
			continue
		}
		switch {
		case w == p && h.Typeflag != tar.TypeDir:
			f := &snapshot.ImageFile{Size: h.Size}
			if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA {
				b, err := io.ReadAll(io.LimitReader(tr, g.opt.MaxFileBytes))
				if err != nil {
					return err
				}
				f.Content = string(b)
			}
			found[w] = f
			resolved[w] = true
		case w == p:
			// A directory where a file was wanted: not the file.
			resolved[w] = true
		case h.Typeflag != tar.TypeDir && strings.HasPrefix(w, p+"/"):
			// A parent replaced by a file or symlink hides the
			// lower layers' contents.
			hidden[w] = true
		}
	}
	return nil
}

// imgGone says whether p was deleted by an upper layer's whiteout (a path,
// or a directory ending in / for an opaque marker).
func imgGone(gone map[string]bool, p string) bool {
	if gone[p] {
		return true
	}
	for a := path.Dir(p); ; a = path.Dir(a) {
		if gone[a] && a != "/" || gone[strings.TrimSuffix(a, "/")+"/"] {
			return true
		}
		if a == "/" || a == "." {
			return false
		}
	}
}

func imgSortedPaths(seen map[string]bool) []string {
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// imgBudget is what may still be read of an image's layers, uncompressed.
type imgBudget struct{ left, max int64 }

// ImageTooLargeError says reading stopped at ImageOptions.MaxReadBytes.
type ImageTooLargeError struct{ Max int64 }

func (e *ImageTooLargeError) Error() string {
	return fmt.Sprintf("the image's layers hold more than %d MiB (uncompressed) before the wanted files; kubelab stopped reading there", e.Max>>20)
}

func (b *imgBudget) reader(r io.Reader) io.Reader { return &imgBudgetReader{r: r, b: b} }

type imgBudgetReader struct {
	r io.Reader
	b *imgBudget
}

func (r *imgBudgetReader) Read(p []byte) (int, error) {
	if r.b.left <= 0 {
		return 0, &ImageTooLargeError{Max: r.b.max}
	}
	if int64(len(p)) > r.b.left {
		p = p[:r.b.left]
	}
	n, err := r.r.Read(p)
	r.b.left -= int64(n)
	return n, err
}

// imgEntryPath turns a tar entry name ("app/app.py", "./app/app.py") into an
// absolute path.
func imgEntryPath(n string) string {
	return path.Clean("/" + strings.TrimPrefix(n, "./"))
}

// The cache: one JSON file per manifest digest.
