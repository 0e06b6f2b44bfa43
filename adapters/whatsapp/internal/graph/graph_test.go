package graph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/internal/sharedtest"
)

// sharedExamples returns the directory of Meta's API examples next to the
// repository, skipping when it is absent.
func sharedExamples(t *testing.T) string {
	t.Helper()
	return sharedtest.Dir(t, "fixtures", "whatsapp", "api_examples")
}

func TestRealErrorBodiesAreDecoded(t *testing.T) {
	dir := sharedExamples(t)
	tests := []struct {
		file    string
		status  int
		want    Error
		details string
	}{
		{file: "error_130429_rate_limit.json", status: 400, want: Error{HTTPStatus: 400, Code: 130429, Subcode: 2494055, Type: "OAuthException",
			Message: "(#130429) Rate limit hit", Details: "Cloud API message throughput has been reached.", FBTraceID: "Az8or2yhqkZfEZ-_4Qn_Bam"}},
		{file: "error_190_token_expired.json", status: 401, want: Error{HTTPStatus: 401, Code: 190, Subcode: 463, Type: "OAuthException", FBTraceID: "FWyaAGXtoZg"}},
		{file: "error_100_invalid_parameter.json", status: 400, want: Error{HTTPStatus: 400, Code: 100, Type: "OAuthException",
			Message: "(#100) Invalid parameter", Details: "Parameter value is not valid", FBTraceID: "AbCdEfGhIjKlMnOpQrStUvX"}},
		{file: "error_131047_reengagement.json", status: 400, want: Error{HTTPStatus: 400, Code: 131047, Type: "OAuthException",
			Message: "(#131047) Re-engagement message", Details: "More than 24 hours have passed since the recipient last replied to the sender number.", FBTraceID: "AbCdEfGhIjKlMnOpQrStUvW"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write(body)
			}))
			t.Cleanup(srv.Close)
			_, err = New(srv.URL, "v24.0", "t", nil).Send(context.Background(), "1", &Message{MessagingProduct: "whatsapp", Type: "text"})
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error = %v, want *Error", err)
			}
			want := tt.want
			if want.Message == "" {
				want.Message = ge.Message // the 190 body's message is long; checked below
				if !strings.HasPrefix(ge.Message, "Error validating access token") {
					t.Errorf("message = %q", ge.Message)
				}
			}
			if *ge != want {
				t.Errorf("error = %+v, want %+v", *ge, want)
			}
		})
	}
}

func TestErrorsThatAreNotGraphErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html>upstream unavailable</html>"))
	}))
	t.Cleanup(srv.Close)
	err := New(srv.URL, "v24.0", "t", nil).MarkRead(context.Background(), "1", "wamid.x", false)
	var ge *Error
	if !errors.As(err, &ge) || ge.HTTPStatus != 503 || ge.Code != 0 || ge.RetryAfter != 30*time.Second || !strings.Contains(ge.Message, "upstream unavailable") {
		t.Errorf("error = %+v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"5", 5 * time.Second}, {"-3", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFetchMedia(t *testing.T) {
	fake := graphtest.New(t)
	fake.AddMedia("42", "audio/ogg", []byte("0123456789"))
	c := New(fake.URL, fake.Version, fake.Token, nil)
	ctx := context.Background()

	data, err := c.FetchMedia(ctx, "42", 10)
	if err != nil || string(data) != "0123456789" {
		t.Errorf("FetchMedia at the limit = %q, %v", data, err)
	}
	if _, err := c.FetchMedia(ctx, "42", 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("FetchMedia over the limit error = %v, want ErrTooLarge", err)
	}
	var ge *Error
	if _, err := c.FetchMedia(ctx, "missing", 10); !errors.As(err, &ge) || ge.Code != 100 {
		t.Errorf("FetchMedia of an unknown id error = %v, want a Graph error 100", err)
	}
	reqs := fake.Requests()
	if len(reqs) < 2 || reqs[0].Path != "/v24.0/42" || reqs[1].Path != "/media/42" {
		t.Fatalf("requests = %+v, want the media lookup then the download", reqs)
	}
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "Bearer "+fake.Token {
			t.Errorf("%s sent without the token", r.Path)
		}
	}
}

func TestDownloadStopsAtTheLimitWithoutContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush() // chunked: no Content-Length
		_, _ = w.Write([]byte(strings.Repeat("x", 100)))
	}))
	t.Cleanup(srv.Close)
	if _, err := New(srv.URL, "v24.0", "t", nil).Download(context.Background(), srv.URL, 50); !errors.Is(err, ErrTooLarge) {
		t.Errorf("error = %v, want ErrTooLarge", err)
	}
}

func TestAWrongTokenIsAGraphError190(t *testing.T) {
	fake := graphtest.New(t)
	_, err := New(fake.URL, fake.Version, "expired", nil).Send(context.Background(), "1", &Message{MessagingProduct: "whatsapp", Type: "text", To: "+1"})
	var ge *Error
	if !errors.As(err, &ge) || ge.Code != 190 || ge.HTTPStatus != 401 {
		t.Errorf("error = %v, want a Graph error 190", err)
	}
}
