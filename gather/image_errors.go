package gather

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/kubelab/kubelab/snapshot"
)

// Classifying registry failures: what the registry answered (429's Retry-After, 401/403/404), turned into a GatherError of a kind, with credentials redacted from the detail.

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
