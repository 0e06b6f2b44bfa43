// Package notionhttp holds the HTTP transport the adapter puts under the
// Notion client library: it points requests at a configurable base URL,
// paces them to Notion's request limit, and retries rate-limited and failed
// requests with a fresh body. The library's own 429 retry re-sends a drained
// body, so it must never see a 429.
package notionhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limiter paces requests; *rate.Limiter satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Options configures a Transport. Zero values take the defaults noted.
type Options struct {
	// Base sends the requests; default http.DefaultTransport.
	Base http.RoundTripper
	// BaseURL replaces the scheme and host of every request (a fake or a
	// proxy); nil leaves requests as they are.
	BaseURL *url.URL
	// Limiter paces every attempt, retries included; nil for none.
	Limiter Limiter
	// MaxAttempts bounds the attempts per request; default 5.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between attempts when the
	// server gives no Retry-After; defaults 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps a server-requested wait; default 5 minutes.
	MaxRetryAfter time.Duration
	// Logger receives retry notices; default slog.Default().
	Logger *slog.Logger
	// Sleep waits between attempts; default a timer that honours ctx.
	// Tests replace it to observe the waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Transport is an http.RoundTripper for the Notion API. See the package
// comment.
type Transport struct {
	o Options
}

// New returns a Transport with the given options.
func New(o Options) *Transport {
	if o.Base == nil {
		o.Base = http.DefaultTransport
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return &Transport{o: o}
}

// RoundTrip implements http.RoundTripper. The request it is given is never
// modified: every attempt sends a clone.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	creates := createsObject(req)
	for attempt := 1; ; attempt++ {
		r, err := t.attemptRequest(req, attempt)
		if err != nil {
			return nil, err
		}
		if t.o.Limiter != nil {
			if err := t.o.Limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("notion rate limiter: %w", err)
			}
		}
		resp, err := t.o.Base.RoundTrip(r)
		wait, retry := t.retryable(resp, err, creates)
		if !retry || attempt >= t.o.MaxAttempts || !rewindable(req) {
			return resp, err
		}
		if wait <= 0 {
			wait = t.backoff(attempt)
		}
		t.o.Logger.WarnContext(ctx, "notion request retried",
			"method", req.Method, "path", req.URL.Path, "attempt", attempt,
			"status", statusOf(resp), "error", errString(err), "wait", wait)
		if resp != nil {
			// Drain a little so the connection can be reused.
			_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
			resp.Body.Close()
		}
		if err := t.o.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attemptRequest clones req for one attempt, with a fresh body after the
// first and the configured base URL.
func (t *Transport) attemptRequest(req *http.Request, attempt int) (*http.Request, error) {
	r := req.Clone(req.Context())
	if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("notion request body for retry: %w", err)
		}
		r.Body = body
	}
	if t.o.BaseURL != nil {
		u := *r.URL
		u.Scheme = t.o.BaseURL.Scheme
		u.Host = t.o.BaseURL.Host
		if p := strings.TrimSuffix(t.o.BaseURL.Path, "/"); p != "" {
			u.Path = p + u.Path
			u.RawPath = ""
		}
		r.URL = &u
		r.Host = ""
	}
	return r, nil
}

// retryable decides whether an attempt is worth repeating and how long the
// server asked to wait. A 429 is never processed by Notion, so it is always
// retried. Requests that create something (a page, a database, appended
// blocks) are not retried on ambiguous failures — a timeout or a 5xx may
// have been applied — so that a retry never creates a duplicate; the caller
// re-checks what exists and tries again.
func (t *Transport) retryable(resp *http.Response, err error, creates bool) (time.Duration, bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, false
		}
		var nerr net.Error
		if errors.As(err, &nerr) && nerr.Timeout() {
			return 0, !creates
		}
		// Connection refused or reset before a response: only safe to
		// repeat when nothing is created.
		return 0, !creates
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return t.retryAfter(resp.Header.Get("Retry-After")), true
	case resp.StatusCode >= 500:
		return t.retryAfter(resp.Header.Get("Retry-After")), !creates
	}
	return 0, false
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); 0 when
// absent or unparsable, so that backoff applies.
func (t *Transport) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = time.Until(at)
	} else {
		return 0
	}
	if d <= 0 {
		// "Retry-After: 0" means now; a tiny positive wait keeps the
		// backoff from replacing it.
		return time.Nanosecond
	}
	return min(d, t.o.MaxRetryAfter)
}

// backoff is exponential with full jitter between MinBackoff and MaxBackoff.
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.o.MinBackoff << min(attempt-1, 20)
	if d <= 0 || d > t.o.MaxBackoff {
		d = t.o.MaxBackoff
	}
	return t.o.MinBackoff + rand.N(d-t.o.MinBackoff+1)
}

// createsObject reports whether req creates something in Notion.
func createsObject(req *http.Request) bool {
	p := strings.TrimSuffix(req.URL.Path, "/")
	switch {
	case req.Method == http.MethodPost && (strings.HasSuffix(p, "/v1/pages") || strings.HasSuffix(p, "/v1/databases")):
		return true
	case req.Method == http.MethodPatch && strings.HasPrefix(p, "/v1/blocks/") && strings.HasSuffix(p, "/children"):
		return true
	}
	return false
}

// rewindable reports whether req's body can be sent again.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
