package grade

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/snapshot"
)

// Limiter is the one registry rate limiter of a grading run: every registry
// request waits for it. It spaces requests (at most one per Interval) and,
// when the registry answers 429 with Retry-After, pauses every request of
// the run until that time.
type Limiter struct {
	// Interval between requests; 0 means no spacing.
	Interval time.Duration

	mu          sync.Mutex
	next        time.Time
	pausedUntil time.Time
	pauses      atomic.Int64
}

// Wait blocks until a request may be sent, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		at := now
		if l.pausedUntil.After(at) {
			at = l.pausedUntil
		}
		if l.Interval > 0 && l.next.After(at) {
			at = l.next
		}
		if !at.After(now) {
			if l.Interval > 0 {
				l.next = now.Add(l.Interval)
			}
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		t := time.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Pause holds every request for d from now (a longer pause in force stays).
func (l *Limiter) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
		l.pauses.Add(1)
	}
}

// Pauses counts the pauses a Retry-After caused.
func (l *Limiter) Pauses() int64 { return l.pauses.Load() }

// limitedTransport makes every registry request wait for the limiter and
// pauses the limiter when the registry answers 429 with Retry-After, so all
// workers stop at once.
type limitedTransport struct {
	inner http.RoundTripper
	lim   *Limiter
	max   time.Duration
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.lim.Wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := t.inner.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok && d <= t.max {
			t.lim.Pause(d)
		}
	}
	return resp, err
}

func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// future is a value computed once and waited for by many.
type future[T any] struct {
	done chan struct{}
	val  T
}

func newFuture[T any]() *future[T] { return &future[T]{done: make(chan struct{})} }

func (f *future[T]) set(v T) { f.val = v; close(f.done) }

// peek returns the value if it is set.
func (f *future[T]) peek() (T, bool) {
	select {
	case <-f.done:
		return f.val, true
	default:
		var zero T
		return zero, false
	}
}

// wait returns the value, or false when ctx ends first.
func (f *future[T]) wait(ctx context.Context) (T, bool) {
	select {
	case <-f.done:
		return f.val, true
	case <-ctx.Done():
		var zero T
		return zero, false
	}
}

// imageSet gathers each distinct image once: one look-up (HEAD) per
// normalised reference, one full read (GatherImage) per digest; students
// with the same image share the result.
type imageSet struct {
	ctx     context.Context // the run's: a student's timeout does not end a shared gather
	opt     gather.ImageOptions
	lim     *Limiter
	maxWait time.Duration
	timeout time.Duration

	mu       sync.Mutex
	byRef    map[string]*future[imageResult]
	byDigest map[string]*future[imageResult]

	// Gathers counts GatherImage calls; Retries the retries after a
	// Retry-After.
	gathers, retries atomic.Int64
	// now times the gathers for the reports.
	now func() time.Time
}

type imageResult struct {
	info *snapshot.ImageInfo
	took time.Duration
}

func newImageSet(ctx context.Context, opt gather.ImageOptions, lim *Limiter, maxWait, timeout time.Duration) *imageSet {
	base := opt.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	opt.Transport = &limitedTransport{inner: base, lim: lim, max: maxWait}
	if opt.Keychain == nil {
		opt.Keychain = authn.DefaultKeychain
	}
	return &imageSet{ctx: ctx, opt: opt, lim: lim, maxWait: maxWait, timeout: timeout, now: time.Now,
		byRef: map[string]*future[imageResult]{}, byDigest: map[string]*future[imageResult]{}}
}

// get returns the image's info, or a timeout error when ctx ends before the
// shared gather does.
func (s *imageSet) get(ctx context.Context, ref string, files []string) (*snapshot.ImageInfo, time.Duration) {
	key := ref
	if full, _, err := snapshot.NormalizeImage(ref); err == nil {
		key = full
	}
	key += "\x00" + strings.Join(files, "\x00")
	s.mu.Lock()
	f, ok := s.byRef[key]
	if !ok {
		f = newFuture[imageResult]()
		s.byRef[key] = f
		go func() { f.set(s.lookUp(ref, files)) }()
	}
	s.mu.Unlock()
	res, ok := f.wait(ctx)
	if !ok {
		full, _, _ := snapshot.NormalizeImage(ref)
		return &snapshot.ImageInfo{Ref: ref, Name: full, Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout,
			What: "look up " + full + " on the registry", Detail: "the student's time ran out waiting for the registry"}}, 0
	}
	// A copy: the same content under the student's own reference.
	info := *res.info
	info.Ref = ref
	return &info, res.took
}

