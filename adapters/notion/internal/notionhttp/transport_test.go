package notionhttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// recorder is a fake API that answers from a script and records what it got.
type recorder struct {
	mu      sync.Mutex
	script  []func(w http.ResponseWriter)
	bodies  []string
	methods []string
	hosts   []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	r.methods = append(r.methods, req.Method+" "+req.URL.Path)
	r.hosts = append(r.hosts, req.Host)
	var step func(w http.ResponseWriter)
	if len(r.script) > 0 {
		step, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	if step == nil {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"object":"page"}`))
		return
	}
	step(w)
}

func status(code int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"object":"error","status":` + http.StatusText(code) + `}`))
	}
}

type countingLimiter struct{ n int }

func (l *countingLimiter) Wait(context.Context) error { l.n++; return nil }

func newTestTransport(t *testing.T, rec *recorder) (*Transport, *[]time.Duration, *countingLimiter) {
	t.Helper()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	lim := &countingLimiter{}
	tr := New(Options{
		BaseURL:    u,
		Limiter:    lim,
		MinBackoff: time.Millisecond,
		MaxBackoff: 2 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		},
	})
	return tr, &waits, lim
}

func TestTransportRetries(t *testing.T) {
	const body = `{"parent":{"database_id":"db"},"properties":{}}`
	tests := []struct {
		name      string
		method    string
		path      string
		script    []func(w http.ResponseWriter)
		wantCalls int
		wantCode  int
		wantWaits []time.Duration // nil: only count
	}{
		{
			name:      "a 429 on a page create waits Retry-After and resends the same body",
			method:    http.MethodPost,
			path:      "/v1/pages",
			script:    []func(w http.ResponseWriter){status(429, "7")},
			wantCalls: 2,
			wantCode:  200,
			wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name:      "a 429 without Retry-After backs off and retries",
			method:    http.MethodPatch,
			path:      "/v1/pages/p1",
			script:    []func(w http.ResponseWriter){status(429, ""), status(429, "")},
			wantCalls: 3,
			wantCode:  200,
		},
		{
			name:      "a 503 on a page update is retried",
			method:    http.MethodPatch,
			path:      "/v1/pages/p1",
			script:    []func(w http.ResponseWriter){status(503, "")},
			wantCalls: 2,
			wantCode:  200,
		},
		{
			name:      "a 500 on a page create is not retried because it may have created the page",
			method:    http.MethodPost,
			path:      "/v1/pages",
			script:    []func(w http.ResponseWriter){status(500, "")},
			wantCalls: 1,
			wantCode:  500,
		},
		{
			name:      "a 502 on a block append is not retried",
			method:    http.MethodPatch,
			path:      "/v1/blocks/p1/children",
			script:    []func(w http.ResponseWriter){status(502, "")},
			wantCalls: 1,
			wantCode:  502,
		},
		{
			name:      "a validation error is returned at once",
			method:    http.MethodPost,
			path:      "/v1/databases/db/query",
			script:    []func(w http.ResponseWriter){status(400, "")},
			wantCalls: 1,
			wantCode:  400,
		},
		{
			name:   "attempts are bounded and the last answer is returned",
			method: http.MethodGet,
			path:   "/v1/pages/p1",
			script: []func(w http.ResponseWriter){
				status(429, "0"), status(429, "0"), status(429, "0"), status(429, "0"), status(429, "0"), status(429, "0"),
			},
			wantCalls: 5,
			wantCode:  429,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{script: tt.script}
			tr, waits, lim := newTestTransport(t, rec)
			var reqBody io.Reader
			if tt.method != http.MethodGet {
				reqBody = bytes.NewBufferString(body)
			}
			req, err := http.NewRequest(tt.method, "https://api.notion.com"+tt.path, reqBody)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if len(rec.bodies) != tt.wantCalls {
				t.Fatalf("server saw %d requests, want %d", len(rec.bodies), tt.wantCalls)
			}
			if lim.n != tt.wantCalls {
				t.Errorf("limiter consulted %d times, want once per attempt (%d)", lim.n, tt.wantCalls)
			}
			for i, b := range rec.bodies {
				want := body
				if tt.method == http.MethodGet {
					want = ""
				}
				if b != want {
					t.Errorf("attempt %d body = %q, want %q", i+1, b, want)
				}
			}
			if len(*waits) != tt.wantCalls-1 {
				t.Errorf("waited %d times, want %d", len(*waits), tt.wantCalls-1)
			}
			if tt.wantWaits != nil {
				for i, w := range tt.wantWaits {
					if (*waits)[i] != w {
						t.Errorf("wait %d = %v, want %v", i, (*waits)[i], w)
					}
				}
			}
		})
	}
}

func TestTransportRewritesAClone(t *testing.T) {
	rec := &recorder{}
	tr, _, _ := newTestTransport(t, rec)
	req, err := http.NewRequest(http.MethodGet, "https://api.notion.com/v1/databases/db", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.URL.Host != "api.notion.com" || req.URL.Scheme != "https" {
		t.Errorf("the caller's request was modified: %s", req.URL)
	}
	if len(rec.methods) != 1 || rec.methods[0] != "GET /v1/databases/db" {
		t.Errorf("fake saw %v, want the same path on the fake host", rec.methods)
	}
}

func TestTransportStopsWaitingWhenContextEnds(t *testing.T) {
	rec := &recorder{script: []func(w http.ResponseWriter){status(429, "60")}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	tr := New(Options{BaseURL: u})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.notion.com/v1/pages/p", nil)
	tr.o.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleep(ctx, d)
	}
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("RoundTrip succeeded after the context ended")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	tr := New(Options{MaxRetryAfter: time.Minute})
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", time.Nanosecond},
		{"-1", 0},
		{"soon", 0},
		{"3600", time.Minute},
	}
	for _, tt := range tests {
		if got := tr.retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
