package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/jomei/notionapi"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/relevo/relevo/adapters/notion/internal/mirror"
	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/internal/webhook"
	"github.com/relevo/relevo/clients/relevo"
)

// serve runs the adapter until ctx ends: the ticket event stream into
// Notion, and the webhook server on ln (or on cfg.Listen when ln is nil).
func serve(ctx context.Context, cfg *config, ln net.Listener, log *slog.Logger) error {
	api, err := newNotionClient(cfg, log)
	if err != nil {
		return err
	}
	desk, err := ticketdb.Open(ctx, api, cfg.DatabaseID, cfg.Names, cfg.Labels)
	if err != nil {
		var se *ticketdb.SchemaError
		if errors.As(err, &se) {
			return fmt.Errorf("--%s: database %s: property %q %s", se.Setting, cfg.DatabaseID, se.Property, se.Problem)
		}
		if code, msg, ok := ticketdb.APIError(err); ok {
			return fmt.Errorf("--database-id: notion answered %s: %s", code, msg)
		}
		return err
	}
	s := desk.Schema()
	for _, name := range desk.Added() {
		log.Info("added a property to the notion database", "database_id", cfg.DatabaseID, "property", name)
	}
	log.Info("notion database ready", "database_id", cfg.DatabaseID, "status_type", s.StatusType, "contact_type", s.ContactType, "learn_property", s.Names.Learn)

	client, err := relevo.Dial(ctx, cfg.Server, relevo.WithToken(cfg.Token))
	if err != nil {
		return err
	}
	defer client.Close()

	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("POST /notion/webhook", webhook.New(webhook.Config{
		Secret:            cfg.WebhookSecret,
		SecretHeader:      cfg.WebhookSecretHeader,
		VerificationToken: cfg.WebhookVerificationTok,
		Insecure:          cfg.InsecureNoWebhookSecret,
		MaxBody:           cfg.MaxBody,
	}, client.Tickets, desk, log.With("component", "webhook")))
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

	m := mirror.New(client.Tickets, desk, log.With("component", "mirror"))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("webhook server listening", "addr", ln.Addr().String(), "path", "/notion/webhook")
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("webhook server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		// No local state: replay the whole log; every action is idempotent.
		return relevo.FollowTicketEvents(gctx, client.Tickets, 0, m.Handle,
			relevo.TicketEventsLogger(log.With("component", "events")))
	})
	g.Go(func() error {
		<-gctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("webhook server shutdown: %w", err)
		}
		return nil
	})
	err = g.Wait()
	log.Info("notion adapter stopped")
	return err
}

// newNotionClient returns the notionapi client with the adapter's transport
// under it: pacing, retries and the configured base URL.
func newNotionClient(cfg *config, log *slog.Logger) (*notionapi.Client, error) {
	base, err := url.Parse(cfg.NotionURL)
	if err != nil {
		return nil, fmt.Errorf("--notion-url: %w", err)
	}
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("unexpected http.DefaultTransport")
	}
	tr := dt.Clone()
	// Notion answers within 60 s or gives up itself; an attempt that takes
	// longer is stuck.
	tr.ResponseHeaderTimeout = 75 * time.Second
	burst := max(1, int(cfg.NotionRate))
	hc := &http.Client{Transport: notionhttp.New(notionhttp.Options{
		Base:    tr,
		BaseURL: base,
		Limiter: rate.NewLimiter(rate.Limit(cfg.NotionRate), burst),
		Logger:  log.With("component", "notion"),
	})}
	// WithRetry(1): the library's own 429 retry would resend a drained
	// body; the transport retries instead, so the library sees no 429.
	return notionapi.NewClient(notionapi.Token(cfg.NotionToken),
		notionapi.WithHTTPClient(hc), notionapi.WithVersion(cfg.NotionVersion), notionapi.WithRetry(1)), nil
}
