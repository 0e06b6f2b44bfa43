// Command server runs Relevo's SupportService: the gRPC API (and its REST
// gateway) that channel adapters, ticket desks and operators talk to, the
// agents, the knowledge base and the message pipeline.
//
//	go run ./server            # SQLite under ./data, offline agents, sample knowledge base
//	go run ./server --help     # every setting (also RELEVO_* variables and --config YAML)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/relevo/relevo/server/app"
)

func main() {
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
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	if err := a.Run(ctx); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}
