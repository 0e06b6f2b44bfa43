// Command webchat is the web chat channel adapter of Relevo: a stateless
// process that serves the embeddable widget (one <script> tag on the
// company's site), takes visitors' messages to the server and streams the
// replies back to their browser.
//
//	go run ./adapters/webchat --help
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/webchat/internal/app"
	"github.com/relevo/relevo/adapters/webchat/internal/config"
	"github.com/relevo/relevo/clients/relevo"
)

func main() {
	process.Main("webchat", func() (config.Config, error) { return config.Load(os.Args[1:], os.Getenv, os.Stderr) }, run)
}

// run runs the adapter until ctx ends.
func run(ctx context.Context, cfg config.Config) error {
	log := process.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
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
