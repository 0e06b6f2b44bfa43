package llm

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Client talks to an OpenAI-compatible API (OpenAI, Azure OpenAI, or a
// local server) and retries rate limits and transient server errors.
type Client struct {
	api *openai.Client
}

// ClientOption configures a Client.
type ClientOption func(*retryTransport)

// WithRetries sets how many times a request is retried after a 429 or a
// transient 5xx, and the first back-off (doubled each attempt, with jitter,
// or the server's Retry-After when it says so, capped at maxDelay). The
// default is 2 retries from 500ms, capped at 8s.
func WithRetries(n int, first, maxDelay time.Duration) ClientOption {
	return func(t *retryTransport) {
		t.retries, t.first, t.max = n, first, maxDelay
	}
}

// NewClient returns a client for baseURL ("" means https://api.openai.com/v1)
// authenticating with apiKey. A legacy Azure OpenAI endpoint
// (https://NAME.openai.azure.com without /openai/v1) is addressed by
// deployment with an api-key header; every other base URL is treated as
// OpenAI-compatible. httpClient may be nil.
func NewClient(baseURL, apiKey string, httpClient *http.Client, opts ...ClientOption) *Client {
	var cfg openai.ClientConfig
	if isLegacyAzure(baseURL) {
		cfg = openai.DefaultAzureConfig(apiKey, strings.TrimRight(baseURL, "/"))
		cfg.APIVersion = azureAPIVersion
	} else {
		cfg = openai.DefaultConfig(apiKey)
		if baseURL != "" {
			cfg.BaseURL = strings.TrimRight(baseURL, "/")
		}
	}
	hc := &http.Client{}
	if httpClient != nil {
		copied := *httpClient
		hc = &copied
	}
	rt := &retryTransport{next: hc.Transport, retries: 2, first: 500 * time.Millisecond, max: 8 * time.Second}
	if rt.next == nil {
		// Every request goes to one host: keep more than the default two
		// idle connections so concurrent conversations reuse them.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		rt.next = t
	}
	for _, o := range opts {
		o(rt)
	}
	hc.Transport = rt
	cfg.HTTPClient = hc
	return &Client{api: openai.NewClientWithConfig(cfg)}
}

// azureAPIVersion is a GA version of the Azure OpenAI data-plane API that
// supports tool calling.
const azureAPIVersion = "2024-10-21"

func isLegacyAzure(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	azure := strings.HasSuffix(host, ".openai.azure.com") || strings.HasSuffix(host, ".cognitiveservices.azure.com")
	return azure && !strings.Contains(u.Path, "/openai/v1")
}

// CreateChatCompletion sends one chat completion request.
func (c *Client) CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	return c.api.CreateChatCompletion(ctx, req)
}

// OpenAI returns the underlying go-openai client, sharing the retries, for
// the other endpoints (embeddings, transcriptions).
func (c *Client) OpenAI() *openai.Client { return c.api }

// retryTransport retries rate-limited and transiently failed requests.
// Every request go-openai sends has a replayable body (GetBody).
type retryTransport struct {
	next    http.RoundTripper
	retries int
	first   time.Duration
	max     time.Duration
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil || attempt >= t.retries || !retryable(resp.StatusCode) || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		wait := t.backoff(attempt, resp.Header.Get("Retry-After"))
		if deadline, ok := req.Context().Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlive the caller: report the provider's
			// answer, which says more than a timeout would.
			return resp, nil
		}
		resp.Body.Close()
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (t *retryTransport) backoff(attempt int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, t.max)
	}
	d := t.first << attempt
	// Up to 50% jitter spreads retries of many conversations hit by the
	// same rate limit.
	d += time.Duration(rand.Int64N(int64(d)/2 + 1))
	return min(d, t.max)
}
