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
// Every flag has a RELEVO_NOTION_* environment variable and a key in the
// optional --config YAML file; --help lists them.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/jomei/notionapi"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/notion/internal/app"
	"github.com/relevo/relevo/adapters/notion/internal/config"
	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/internal/setup"
	"github.com/relevo/relevo/clients/relevo"
)

func main() {
	args, load, run := os.Args[1:], config.Load, serve
	if len(args) > 0 && args[0] == "setup" {
		args, load, run = args[1:], config.LoadSetup, createDatabase
	}
	process.Main("notion", func() (config.Config, error) { return load(args, os.Getenv, os.Stderr) },
		func(ctx context.Context, cfg config.Config) error {
			return run(ctx, cfg, process.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat))
		})
}

// serve runs the adapter until ctx ends.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	api, err := notionClient(cfg, log)
	if err != nil {
		return err
	}
	client, err := relevo.Dial(ctx, cfg.Server, relevo.WithToken(cfg.Token))
	if err != nil {
		return err
	}
	defer client.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	return app.New(cfg, client.Tickets, api, log).Serve(ctx, ln)
}

// createDatabase is the setup subcommand.
func createDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	api, err := notionClient(cfg, log)
	if err != nil {
		return err
	}
	return setup.Run(ctx, cfg, api, os.Stdout)
}

// notionClient is the Notion client of the adapter and of setup.
func notionClient(cfg config.Config, log *slog.Logger) (*notionapi.Client, error) {
	api, err := notionhttp.NewClient(notionhttp.ClientOptions{
		Token:   cfg.NotionToken,
		BaseURL: cfg.NotionURL,
		Version: cfg.NotionVersion,
		Rate:    cfg.NotionRate,
		Logger:  log.With("component", "notion"),
	})
	if err != nil {
		return nil, fmt.Errorf("--notion-url: %w", err)
	}
	return api, nil
}
