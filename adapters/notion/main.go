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
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/jomei/notionapi"

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
	cfg, err := load(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "notion:", err)
		os.Exit(2)
	}
	if err := run(cfg, app.NewLogger(cfg, os.Stderr)); err != nil {
		fmt.Fprintln(os.Stderr, "notion:", err)
		os.Exit(1)
	}
}

// serve runs the adapter until SIGINT or SIGTERM.
func serve(cfg config.Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

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
func createDatabase(cfg config.Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
