package process

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCommandExitCodes(t *testing.T) {
	ok := func(context.Context, string) error { return nil }
	tests := []struct {
		name     string
		loadErr  error
		runErr   error
		wantCode int
		wantOut  string
	}{
		{name: "a run that ends well", wantCode: 0},
		{name: "--help", loadErr: fmt.Errorf("parse: %w", flag.ErrHelp), wantCode: 0},
		{name: "invalid settings", loadErr: errors.New("--listen: want host:port"), wantCode: 2, wantOut: "adapter: --listen: want host:port\n"},
		{name: "a run that fails", runErr: errors.New("dial: refused"), wantCode: 1, wantOut: "adapter: dial: refused\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			run := ok
			if tt.runErr != nil {
				run = func(context.Context, string) error { return tt.runErr }
			}
			code := command(t.Context(), "adapter", &stderr, func() (string, error) { return "cfg", tt.loadErr }, run)
			if code != tt.wantCode || stderr.String() != tt.wantOut {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr.String(), tt.wantCode, tt.wantOut)
			}
		})
	}
}

func TestServeHTTPServesUntilTheContextEndsThenShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", Healthz)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, "http server", &http.Server{Handler: mux}, ln, time.Second) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("after the context ended: %v, want a clean shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

func TestServeHTTPNamesTheServerThatFailed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = ServeHTTP(t.Context(), "webhook server", &http.Server{}, ln, time.Second)
	if err == nil || !strings.HasPrefix(err.Error(), "webhook server: ") {
		t.Fatalf("serving on a closed listener: %v, want an error naming the webhook server", err)
	}
}

func TestNewLoggerTakesLevelAndFormat(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelWarn, "json")
	log.Info("hidden")
	log.Warn("shown", "k", "v")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.HasPrefix(out, "{") || !strings.Contains(out, `"k":"v"`) {
		t.Errorf("json logger at warn wrote %q", out)
	}
	buf.Reset()
	NewLogger(&buf, slog.LevelInfo, "text").Info("shown", "k", "v")
	if out := buf.String(); !strings.Contains(out, "msg=shown k=v") {
		t.Errorf("text logger wrote %q", out)
	}
}
