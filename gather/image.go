package gather

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

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
	imgCacheVersion    = 3 // 2: entries carry the image's file paths (near-miss names); 3: and the files the command starts
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
	if !g.connect(ctx) {
		return
	}

	// 1. HEAD: does the tag exist, and what is its digest?
	var head *v1.Descriptor
	err := g.step(ctx, func(ctx context.Context) (err error) {
		head, err = g.puller.Head(ctx, g.ref)
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
	m, ok := g.manifest(ctx, head.Digest)
	if !ok {
		return
	}

	// 4. The config.
	if !g.config(ctx, m) {
		return
	}

	// 5. The files, top layer first.
	files, err := g.readFiles(ctx, g.ref.Context(), m.Layers, g.wanted())
	info.Files = files
	if err != nil {
		info.FilesErr = g.fail(fmt.Sprintf("read the files of %s", info.Name), err, false)
		return
	}
	g.writeCache(head.Digest)
}

// connect resolves the registry credentials and makes the puller every
// request goes through. Credentials are resolved here, so a broken Docker
// config is reported as such rather than as a registry failure.
func (g *imgGatherer) connect(ctx context.Context) bool {
	auth, err := authn.Resolve(ctx, g.opt.Keychain, g.ref.Context())
	if err != nil {
		g.info.Err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "read registry credentials from the Docker config", Detail: imgDetail(err)}
		return false
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
		g.info.Err = &snapshot.GatherError{Kind: snapshot.ErrConfig, What: "set up the registry client", Detail: err.Error()}
		return false
	}
	g.puller = p
	return true
}

// manifest reads the image manifest of digest; for an index, the manifest
// of the platform choosePlatform picks. false when there is none to read
// further: info.Err says why, or the index holds no image (cached so).
func (g *imgGatherer) manifest(ctx context.Context, digest v1.Hash) (*v1.Manifest, bool) {
	info, repo := g.info, g.ref.Context()
	var top *remote.Descriptor
	err := g.step(ctx, func(ctx context.Context) (err error) {
		top, err = g.puller.Get(ctx, repo.Digest(digest.String()))
		return err
	})
	if err != nil {
		info.Err = g.fail(fmt.Sprintf("read the manifest of %s", info.Name), err, false)
		return nil, false
	}
	info.MediaType = string(top.MediaType)
	info.IsIndex = top.MediaType.IsIndex()

	manifestBytes := top.Manifest
	if info.IsIndex {
		child, ok, err := g.choosePlatform(top.Manifest)
		if err != nil {
			info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the index of %s", info.Name), Detail: err.Error()}
			return nil, false
		}
		if !ok {
			// An index with no image in it: nothing more to read.
			g.writeCache(digest)
			return nil, false
		}
		var d *remote.Descriptor
		err = g.step(ctx, func(ctx context.Context) (err error) {
			d, err = g.puller.Get(ctx, repo.Digest(child.Digest.String()))
			return err
		})
		if err != nil {
			info.Err = g.fail(fmt.Sprintf("read the %s manifest of %s", info.Platform, info.Name), err, false)
			return nil, false
		}
		manifestBytes = d.Manifest
	} else if !top.MediaType.IsImage() {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read %s", info.Name),
			Detail: fmt.Sprintf("unsupported manifest type %q (not a container image)", top.MediaType)}
		return nil, false
	}
	m, err := v1.ParseManifest(bytes.NewReader(manifestBytes))
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the manifest of %s", info.Name), Detail: err.Error()}
		return nil, false
	}
	return m, true
}

// config reads the image's config blob (at most imgMaxConfigBytes) into
// info.Config, and the platform of an image that is not an index. false:
// info.Err says why.
func (g *imgGatherer) config(ctx context.Context, m *v1.Manifest) bool {
	info := g.info
	var raw []byte
	err := g.step(ctx, func(ctx context.Context) error {
		l, err := g.puller.Layer(ctx, g.ref.Context().Digest(m.Config.Digest.String()))
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
		return false
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		info.Err = &snapshot.GatherError{Kind: snapshot.ErrOther, What: fmt.Sprintf("read the config of %s", info.Name), Detail: err.Error()}
		return false
	}
	info.Config = imgConfig(cf)
	if !info.IsIndex {
		pl := snapshot.PlatformString(cf.OS, cf.Architecture, cf.Variant)
		info.Platform = pl
		if pl != "" {
			info.Platforms = []string{pl}
		}
	}
	return true
}

// wanted returns the files to look for: the requested ones, the same base
// names under the image's WORKDIR, and the script the image's command starts
// wherever it sits (CMD python src/app.py) with a requirements.txt beside it
// or in a folder above it, so the checks judge the app that runs.
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
	for _, script := range snapshot.AppScripts(g.info.Config) {
		add(script)
		for _, r := range snapshot.RequirementsNear(script) {
			add(r)
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
