// Command whatsapp is the WhatsApp channel adapter of Relevo: a stateless
// process that turns WhatsApp Cloud API webhooks into ChannelService calls
// and delivers the server's outbound messages through the Cloud API.
//
//	go run ./adapters/whatsapp --help
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

	"github.com/relevo/relevo/adapters/whatsapp/internal/app"
	"github.com/relevo/relevo/adapters/whatsapp/internal/config"
	"github.com/relevo/relevo/clients/relevo"
)

func main() {
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "whatsapp:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "whatsapp:", err)
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

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return app.New(cfg, client.Channels, nil, log).Serve(ctx, ln)
}
