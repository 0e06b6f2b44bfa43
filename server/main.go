// Command server runs Relevo's SupportService: the gRPC API (and its REST
// gateway) that channel adapters, ticket desks and operators talk to, the
// agents, the knowledge base and the message pipeline.
//
//	go run ./server            # SQLite under ./data, offline agents, sample knowledge base
//	go run ./server --help     # every setting (also RELEVO_* variables and --config YAML)
//	go run ./server eval ...   # measure answers on labelled questions, no server (eval --help)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/relevo/relevo/server/app"
	"github.com/relevo/relevo/server/eval"
	"github.com/relevo/relevo/server/internal/knowledge/extract"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "eval" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := eval.Command(ctx, os.Args[2:], os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	if len(os.Args) > 1 && os.Args[1] == extract.Subcommand {
		// A child reading one uploaded file for the server (package extract).
		extract.Main()
	}
	cfg, err := app.ParseConfig(os.Args[1:], os.Stderr)
	if errors.Is(err, app.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "relevo:", err)
		os.Exit(2)
	}
	log := app.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		log.Error("cannot start", "err", fmt.Errorf("find the server binary to read uploads with: %w", err))
		os.Exit(1)
	}
	a, err := app.New(ctx, cfg, log, app.WithExtractCommand(exe, extract.Subcommand))
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	if err := a.Run(ctx); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}
