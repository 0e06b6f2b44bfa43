// Command whatsapp is the WhatsApp channel adapter of Relevo: a stateless
// process that turns WhatsApp Cloud API webhooks into ChannelService calls
// and delivers the server's outbound messages through the Cloud API.
//
//	go run ./adapters/whatsapp --help
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/whatsapp/internal/app"
	"github.com/relevo/relevo/adapters/whatsapp/internal/config"
	"github.com/relevo/relevo/clients/relevo"
)

func main() {
	process.Main("whatsapp", func() (config.Config, error) { return config.Load(os.Args[1:], os.Getenv, os.Stderr) }, run)
}

// run runs the adapter until ctx ends.
func run(ctx context.Context, cfg config.Config) error {
	log := process.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
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
