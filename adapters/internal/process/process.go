// Package process is what the adapters' processes share: the command's
// exit codes and signals, the logger the settings ask for, and the HTTP
// server's lifetime.
package process

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// Main runs an adapter command and exits. load reads the settings: on
// flag.ErrHelp (the usage was printed) the command exits 0, on another
// error 2. run runs the adapter until SIGINT or SIGTERM; an error exits 1.
// Errors are printed on stderr after the command's name.
func Main[C any](name string, load func() (C, error), run func(context.Context, C) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := command(ctx, name, os.Stderr, load, run)
	stop()
	os.Exit(code)
}

// command is Main without the process: it returns the exit code.
func command[C any](ctx context.Context, name string, stderr io.Writer, load func() (C, error), run func(context.Context, C) error) int {
	cfg, err := load()
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 2
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
	return 0
}

// NewLogger returns the logger of --log-level and --log-format ("text" or
// "json").
func NewLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ServeHTTP serves srv on ln until ctx ends, then shuts it down, giving
// the requests in flight up to grace to finish. Its errors are named after
// name ("webhook server").
func ServeHTTP(ctx context.Context, name string, srv *http.Server, ln net.Listener, grace time.Duration) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("%s shutdown: %w", name, err)
		}
		return nil
	})
	return g.Wait()
}

// Healthz answers 200 "ok" while the process runs.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}
