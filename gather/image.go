package gather

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/snapshot"
)

// ImageOptions tune GatherImage.
type ImageOptions struct {
	// CacheDir holds what was read per manifest digest; empty disables the
	// cache.
	CacheDir string
	// Keychain finds registry credentials; default authn.DefaultKeychain
	// (the Docker config, as docker itself reads it).
	Keychain authn.Keychain
	// Transport is the HTTP transport; default remote.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each network step (look-up, manifest, config, each
	// layer); default 20s.
	Timeout time.Duration
	// Insecure allows plain HTTP (test registries on 127.0.0.1).
	Insecure bool
	// Files are the absolute paths to read from the image; default
	// DefaultImageFiles. GatherImage also looks for the same base names under
	// the image's WORKDIR, so a judge can say where the files went.
	Files []string
	// MaxFileBytes caps the content kept per file; default 64 KiB. Size
	// still says the file's real size.
	MaxFileBytes int64
	// MaxReadBytes caps the uncompressed layer bytes read looking for the
	// files; default 2 GiB (more than a full python base image). A layer
	// that inflates to far more than it weighs (a gzip bomb), or a huge image
	// without the files, is read this far and no further.
	MaxReadBytes int64
}

// DefaultImageFiles are the files the lesson's image must hold.
var DefaultImageFiles = snapshot.LessonFiles("/app")

const (
	imgDefaultTimeout  = 20 * time.Second
	imgDefaultMaxBytes = 64 << 10
	imgMaxConfigBytes  = 4 << 20
	imgDefaultMaxRead  = 2 << 30
	imgCacheVersion    = 1
)

// GatherImage reads what the registry says about ref: it looks the tag up
// (HEAD), then, unless the digest is cached, reads the manifest, the config
// and the wanted files, streaming layers from the top down and stopping as
// soon as every file is resolved. It never pulls the whole image. Problems
// are recorded in the result, never returned.
func GatherImage(ctx context.Context, ref string, opt ImageOptions) *snapshot.ImageInfo {
	info := &snapshot.ImageInfo{Ref: ref}
	opt = opt.withDefaults()

	s := strings.TrimSpace(ref)
	if s == "" {
		info.Invalid = "no image reference was given"
		return info
	}
	if why := snapshot.BadRefText(s); why != "" {
		info.Invalid = fmt.Sprintf("%q is not a valid image reference (%s); write it as user/repository:tag", s, why)
		return info
	}
	var popts []name.Option
	if opt.Insecure {
		popts = append(popts, name.Insecure)
	}
	r, err := name.ParseReference(s, popts...)
	if err != nil {
		info.Invalid = fmt.Sprintf("%q is not a valid image reference (%s); write it as user/repository:tag", s, imgParseReason(s, err))
		return info
	}
	info.Name = r.Name()

	g := &imgGatherer{opt: opt, ref: r, info: info, capture: &imgCapture{inner: opt.Transport}}
	g.run(ctx)
	return info
}

func (o ImageOptions) withDefaults() ImageOptions {
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Transport == nil {
		o.Transport = remote.DefaultTransport
	}
	if o.Timeout <= 0 {
		o.Timeout = imgDefaultTimeout
	}
	if len(o.Files) == 0 {
		o.Files = DefaultImageFiles
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = imgDefaultMaxBytes
	}
	if o.MaxReadBytes <= 0 {
		o.MaxReadBytes = imgDefaultMaxRead
	}
	return o
}

// imgParseReason says why ref does not parse, in words a student acts on.
func imgParseReason(ref string, err error) string {
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	switch {
	case strings.ContainsAny(ref, " \t"):
		return "it contains a space"
	case repo != strings.ToLower(repo):
		return "repository names must be lowercase"
	}
	return strings.TrimPrefix(err.Error(), "could not parse reference: ")
}

type imgGatherer struct {
	opt     ImageOptions
	ref     name.Reference
	info    *snapshot.ImageInfo
	capture *imgCapture
	puller  *remote.Puller
}

// step runs f with a context bounded by the per-step timeout.
func (g *imgGatherer) step(ctx context.Context, f func(ctx context.Context) error) error {
	sctx, cancel := context.WithTimeout(ctx, g.opt.Timeout)
	defer cancel()
	return f(sctx)
}

