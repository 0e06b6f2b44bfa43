// Package app wires the WhatsApp adapter: the webhook HTTP server towards
// Meta and the outbound loop towards the Relevo server.
package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/whatsapp/internal/config"
	"github.com/relevo/relevo/adapters/whatsapp/internal/graph"
	"github.com/relevo/relevo/adapters/whatsapp/internal/sender"
	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// shutdownTimeout bounds how long in-flight webhooks may take to finish on
// shutdown; Meta re-delivers whatever was cut short.
const shutdownTimeout = 15 * time.Second

// App is the adapter process.
type App struct {
	cfg          config.Config
	channels     relevov1.ChannelServiceClient
	sender       *sender.Sender
	handler      http.Handler
	log          *slog.Logger
	outboundOpts []relevo.OutboundOption
}

// New builds the adapter. channels is the Relevo ChannelService; hc is the
// HTTP client for the Cloud API (nil for a default one); outboundOpts tune
// the outbound loop.
func New(cfg config.Config, channels relevov1.ChannelServiceClient, hc *http.Client, log *slog.Logger, outboundOpts ...relevo.OutboundOption) *App {
	g := graph.New(cfg.GraphURL, cfg.GraphVersion, cfg.AccessToken, hc)
	wh := webhook.NewHandler(webhook.Config{
		VerifyToken:   cfg.VerifyToken,
		AppSecret:     cfg.AppSecret,
		SkipSignature: cfg.InsecureSkipSignature,
		MaxBody:       cfg.MaxBody,
	}, channels, g, log.With("component", "webhook"))
	mux := http.NewServeMux()
	mux.Handle("/webhook", wh)
	mux.HandleFunc("GET /healthz", process.Healthz)
	return &App{
		cfg:      cfg,
		channels: channels,
		sender: sender.New(g, sender.Config{FallbackTemplate: cfg.FallbackTemplate, FallbackLanguage: cfg.FallbackTemplateLang},
			log.With("component", "sender")),
		handler:      mux,
		log:          log,
		outboundOpts: outboundOpts,
	}
}

// Handler returns the HTTP handler: /webhook and /healthz.
func (a *App) Handler() http.Handler { return a.handler }

// Serve runs the webhook server on ln and the outbound loop until ctx is
// cancelled, then shuts both down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.cfg.InsecureSkipSignature {
		a.log.Warn("INSECURE: webhook signatures are NOT checked (--insecure-skip-signature). Anyone who finds the URL can inject messages. Never run this in production.")
	}
	if a.cfg.MaxBody < config.MetaMaxPayload {
		a.log.Warn("--max-body is below the 3 MB Meta may send; large batches will be refused", "max_body", a.cfg.MaxBody)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for a voice-note download and the server calls.
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.log.Info("whatsapp adapter started", "listen", ln.Addr().String(), "graph_url", a.cfg.GraphURL, "graph_version", a.cfg.GraphVersion,
		"signature_check", !a.cfg.InsecureSkipSignature, "fallback_template", a.cfg.FallbackTemplate)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return process.ServeHTTP(gctx, "webhook server", srv, ln, shutdownTimeout) })
	g.Go(func() error {
		opts := append([]relevo.OutboundOption{
			relevo.OutboundConcurrency(a.cfg.SendConcurrency),
			// A window of several sends per sender: each delivery waits for
			// a claim, the Graph API and an ack, and with a window no
			// larger than the senders, replies queued behind that round
			// trip under load.
			relevo.OutboundMaxInFlight(4 * a.cfg.SendConcurrency),
			relevo.OutboundLogger(a.log.With("component", "outbound")),
		}, a.outboundOpts...)
		return relevo.RunOutbound(gctx, a.channels, webhook.Channel, a.sender.Deliver, opts...)
	})
	err := g.Wait()
	a.log.Info("whatsapp adapter stopped")
	return err
}
