package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(body)
}

func TestThePageSpeaksTheProfilesLanguageAndKnowsWhetherKeysAreNeeded(t *testing.T) {
	for _, tc := range []struct {
		lang, want string
		keys       bool
	}{{"en", `lang="en"`, true}, {"es", `lang="es"`, false}, {"", `lang="es"`, false}} {
		h, err := Handler("/console/", Options{Language: tc.lang, Company: "Acme <b>", KeysRequired: tc.keys})
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, h, "/console/")
		if resp.StatusCode != 200 || !strings.Contains(body, tc.want) || !strings.Contains(body, `data-keys-required="`+map[bool]string{true: "true", false: "false"}[tc.keys]+`"`) {
			t.Fatalf("lang %q keys %v: %d\n%s", tc.lang, tc.keys, resp.StatusCode, body)
		}
		if strings.Contains(body, "<b>") {
			t.Fatal("the company name is not escaped")
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("content security policy: %q", csp)
		}
	}
}

func TestAssetsAreEmbeddedAndServed(t *testing.T) {
	h, err := Handler("/console/", Options{Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	for path, ctype := range map[string]string{"/console/js/app.js": "javascript", "/console/console.css": "text/css", "/console/js/pages/overview.js": "javascript"} {
		resp, body := get(t, h, path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := get(t, h, "/console/js/missing.js"); resp.StatusCode != 404 {
		t.Fatalf("missing asset: %d", resp.StatusCode)
	}
}

func TestWithoutKeysBeyondLoopbackTheConsoleRefusesToLoad(t *testing.T) {
	h, err := Handler("/console/", Options{Language: "es", Exposed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/console/", "/console/js/app.js"} {
		if resp, _ := get(t, h, path); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", path, resp.StatusCode)
		}
	}
	h, err = Handler("/console/", Options{Language: "es", Exposed: true, KeysRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, h, "/console/"); resp.StatusCode != 200 {
		t.Fatalf("with keys: %d", resp.StatusCode)
	}
}
