// Package app wires the web chat adapter: the browser-facing HTTP server
// and the outbound loop towards the Relevo server.
package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/relevo/relevo/adapters/internal/process"
	"github.com/relevo/relevo/adapters/webchat/internal/chat"
	"github.com/relevo/relevo/adapters/webchat/internal/config"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// shutdownTimeout bounds how long open requests may take on shutdown.
// Event streams are cut at once: the widgets reconnect to another process.
const shutdownTimeout = 10 * time.Second

// App is the adapter process.
type App struct {
	cfg          config.Config
	channels     relevov1.ChannelServiceClient
	chat         *chat.Handler
	handler      http.Handler
	log          *slog.Logger
	outboundOpts []relevo.OutboundOption
}

// New builds the adapter from the server's ChannelService and
// ConversationService clients.
func New(cfg config.Config, channels relevov1.ChannelServiceClient, history chat.History, log *slog.Logger, outboundOpts ...relevo.OutboundOption) *App {
	h := chat.New(chat.Config{
		AllowedOrigins: cfg.AllowedOrigins,
		CookieSecret:   []byte(cfg.CookieSecret),
		IdentitySecret: []byte(cfg.IdentitySecret),
		CookieTTL:      cfg.CookieTTL,
		Widget: chat.Widget{Company: cfg.Company, Language: cfg.Language, Color: cfg.Color, TextColor: cfg.TextColor,
			Welcome: cfg.Welcome, MaxChars: cfg.MaxMessageChars},
		RatePerMinute:        cfg.RatePerMinute,
		Burst:                cfg.Burst,
		AddressRatePerMinute: cfg.AddressRatePerMinute,
		AddressBurst:         cfg.AddressBurst,
		ClientIPHeader:       cfg.ClientIPHeader,
	}, channels, history, log.With("component", "chat"))
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /healthz", process.Healthz)
	return &App{cfg: cfg, channels: channels, chat: h, handler: mux, log: log, outboundOpts: outboundOpts}
}

// Handler returns the HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Serve runs the HTTP server on ln and the outbound loop until ctx is
// cancelled.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		// No WriteTimeout: event streams stay open; each write is small.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	a.log.Info("webchat adapter started", "listen", ln.Addr().String(), "allowed_origins", a.cfg.AllowedOrigins,
		"identity_verification", a.cfg.IdentitySecret != "")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return process.ServeHTTP(gctx, "http server", srv, ln, shutdownTimeout) })
	g.Go(func() error {
		opts := append([]relevo.OutboundOption{relevo.OutboundLogger(a.log.With("component", "outbound"))}, a.outboundOpts...)
		return relevo.RunOutbound(gctx, a.channels, chat.Channel, a.chat.Deliver, opts...)
	})
	err := g.Wait()
	a.log.Info("webchat adapter stopped")
	return err
}
