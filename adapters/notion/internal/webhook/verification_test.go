package webhook

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// logBuffer keeps what a handler logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func verificationServer(t *testing.T, cfg Config) (*httptest.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	h := New(cfg, nil, nil, slog.New(slog.NewTextHandler(logs, nil)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, logs
}

func postVerification(t *testing.T, url, token string, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(`{"verification_token":"`+token+`"}`))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAVerificationPostNeverLogsItsToken(t *testing.T) {
	srv, logs := verificationServer(t, Config{Secret: secret})
	if code := postVerification(t, srv.URL, docsToken, nil); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	if strings.Contains(logs.String(), docsToken) || strings.Contains(logs.String(), "tMrlL1qK5vuQ") {
		t.Fatalf("the verification token is in the log:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "verification") {
		t.Fatalf("nothing says a verification request came:\n%s", logs)
	}
}

func TestAVerificationTokenIsWrittenToTheTokenFileOnly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "notion-verification-token")
	srv, logs := verificationServer(t, Config{Secret: secret, VerificationTokenFile: file})
	if code := postVerification(t, srv.URL, docsToken, nil); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	b, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(b)) != docsToken {
		t.Fatalf("token file %q (%v), want the token", b, err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	// A second post (anyone's) does not replace what is there.
	if code := postVerification(t, srv.URL, "secret_someone_else", nil); code != http.StatusOK {
		t.Fatalf("second post: status %d", code)
	}
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != docsToken {
		t.Fatalf("token file replaced by a later post: %q", b)
	}
	if strings.Contains(logs.String(), docsToken) {
		t.Fatalf("the verification token is in the log:\n%s", logs)
	}
}

func TestOnceTheTokenIsKnownAVerificationPostMustProveIt(t *testing.T) {
	srv, logs := verificationServer(t, Config{Secret: secret, VerificationToken: docsToken})
	forged := `{"verification_token":"secret_forged"}`
	for _, tc := range []struct {
		name   string
		token  string
		header map[string]string
		want   int
	}{
		{"an unsigned post of another token is refused", "secret_forged", nil, http.StatusUnauthorized},
		{"a post signed with another key is refused", "secret_forged", map[string]string{"X-Notion-Signature": Sign("secret_forged", []byte(forged))}, http.StatusUnauthorized},
		{"a post signed with the token is accepted", docsToken,
			map[string]string{"X-Notion-Signature": Sign(docsToken, []byte(`{"verification_token":"`+docsToken+`"}`))}, http.StatusOK},
		{"Notion resending the same token is accepted", docsToken, nil, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := postVerification(t, srv.URL, tc.token, tc.header); code != tc.want {
				t.Fatalf("status %d, want %d", code, tc.want)
			}
		})
	}
	if strings.Contains(logs.String(), "secret_forged") || strings.Contains(logs.String(), docsToken) {
		t.Fatalf("a token is in the log:\n%s", logs)
	}
}