// fail records err. Only the look-up decides "not found" or "private": a
// registry that answers so after serving the manifest is inconsistent, which
// is not the student's doing.
func (g *imgGatherer) fail(what string, err error, lookup bool) *snapshot.GatherError {
	ge, notFound, private := imgClassify(err, g.capture.retryAfter())
	switch {
	case lookup && notFound:
		g.info.NotFound = true
		return nil
	case lookup && private:
		g.info.Private = true
		return nil
	case ge == nil:
		ge = &snapshot.GatherError{Kind: snapshot.ErrOther, Detail: imgDetail(err)}
	}
	ge.What = what
	return ge
}

func (g *imgGatherer) run(ctx context.Context) {
	info := g.info
	// Credentials are resolved here, so a broken Docker config is reported
	// as such rather than as a registry failure.
	auth, err := authn.Resolve(ctx, g.opt.Keychain, g.ref.Context())
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "read registry credentials from the Docker config", Detail: imgDetail(err)}
		return
	}
	p, err := remote.NewPuller(
		remote.WithAuth(auth),
		remote.WithTransport(g.capture),
		// A grader must not hammer a rate-limited registry: status codes are
		// never retried; a connection reset is retried once.
		remote.WithRetryStatusCodes(),
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 2}),
		remote.WithUserAgent("kubelab"),
	)
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "set up the registry client", Detail: err.Error()}
		return
	}
	g.puller = p

	// 1. HEAD: does the tag exist, and what is its digest?
	var head *v1.Descriptor
	err = g.step(ctx, func(ctx context.Context) (err error) {
		head, err = p.Head(ctx, g.ref)
		return err
	})
	if err != nil {
		info.Err = g.fail(fmt.Sprintf("look up %s on the registry", info.Name), err, true)
		return
	}
	info.Digest = head.Digest.String()
	info.MediaType = string(head.MediaType)
	info.IsIndex = head.MediaType.IsIndex()

	// 2. The cache, keyed by digest: a hit makes no further request.
	if g.loadCache(head.Digest) {
		return
	}

	// 3. The manifest, by digest so it is the one HEAD saw.
	repo := g.ref.Context()
	var top *remote.Descriptor
	err = g.step(ctx, func(ctx context.Context) (err error) {
		top, err = p.Get(ctx, repo.Digest(head.Digest.String()))
		return err
	})
	if err != nil {
		info.Err = g.fail(fmt.Sprintf("read the manifest of %s", info.Name), err, false)
		return
	}
	info.MediaType = string(top.MediaType)
	info.IsIndex = top.MediaType.IsIndex()

	manifestBytes := top.Manifest
	if info.IsIndex {
		child, ok, err := g.choosePlatform(top.Manifest)
		if err != nil {
			info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the index of %s", info.Name), Detail: err.Error()}
			return
		}
		if !ok {
			// An index with no image in it: nothing more to read.
			g.writeCache(head.Digest)
			return
		}
		var d *remote.Descriptor
		err = g.step(ctx, func(ctx context.Context) (err error) {
			d, err = p.Get(ctx, repo.Digest(child.Digest.String()))
			return err
		})
		if err != nil {
			info.Err = g.fail(fmt.Sprintf("read the %s manifest of %s", info.Platform, info.Name), err, false)
			return
		}
		manifestBytes = d.Manifest
	} else if !top.MediaType.IsImage() {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read %s", info.Name),
			Detail: fmt.Sprintf("unsupported manifest type %q (not a container image)", top.MediaType)}
		return
	}
	m, err := v1.ParseManifest(bytes.NewReader(manifestBytes))
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the manifest of %s", info.Name), Detail: err.Error()}
		return
	}

	// 4. The config.
	var raw []byte
	err = g.step(ctx, func(ctx context.Context) error {
		l, err := p.Layer(ctx, repo.Digest(m.Config.Digest.String()))
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		raw, err = io.ReadAll(io.LimitReader(rc, imgMaxConfigBytes))
		return err
	})
	if err != nil {
		info.Err = g.fail(fmt.Sprintf("read the config of %s", info.Name), err, false)
		return
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the config of %s", info.Name), Detail: err.Error()}
		return
	}
	info.Config = imgConfig(cf)
	if !info.IsIndex {
		pl := snapshot.PlatformString(cf.OS, cf.Architecture, cf.Variant)
		info.Platform = pl
		if pl != "" {
			info.Platforms = []string{pl}
		}
	}

	// 5. The files, top layer first.
	wanted := g.wanted()
	files, err := g.readFiles(ctx, repo, m.Layers, wanted)
	info.Files = files
	if err != nil {
		info.FilesErr = g.fail(fmt.Sprintf("read the files of %s", info.Name), err, false)
		return
	}
	g.writeCache(head.Digest)
}

