// Package app assembles the Relevo server: the store, the knowledge base,
// the agent chain, the message pipeline and the API, and runs them until
// told to stop. `go run ./server` is a thin main around it; tests and the
// load benchmark start servers in-process with it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/internal/api"
	"github.com/relevo/relevo/server/internal/clock"
	"github.com/relevo/relevo/server/internal/console"
	"github.com/relevo/relevo/server/internal/gaps"
	"github.com/relevo/relevo/server/internal/metrics"
	"github.com/relevo/relevo/server/internal/pipeline"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/postgres"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/store/sqlstore"
	"github.com/relevo/relevo/server/internal/tickets"
)

// Option adjusts how New assembles the server.
type Option func(*options)

type options struct {
	profile        *agents.Profile
	httpClient     *http.Client
	getenv         func(string) string
	extractCommand []string
}

// WithExtractCommand reads uploaded files in child processes running
// command (the server binary and extract.Subcommand), within the
// --extract-* limits. Without it files are read in this process within
// the same limits on their content, for tests that trust their files.
func WithExtractCommand(command ...string) Option {
	return func(o *options) { o.extractCommand = command }
}

// WithProfile uses p instead of the --profile file or the embedded sample.
func WithProfile(p *agents.Profile) Option { return func(o *options) { o.profile = p } }

// WithHTTPClient sets the HTTP client for model providers.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithGetenv replaces os.Getenv for reading the model API key named by the
// profile.
func WithGetenv(f func(string) string) Option { return func(o *options) { o.getenv = f } }

// App is an assembled server.
type App struct {
	cfg     Config
	log     *slog.Logger
	st      *sqlstore.Store
	engine  *pipeline.Engine
	api     *api.Server
	profile *agents.Profile
	kb      *kb

	grpcLn    net.Listener
	httpLn    net.Listener
	metricsLn net.Listener
}

