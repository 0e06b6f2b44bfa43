// Package app runs the Notion adapter: the ticket event stream mirrored into
// the Notion database, and the webhook server the specialists' "Enviar"
// button calls.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jomei/notionapi"
	"golang.org/x/sync/errgroup"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/notion/internal/config"
	"github.com/relevo/relevo/adapters/notion/internal/mirror"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/internal/webhook"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// shutdownTimeout bounds how long in-flight webhooks may take to finish on
// shutdown; a specialist whose press was cut short presses again.
const shutdownTimeout = 15 * time.Second

// App is the adapter process.
type App struct {
	cfg     config.Config
	tickets relevov1.TicketServiceClient
	notion  *notionapi.Client
	log     *slog.Logger
}

// New builds the adapter. tickets is the Relevo TicketService; notion the
// Notion client (notionhttp.NewClient).
func New(cfg config.Config, tickets relevov1.TicketServiceClient, notion *notionapi.Client, log *slog.Logger) *App {
	return &App{cfg: cfg, tickets: tickets, notion: notion, log: log}
}

// Serve checks the Notion database, then runs the ticket event stream into
// Notion and the webhook server on ln until ctx ends. ln is closed on
// return.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	cfg, log := a.cfg, a.log
	if cfg.InsecureNoWebhookSecret {
		log.Warn("webhook authentication is off (--insecure-no-webhook-secret): anyone who reaches the listener can answer tickets")
	}
	desk, err := a.openDatabase(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /notion/webhook", webhook.New(webhook.Config{
		Secret:                cfg.WebhookSecret,
		SecretHeader:          cfg.WebhookSecretHeader,
		VerificationToken:     cfg.WebhookVerificationTok,
		VerificationTokenFile: cfg.WebhookVerificationFile,
		Insecure:              cfg.InsecureNoWebhookSecret,
		MaxBody:               cfg.MaxBody,
	}, a.tickets, desk, log.With("component", "webhook")))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	m := mirror.New(a.tickets, desk, log.With("component", "mirror"))
	g, gctx := errgroup.WithContext(ctx)
	log.Info("webhook server listening", "addr", ln.Addr().String(), "path", "/notion/webhook")
	g.Go(func() error { return process.ServeHTTP(gctx, "webhook server", srv, ln, shutdownTimeout) })
	g.Go(func() error {
		// No local state: replay the whole log; every action is idempotent.
		return relevo.FollowTicketEvents(gctx, a.tickets, 0, m.Handle,
			relevo.TicketEventsLogger(log.With("component", "events")))
	})
	err = g.Wait()
	log.Info("notion adapter stopped")
	return err
}

// openDatabase checks the ticket database against the settings, adding
// what is missing, and names the setting to fix when it cannot.
func (a *App) openDatabase(ctx context.Context) (*ticketdb.DB, error) {
	cfg, log := a.cfg, a.log
	desk, err := ticketdb.Open(ctx, a.notion, cfg.DatabaseID, cfg.Names, cfg.Labels)
	if err != nil {
		var se *ticketdb.SchemaError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("--%s: database %s: property %q %s", se.Setting, cfg.DatabaseID, se.Property, se.Problem)
		}
		if code, msg, ok := ticketdb.APIError(err); ok {
			return nil, fmt.Errorf("--database-id: notion answered %s: %s", code, msg)
		}
		return nil, err
	}
	s := desk.Schema()
	for _, name := range desk.Added() {
		log.Info("added a property to the notion database", "database_id", cfg.DatabaseID, "property", name)
	}
	log.Info("notion database ready", "database_id", cfg.DatabaseID, "status_type", s.StatusType, "contact_type", s.ContactType, "learn_property", s.Names.Learn)
	return desk, nil
}
