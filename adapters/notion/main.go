// Command notion is the Notion adapter of Relevo: a stateless process
// between the server's tickets and a Notion database where specialists
// work. It mirrors ticket events into pages (question, contact,
// conversation, status) and receives the specialists' answers from the
// database's "Enviar" button, which it hands to the server with
// AnswerTicket.
//
//	go run ./adapters/notion --notion-token ... --database-id ... --webhook-secret ...
//	go run ./adapters/notion setup --notion-token ... --parent-page <page id or URL>
//
// Every flag has a RELEVO_NOTION_* environment variable; --help lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "notion:", err)
		os.Exit(1)
	}
}

// run is main without the process: arguments, environment and output are
// passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "setup" {
		cfg, err := parseConfig(args[1:], getenv, stderr, true)
		if err != nil {
			return err
		}
		return runSetup(ctx, cfg, newLogger(cfg, stderr), stdout)
	}
	cfg, err := parseConfig(args, getenv, stderr, false)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if cfg.InsecureNoWebhookSecret {
		log.Warn("webhook authentication is off (--insecure-no-webhook-secret): anyone who reaches the listener can answer tickets")
	}
	return serve(ctx, cfg, nil, log)
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
