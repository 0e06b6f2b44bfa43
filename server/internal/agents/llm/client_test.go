package llm_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/openaitest"
)

// captureTransport answers every request with a minimal chat completion and
// keeps the request, to check where a client sends it.
type captureTransport struct{ got *http.Request }

func (c *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.got = req
	body := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestNewClientAddressesEachKindOfProvider(t *testing.T) {
	tests := []struct {
		name       string
		baseURL    string
		wantURL    string
		wantHeader string
	}{
		{"an empty base URL is OpenAI", "", "https://api.openai.com/v1/chat/completions", "Authorization"},
		{"a local server is OpenAI-compatible", "http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1/chat/completions", "Authorization"},
		{"a legacy Azure endpoint is addressed by deployment", "https://acme.openai.azure.com/",
			"https://acme.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21", "Api-Key"},
		{"the Azure v1 endpoint is OpenAI-compatible", "https://acme.openai.azure.com/openai/v1",
			"https://acme.openai.azure.com/openai/v1/chat/completions", "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture := &captureTransport{}
			c := llm.NewClient(tt.baseURL, "sk-key", &http.Client{Transport: capture})
			_, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
				Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hola"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := capture.got.URL.String(); got != tt.wantURL {
				t.Errorf("url = %s, want %s", got, tt.wantURL)
			}
			if v := capture.got.Header.Get(tt.wantHeader); !strings.Contains(v, "sk-key") {
				t.Errorf("%s header = %q, want the key", tt.wantHeader, v)
			}
		})
	}
}

func TestNewClientDoesNotModifyTheCallersHTTPClient(t *testing.T) {
	hc := &http.Client{}
	llm.NewClient("", "k", hc)
	if hc.Transport != nil {
		t.Error("the caller's client got a new transport")
	}
}

func chat(ctx context.Context, c *llm.Client) error {
	_, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model: "gpt-test", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hola"}},
	})
	return err
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		queue     []openaitest.Reply
		wantErr   int // HTTP status of the final error, 0 for success
		wantCalls int
	}{
		{"a 503 is retried with the same body", []openaitest.Reply{openaitest.Error(503, "overloaded"), openaitest.Text("ok")}, 0, 2},
		{"a 429 is retried", []openaitest.Reply{openaitest.Error(429, "slow down"), openaitest.Text("ok")}, 0, 2},
		{"retries stop after the limit", []openaitest.Reply{openaitest.Error(500, "a"), openaitest.Error(500, "b"), openaitest.Error(500, "c"), openaitest.Text("ok")}, 500, 3},
		{"a 400 is not retried", []openaitest.Reply{openaitest.Error(400, "bad"), openaitest.Text("ok")}, 400, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer()
			t.Cleanup(srv.Close)
			srv.QueueChat(tt.queue...)
			c := llm.NewClient(srv.BaseURL(), srv.APIKey(), srv.Client(), llm.WithRetries(2, time.Millisecond, 2*time.Millisecond))

			err := chat(context.Background(), c)

			var apiErr *openai.APIError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != 0 && (!errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tt.wantErr):
				t.Fatalf("err = %v, want status %d", err, tt.wantErr)
			}
			reqs := srv.ChatRequests()
			if len(reqs) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(reqs), tt.wantCalls)
			}
			for _, r := range reqs {
				if r.LastUser() != "hola" {
					t.Errorf("a retry lost the body: %+v", r)
				}
			}
		})
	}
}

func TestARetryAfterBeyondTheDeadlineReturnsTheProvidersError(t *testing.T) {
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	srv.QueueChat(openaitest.Reply{Fault: openaitest.Fault{Status: 429, Message: "Rate limit reached", RetryAfter: time.Hour}})
	c := llm.NewClient(srv.BaseURL(), srv.APIKey(), srv.Client(), llm.WithRetries(2, time.Millisecond, 2*time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	err := chat(ctx, c)

	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 {
		t.Fatalf("err = %v, want the 429 rather than a wait past the deadline", err)
	}
	if n := len(srv.ChatRequests()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