// lookUp finds the reference's digest, then reads that digest once for
// every reference that has it.
func (s *imageSet) lookUp(ref string, files []string) imageResult {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	t0 := s.now()
	digest := s.head(ctx, ref)
	if digest == "" {
		// The look-up failed: GatherImage says why, in its own words.
		info := s.gather(ctx, ref, files)
		return imageResult{info, s.now().Sub(t0)}
	}
	key := digest + "\x00" + strings.Join(files, "\x00")
	s.mu.Lock()
	f, ok := s.byDigest[key]
	if !ok {
		f = newFuture[imageResult]()
		s.byDigest[key] = f
	}
	s.mu.Unlock()
	if !ok {
		info := s.gather(ctx, ref, files)
		f.set(imageResult{info, s.now().Sub(t0)})
	}
	res, done := f.wait(ctx)
	if !done {
		return imageResult{&snapshot.ImageInfo{Ref: ref, Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: "read " + ref, Detail: ctx.Err().Error()}}, s.now().Sub(t0)}
	}
	info := *res.info
	if r, err := s.parse(ref); err == nil {
		info.Ref, info.Name = ref, r.Name()
	}
	return imageResult{&info, s.now().Sub(t0)}
}

func (s *imageSet) parse(ref string) (name.Reference, error) {
	var opts []name.Option
	if s.opt.Insecure {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(strings.TrimSpace(ref), opts...)
}

// head returns the digest the registry gives for ref, or "" when it does
// not answer with one.
func (s *imageSet) head(ctx context.Context, ref string) string {
	r, err := s.parse(ref)
	if err != nil {
		return ""
	}
	auth, err := authn.Resolve(ctx, s.opt.Keychain, r.Context())
	if err != nil {
		return ""
	}
	hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	d, err := remote.Head(r, remote.WithContext(hctx), remote.WithAuth(auth), remote.WithTransport(s.opt.Transport),
		remote.WithRetryStatusCodes(), remote.WithUserAgent("kubelab"))
	if err != nil {
		return ""
	}
	return d.Digest.String()
}

// gather reads ref, waiting out one Retry-After and trying once more when
// the registry rate-limits.
func (s *imageSet) gather(ctx context.Context, ref string, files []string) *snapshot.ImageInfo {
	opt := s.opt
	opt.Files = files
	s.gathers.Add(1)
	info := gather.GatherImage(ctx, ref, opt)
	if e := info.Err; e != nil && e.Kind == snapshot.ErrRateLimited && e.RetryAfter > 0 && e.RetryAfter <= s.maxWait {
		s.lim.Pause(e.RetryAfter)
		if s.lim.Wait(ctx) == nil {
			s.retries.Add(1)
			s.gathers.Add(1)
			info = gather.GatherImage(ctx, ref, opt)
		}
	}
	return info
}

// runSet runs each distinct digest once (image.runs, with --run-images).
type runSet struct {
	ctx context.Context
	opt gather.RunOptions
	// probe runs one image (gather.ProbeRun).
	probe func(ctx context.Context, ref string, opt gather.RunOptions) *snapshot.RunProbe
	mu    sync.Mutex
	runs  map[string]*future[*snapshot.RunProbe]
}

func (s *runSet) get(ctx context.Context, img *snapshot.ImageInfo) *snapshot.RunProbe {
	_, repo, err := snapshot.NormalizeImage(img.Name)
	if err != nil || img.Digest == "" {
		return &snapshot.RunProbe{SkipReason: "the image could not be found on the registry"}
	}
	pinned := repo + "@" + img.Digest
	s.mu.Lock()
	f, ok := s.runs[pinned]
	if !ok {
		f = newFuture[*snapshot.RunProbe]()
		s.runs[pinned] = f
		go func() { f.set(s.probe(s.ctx, pinned, s.opt)) }()
	}
	s.mu.Unlock()
	p, ok := f.wait(ctx)
	if !ok {
		return &snapshot.RunProbe{Err: &snapshot.GatherError{Kind: snapshot.ErrTimeout, What: "run " + pinned, Detail: "the student's time ran out waiting for the container"}}
	}
	return p
}