// wanted returns the files to look for: the requested ones, and the same base
// names under the image's WORKDIR.
func (g *imgGatherer) wanted() []string {
	var out []string
	add := func(p string) {
		p = path.Clean("/" + p)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, f := range g.opt.Files {
		add(f)
	}
	if c := g.info.Config; c != nil && c.WorkingDir != "" {
		wd := snapshot.CleanDir(c.WorkingDir)
		for _, f := range g.opt.Files {
			add(path.Join(wd, path.Base(f)))
		}
	}
	return out
}

// choosePlatform records the index's platforms and picks linux/amd64, else
// the first image. Attestation manifests (buildx provenance, platform
// unknown/unknown) are not platforms.
func (g *imgGatherer) choosePlatform(raw []byte) (v1.Descriptor, bool, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, false, err
	}
	var images []v1.Descriptor
	var names []string
	for _, d := range im.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if !d.MediaType.IsImage() && d.MediaType != "" {
			continue
		}
		pl := "unknown"
		if d.Platform != nil {
			if d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown" {
				continue
			}
			if s := snapshot.PlatformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant); s != "" {
				pl = s
			}
		}
		images = append(images, d)
		names = append(names, pl)
	}
	g.info.Platforms = names
	if len(images) == 0 {
		return v1.Descriptor{}, false, nil
	}
	pick := 0
	for i, n := range names {
		if n == "linux/amd64" || strings.HasPrefix(n, "linux/amd64/") {
			pick = i
			break
		}
	}
	g.info.Platform = names[pick]
	return images[pick], true, nil
}

func imgConfig(cf *v1.ConfigFile) *snapshot.ImageConfig {
	c := &snapshot.ImageConfig{
		Entrypoint:   cf.Config.Entrypoint,
		Cmd:          cf.Config.Cmd,
		WorkingDir:   cf.Config.WorkingDir,
		Env:          cf.Config.Env,
		Labels:       cf.Config.Labels,
		Created:      cf.Created.Time,
		OS:           cf.OS,
		Architecture: cf.Architecture,
	}
	for p := range cf.Config.ExposedPorts {
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	slices.Sort(c.ExposedPorts)
	return c
}

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
				switch {
				case base == ".wh..wh..opq":
					hidden[strings.TrimSuffix(dir, "/")+"/"] = true
					for _, w := range wanted {
						if strings.HasPrefix(w, strings.TrimSuffix(dir, "/")+"/") {
							hidden[w] = true
						}
					}
					continue
				case strings.HasPrefix(base, ".wh."):
					gone := path.Join(dir, strings.TrimPrefix(base, ".wh."))
					hidden[gone] = true
					for _, w := range wanted {
						if w == gone || strings.HasPrefix(w, gone+"/") {
							hidden[w] = true
						}
					}
					continue
				}
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

type imgCacheEntry struct {
	Version      int                            `json:"version"`
	Digest       string                         `json:"digest"`
	MediaType    string                         `json:"media_type"`
	IsIndex      bool                           `json:"is_index"`
	Platforms    []string                       `json:"platforms,omitempty"`
	Platform     string                         `json:"platform,omitempty"`
	Config       *snapshot.ImageConfig          `json:"config,omitempty"`
	Files        map[string]*snapshot.ImageFile `json:"files,omitempty"`
	Paths        []string                       `json:"paths,omitempty"`
	Wanted       []string                       `json:"wanted"`
	MaxFileBytes int64                          `json:"max_file_bytes"`
}

func (g *imgGatherer) cachePath(h v1.Hash) string {
	if g.opt.CacheDir == "" || h.Algorithm == "" || h.Hex == "" ||
		strings.ContainsAny(h.Algorithm+h.Hex, `/\.`) {
		return ""
	}
	return filepath.Join(g.opt.CacheDir, h.Algorithm, h.Hex+".json")
}

func (g *imgGatherer) loadCache(h v1.Hash) bool {
	p := g.cachePath(h)
	if p == "" {
		return false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var e imgCacheEntry
	if json.Unmarshal(b, &e) != nil || e.Version != imgCacheVersion || e.Digest != h.String() ||
		e.MaxFileBytes != g.opt.MaxFileBytes {
		return false
	}
	for _, f := range g.opt.Files {
		if !slices.Contains(e.Wanted, path.Clean("/"+f)) {
			return false
		}
	}
	info := g.info
	info.MediaType, info.IsIndex = e.MediaType, e.IsIndex
	info.Platforms, info.Platform = e.Platforms, e.Platform
	info.Config, info.Files, info.Paths = e.Config, e.Files, e.Paths
	if info.Files == nil && info.Config != nil {
		info.Files = map[string]*snapshot.ImageFile{}
	}
	return true
}

// writeCache stores what was read, atomically (temp file + rename). A cache
// that cannot be written only costs a later request.
func (g *imgGatherer) writeCache(h v1.Hash) {
	p := g.cachePath(h)
	if p == "" {
		return
	}
	info := g.info
	e := imgCacheEntry{
		Version: imgCacheVersion, Digest: h.String(), MediaType: info.MediaType, IsIndex: info.IsIndex,
		Platforms: info.Platforms, Platform: info.Platform, Config: info.Config, Files: info.Files, Paths: info.Paths,
		Wanted: g.wanted(), MaxFileBytes: g.opt.MaxFileBytes,
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	_ = atomicfile.WriteFile(p, b, 0o600) // a cache: a failed write only costs a later re-read
}

// imgCapture remembers the Retry-After of the last 429 answer, which
// transport.Error does not keep.
type imgCapture struct {
	inner http.RoundTripper
	mu    sync.Mutex
	after time.Duration
}

func (c *imgCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := imgParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			c.mu.Lock()
			c.after = d
			c.mu.Unlock()
		}
	}
	return resp, err
}

func (c *imgCapture) retryAfter() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.after
}

// imgParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func imgParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now).Round(time.Second)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// imgClassify sorts a registry error: not found and private are the
// student's to fix; the rest are the environment's.
func imgClassify(err error, retryAfter time.Duration) (ge *snapshot.GatherError, notFound, private bool) {
	ge = &snapshot.GatherError{Kind: snapshot.ErrOther, Detail: imgDetail(err)}
	var te *transport.Error
	if errors.As(err, &te) {
		codes := map[transport.ErrorCode]bool{}
		for _, d := range te.Errors {
			codes[d.Code] = true
		}
		switch {
		case te.StatusCode == http.StatusNotFound || codes[transport.ManifestUnknownErrorCode] || codes[transport.NameUnknownErrorCode]:
			return nil, true, false
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden ||
			codes[transport.UnauthorizedErrorCode] || codes[transport.DeniedErrorCode]:
			return nil, false, true
		case te.StatusCode == http.StatusTooManyRequests || codes[transport.TooManyRequestsErrorCode]:
			ge.Kind, ge.RetryAfter = snapshot.ErrRateLimited, retryAfter
			return ge, false, false
		case te.StatusCode >= 500:
			ge.Detail = fmt.Sprintf("the registry answered HTTP %d %s", te.StatusCode, http.StatusText(te.StatusCode))
			return ge, false, false
		}
		return ge, false, false
	}
	var (
		dnsErr   *net.DNSError
		tlsRec   tls.RecordHeaderError
		tlsVer   *tls.CertificateVerificationError
		unknAuth x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invErr   x509.CertificateInvalidError
		netErr   net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		ge.Kind = snapshot.ErrTimeout
	case errors.Is(err, context.Canceled):
		ge.Kind, ge.Detail = snapshot.ErrOther, "canceled"
	case errors.As(err, &netErr) && netErr.Timeout():
		ge.Kind = snapshot.ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ECONNRESET), errors.As(err, &dnsErr),
		errors.As(err, &tlsRec), errors.As(err, &tlsVer), errors.As(err, &unknAuth), errors.As(err, &hostErr), errors.As(err, &invErr):
		ge.Kind = snapshot.ErrUnreachable
	}
	return ge, false, false
}

// imgDetail is an error's text for a report, without credentials: URLs lose
// any user info and query (tokens), and the text is bounded.
func imgDetail(err error) string {
	msg := err.Error()
	fields := strings.Fields(msg)
	for i, f := range fields {
		if strings.Contains(f, "://") {
			fields[i] = imgRedactURL(f)
		}
	}
	msg = strings.Join(fields, " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func imgRedactURL(s string) string {
	trail := strings.TrimLeft(s, "\"'")
	lead := s[:len(s)-len(trail)]
	if i := strings.Index(trail, "://"); i >= 0 {
		rest := trail[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 && (strings.Index(rest, "/") < 0 || at < strings.Index(rest, "/")) {
			rest = rest[at+1:]
		}
		if q := strings.IndexAny(rest, "?#"); q >= 0 {
			end := strings.IndexAny(rest[q:], "\"' ")
			if end < 0 {
				rest = rest[:q]
			} else {
				rest = rest[:q] + rest[q+end:]
			}
		}
		trail = trail[:i+3] + rest
	}
	return lead + trail
}
