// Command webchat is the web chat channel adapter of Relevo: a stateless
// process that serves the embeddable widget (one <script> tag on the
// company's site), takes visitors' messages to the server and streams the
// replies back to their browser.
//
//	go run ./adapters/webchat --help
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/relevo/relevo/adapters/webchat/internal/app"
	"github.com/relevo/relevo/adapters/webchat/internal/config"
	"github.com/relevo/relevo/clients/relevo"
)

func main() {
	cfg, err := config.Load(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webchat:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "webchat:", err)
		os.Exit(1)
	}
}

func run(cfg config.Config) error {
	log := app.NewLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	client, err := relevo.Dial(ctx, cfg.Server, relevo.WithToken(cfg.Token))
	if err != nil {
		return err
	}
	defer client.Close()
	history := client
	if cfg.HistoryToken != cfg.Token {
		if history, err = relevo.Dial(ctx, cfg.Server, relevo.WithToken(cfg.HistoryToken)); err != nil {
			return err
		}
		defer history.Close()
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return app.New(cfg, client.Channels, history.Conversations, log).Serve(ctx, ln)
}