// New opens the database (applying migrations), loads the knowledge base
// and binds the listeners. Nothing is served until Run.
func New(ctx context.Context, cfg Config, log *slog.Logger, opts ...Option) (_ *App, err error) {
	// Every worker may be waiting on the model at once: keep that many
	// connections alive instead of a TLS handshake per call.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = max(cfg.Workers, 2)
	o := options{httpClient: &http.Client{Transport: transport}, getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	// A run waiting for a model gives its CPU slot back (pipeline.Config.
	// CPUSlots); the caller's client is copied, not changed.
	hc := *o.httpClient
	hc.Transport = pipeline.Yielding(hc.Transport)
	o.httpClient = &hc
	profile := o.profile
	if profile == nil {
		if cfg.Profile != "" {
			if profile, err = agents.LoadProfile(cfg.Profile); err != nil {
				return nil, fmt.Errorf("--profile: %w", err)
			}
		} else {
			profile = agents.DefaultProfile()
		}
	}
	// A missing model key is found before anything is opened or loaded.
	if _, err := modes.APIKey(profile, o.getenv); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	keys, err := api.ParseKeys(cfg.APIKeys)
	if err != nil {
		return nil, fmt.Errorf("--api-keys: %w", err)
	}
	if cfg.APIKeysOnCommandLine {
		log.Warn("--api-keys was given as an argument, which every user of this host can read in the process list; use RELEVO_API_KEYS or --api-keys-file")
	}

	now := clock.Func(clock.System)
	if cfg.ClockOffsetFile != "" {
		log.Warn("testing clock: the server's time runs ahead by the duration in the file", "file", cfg.ClockOffsetFile)
		now = clock.OffsetFile(cfg.ClockOffsetFile)
	}
	st, err := openStore(ctx, cfg.Database, now, log.With("component", "store"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()

	kb, err := newKnowledge(ctx, cfg, st, profile, o, log)
	if err != nil {
		return nil, err
	}
	chain, err := newChain(profile, kb, o, log.With("component", "agents"))
	if err != nil {
		return nil, err
	}
	transcriber := newTranscriber(cfg, profile, o)
	m := metrics.New()
	host, _ := os.Hostname()
	engine := pipeline.New(st, chain, profile, transcriber, m, pipeline.Config{
		Workers:             cfg.Workers,
		CPUSlots:            cfg.RunCPUSlots,
		Lease:               cfg.Lease,
		ReadReceiptChannels: cfg.ReadReceiptChannels,
		HistoryMessages:     cfg.HistoryMessages,
		Owner:               fmt.Sprintf("%s:%d", host, os.Getpid()),
		ServiceWindows:      cfg.ServiceWindows,
		Now:                 now,
	}, log.With("component", "pipeline"))
	m.WatchOutcomes(func(ctx context.Context, since time.Time) (map[string]int, error) {
		counts, err := st.CountResolutions(ctx, since, time.Time{})
		out := make(map[string]int, len(counts))
		for o, n := range counts {
			out[string(o)] = n
		}
		return out, err
	}, []string{string(store.OutcomeResolvedByBot), string(store.OutcomeResolvedByPerson), string(store.OutcomeAbandoned)})
	desk := tickets.New(st, kb, tickets.Policy(profile.Learning.Policy), log.With("component", "tickets")).
		WithWindowTemplate(engine.WindowTemplate)
	judge, err := modes.Judge(profile, modes.Options{Getenv: o.getenv, HTTPClient: o.httpClient})
	if err != nil {
		return nil, err
	}
	if judge != nil {
		desk.WithJudge(judge)
	}
	ui, err := console.Handler("/console/", console.Options{
		Language: profile.Company.Language, Company: profile.Company.Name,
		KeysRequired: keys.Enabled(), Exposed: cfg.HTTPListen != "" && !isLoopback(cfg.HTTPListen),
	})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	server := api.New(api.Deps{
		Stores: api.Stores{
			Channel: st, Ticket: st, Knowledge: st, Conversation: st, Health: st,
		},
		Engine:        engine,
		Desk:          desk,
		Knowledge:     kb,
		Decider:       decider{agent: chain.Agent(agents.RoleKnowledge), timeout: profile.AgentTimeout},
		Gaps:          gaps.New(st, profile.Company.Language),
		Console:       ui,
		Keys:          keys,
		Metrics:       m,
		MetricsPage:   m.Handler(),
		MetricsPublic: cfg.MetricsPublic,
		MetricsApart:  cfg.MetricsListen != "",
		Outbox: api.OutboxPolicy{
			AckTimeout: cfg.OutboxAckTimeout, MaxAttempts: cfg.OutboxMaxAttempts,
			BackoffBase: cfg.OutboxBackoffBase, BackoffMax: cfg.OutboxBackoffMax,
		},
		TakeoverPause: profile.Human.TakeoverPause,
		Profile:       api.ChannelProfile{CompanyName: profile.Company.Name, Language: profile.Company.Language, Greeting: profile.Messages.Greeting},
		Now:           now,
		Log:           log.With("component", "api"),
		// Those being read and as many waiting their turn; more are refused.
		MaxUploads: 2 * cfg.ExtractConcurrency,
	})

	a := &App{cfg: cfg, log: log, st: st, engine: engine, api: server, profile: profile, kb: kb}
	if a.grpcLn, err = net.Listen("tcp", cfg.GRPCListen); err != nil {
		return nil, fmt.Errorf("--grpc-listen: %w", err)
	}
	if cfg.HTTPListen != "" {
		if a.httpLn, err = net.Listen("tcp", cfg.HTTPListen); err != nil {
			a.grpcLn.Close()
			return nil, fmt.Errorf("--http-listen: %w", err)
		}
	}
	if cfg.MetricsListen != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			a.grpcLn.Close()
			if a.httpLn != nil {
				a.httpLn.Close()
			}
			return nil, fmt.Errorf("--metrics-listen: %w", err)
		}
	}
	return a, nil
}

// openStore opens the one store implementation on the engine the DSN
// names; New hands each part of the server the role it needs of it.
func openStore(ctx context.Context, dsn string, now clock.Func, log *slog.Logger) (*sqlstore.Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		st, err := postgres.Open(ctx, dsn, postgres.WithLogger(log), postgres.WithClock(now))
		if err != nil {
			return nil, fmt.Errorf("--database: open postgres: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite://"), sqlite.WithLogger(log), sqlite.WithClock(now))
	if err != nil {
		return nil, fmt.Errorf("--database: open sqlite %s: %w", dsn, err)
	}
	return st, nil
}

// GRPCAddr is the bound gRPC address.
func (a *App) GRPCAddr() string { return a.grpcLn.Addr().String() }

// HTTPAddr is the bound HTTP address, or "" when REST is off.
func (a *App) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// MetricsAddr is the bound address of --metrics-listen, or "".
func (a *App) MetricsAddr() string {
	if a.metricsLn == nil {
		return ""
	}
	return a.metricsLn.Addr().String()
}

// Store returns the store (tests inspect it).
func (a *App) Store() store.Store { return a.st }

// Run serves until ctx ends, then shuts down gracefully: health turns
// NOT_SERVING, listeners close, in-flight calls and agent runs finish
// (bounded by --shutdown-timeout), unacked outbound messages go back to the
// outbox, and the database closes.
func (a *App) Run(ctx context.Context) error {
	defer a.st.Close()
	a.api.SetServing(true)

	var wg sync.WaitGroup
	errc := make(chan error, 3)
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEngine()
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = a.engine.Run(engineCtx)
	}()
	go func() {
		defer wg.Done()
		a.kb.follow(engineCtx)
	}()

	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.api.GRPC().Serve(a.grpcLn); err != nil {
			errc <- fmt.Errorf("grpc: %w", err)
		}
	}()
	var httpServers []*http.Server
	serveHTTP := func(name string, ln net.Listener, h http.Handler) {
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		httpServers = append(httpServers, hs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	if a.httpLn != nil {
		h, err := a.api.HTTPHandler(ctx)
		if err != nil {
			return fmt.Errorf("rest gateway: %w", err)
		}
		serveHTTP("http", a.httpLn, h)
	}
	if a.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.api.MetricsHandler())
		serveHTTP("metrics", a.metricsLn, mux)
	}
	a.log.Info("relevo server started", "grpc", a.GRPCAddr(), "http", a.HTTPAddr(),
		"company", a.profile.Company.Name, "triage", a.profile.Triage.Mode, "knowledge", a.profile.Knowledge.Mode)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	deadline := time.Now().Add(a.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// Health turns NOT_SERVING, listeners stop accepting, calls in flight
	// finish, then streams close. The agent runs go on meanwhile: a
	// Converse call in flight waits for one.
	if err := a.api.Shutdown(shutdownCtx, httpServers...); err != nil {
		a.log.Warn("shutdown timeout: calls still in flight were cut", "err", err)
	}
	stopEngine()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-shutdownCtx.Done():
		a.log.Warn("shutdown timeout: abandoning in-flight runs to their leases")
	}
	a.log.Info("stopped")
	return runErr
}
