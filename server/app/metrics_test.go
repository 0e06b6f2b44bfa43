package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsOnTheirOwnAddressBehindAKey(t *testing.T) {
	const metricsKey, adminKey = "metrics-key-0123456789", "admin-key-0123456789"
	logs := &logBuffer{}
	a, _ := startAppWith(t, logs, nil, "--metrics-listen", "127.0.0.1:0", "--api-keys", "admin:"+adminKey+",metrics:"+metricsKey)
	if code, _ := get(t, "http://"+a.MetricsAddr()+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without a key: %d, want 401", code)
	}
	if code, body := get(t, "http://"+a.MetricsAddr()+"/metrics", metricsKey); code != http.StatusOK || !strings.Contains(body, "relevo_") {
		t.Errorf("metrics with the metrics key: %d, want 200 and the page", code)
	}
	if code, _ := get(t, "http://"+a.HTTPAddr()+"/metrics", adminKey); code != http.StatusNotFound {
		t.Errorf("metrics on the REST listener: %d, want 404 (served apart)", code)
	}
	if !strings.Contains(logs.String(), "process list") {
		t.Errorf("no warning that --api-keys shows in the process list:\n%s", logs.String())
	}
}
