// Package api serves Relevo's public contract: the gRPC services of
// proto/relevo/v1, with API-key auth, request limits and one mapping of
// domain errors to status codes, plus the REST/JSON gateway, the OpenAPI
// document, health, reflection and metrics.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/grpc/test/bufconn"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/gaps"
	"github.com/relevo/relevo/server/internal/tickets"
)

//go:embed openapi/relevo.swagger.json
var openAPIDocument []byte

// MaxRequestBytes bounds every request, whatever its method: a 32 MiB
// document upload plus framing (and base64 on REST). Each method takes at
// most what its bounds allow (limits.go), 1 MiB for most.
const MaxRequestBytes = 48 << 20

// Stores are the store's roles, one for each service that reads or writes
// it; the one store implementation plays them all.
type Stores struct {
	Channel      ChannelStore
	Ticket       TicketStore
	Knowledge    KnowledgeStore
	Conversation ConversationStore
	// Health answers /healthz.
	Health interface {
		Ping(ctx context.Context) error
	}
}

// Deps are the collaborators of the API.
type Deps struct {
	Stores    Stores
	Engine    Engine
	Desk      *tickets.Desk
	Knowledge Knowledge
	// Decider answers "what would the bot do" for KnowledgeService.Search;
	// Gaps finds content gaps. Either may be nil (those calls are then
	// UNIMPLEMENTED).
	Decider     Decider
	Gaps        *gaps.Finder
	Keys        *Keys
	Metrics     Metrics
	MetricsPage http.Handler
	// MetricsPublic serves /metrics without a key (for a private metrics
	// address); otherwise it needs a metrics or admin key when keys are set.
	MetricsPublic bool
	// MetricsApart leaves /metrics out of HTTPHandler: it is served on its
	// own address through MetricsHandler.
	MetricsApart bool
	// Console is the operator console, served under /console/; nil: none.
	Console       http.Handler
	Outbox        OutboxPolicy
	TakeoverPause time.Duration
	// Profile is what GetChannelProfile tells channels about the company.
	Profile ChannelProfile
	// MaxUploads is how many document uploads may be read at once; more
	// are refused (RESOURCE_EXHAUSTED, HTTP 429) before they are read, since
	// each holds its content several times over while it is read. 0: 4.
	MaxUploads int
	// Now is the clock (tests move it forward); nil: the system clock.
	Now func() time.Time
	Log *slog.Logger
}

// Server holds the gRPC servers and the HTTP handler.
//
// Two gRPC servers share the services and the guard: grpc serves callers,
// gateway serves only the REST gateway, over an in-memory listener. On
// shutdown the first stops taking calls at once while the second keeps
// serving the REST requests already in flight until they finish.
type Server struct {
	grpc    *grpc.Server
	gateway *grpc.Server
	gwLn    *bufconn.Listener
	health  *health.Server
	calls   *inflight
	uploads chan struct{} // a slot for each upload being read
	drain   chan struct{}
	drained sync.Once
	deps    Deps
}

// New builds the gRPC servers with every service registered.
func New(d Deps) *Server {
	if d.Outbox.Poll <= 0 {
		d.Outbox.Poll = 500 * time.Millisecond
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxUploads <= 0 {
		d.MaxUploads = 4
	}
	s := &Server{health: health.NewServer(), calls: &inflight{}, uploads: make(chan struct{}, d.MaxUploads), drain: make(chan struct{}), deps: d}
	g := guard{keys: d.Keys, log: d.Log, calls: s.calls}
	// Callers' uploads take their slot here; REST uploads took theirs
	// before the gateway read them.
	callerTap := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		ctx, err := g.tap(ctx, info)
		if err != nil || info.FullMethodName != relevov1.KnowledgeService_UploadDocument_FullMethodName {
			return ctx, err
		}
		release, err := s.admitUpload()
		if err != nil {
			return ctx, err
		}
		// The stream's context ends with the call, however it ends.
		go func() {
			<-ctx.Done()
			release()
		}()
		return ctx, nil
	}
	build := func(inTap tap.ServerInHandle, maxRecv int, limit bool) *grpc.Server {
		gs := grpc.NewServer(
			grpc.MaxRecvMsgSize(maxRecv),
			grpc.InTapHandle(inTap),
			grpc.ForceServerCodecV2(newRequestCodec(limit)),
			// Stop waits for handlers, so streams requeue what they held before
			// the store closes.
			grpc.WaitForHandlers(true),
			grpc.ChainUnaryInterceptor(recoverUnary(d.Log), g.unary),
			grpc.ChainStreamInterceptor(recoverStream(d.Log), g.stream),
		)
		relevov1.RegisterChannelServiceServer(gs, &channelServer{
			st: d.Stores.Channel, engine: d.Engine, desk: d.Desk, takeoverPause: d.TakeoverPause, policy: d.Outbox, metrics: d.Metrics, now: d.Now, log: d.Log, drain: s.drain,
			profile: d.Profile,
		})
		relevov1.RegisterTicketServiceServer(gs, &ticketServer{st: d.Stores.Ticket, desk: d.Desk, poll: 2 * time.Second, log: d.Log, drain: s.drain})
		relevov1.RegisterKnowledgeServiceServer(gs, &knowledgeServer{st: d.Stores.Knowledge, kb: d.Knowledge, decider: d.Decider, gaps: d.Gaps, log: d.Log})
		relevov1.RegisterConversationServiceServer(gs, &conversationServer{st: d.Stores.Conversation, kb: d.Knowledge, now: d.Now, log: d.Log})
		return gs
	}
	// Callers' messages are refused unread beyond what the largest method
	// takes, and decoded only within their own method's limit. The REST
	// gateway limits the bodies it reads, method by method, before its
	// server sees them.
	s.grpc = build(callerTap, maxWireRequest, true)
	healthpb.RegisterHealthServer(s.grpc, drainingHealth{Server: s.health, drain: s.drain})
	reflection.Register(s.grpc)
	s.gateway = build(g.tap, MaxRequestBytes, false)
	s.gwLn = bufconn.Listen(1 << 20)
	go func() { _ = s.gateway.Serve(s.gwLn) }()
	return s
}

// GRPC returns the gRPC server callers reach.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// SetServing flips the health status (NOT_SERVING while shutting down, so
// load balancers stop sending work first).
func (s *Server) SetServing(ok bool) {
	st := healthpb.HealthCheckResponse_SERVING
	if !ok {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
}

// HTTPHandler returns the REST gateway (its calls pass the same guard as
// gRPC calls: keys, bounds), the OpenAPI document, /metrics (unless served
// apart) and /healthz.
func (s *Server) HTTPHandler(ctx context.Context) (http.Handler, error) {
	gw := runtime.NewServeMux(
		runtime.WithErrorHandler(restError),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, restMarshaler()),
		// The gateway reads a body once it knows the method, after its
		// metadata annotators: the one point where the body can be limited
		// to what the method takes before it is read.
		runtime.WithMetadata(func(ctx context.Context, r *http.Request) metadata.MD {
			if method, ok := runtime.RPCMethod(ctx); ok && r.Body != nil {
				if l, ok := methodLimits(method); ok {
					r.Body = http.MaxBytesReader(nil, r.Body, int64(l.json))
				}
			}
			return nil
		}),
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if http.CanonicalHeaderKey(key) == "Authorization" {
				return "authorization", true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
	)
	// The gateway's connection lives as long as the server, not as long as
	// the context the process runs under: REST calls in flight when the
	// process is told to stop finish over it.
	conn, err := grpc.NewClient("passthrough:///relevo-gateway",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.gwLn.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxRequestBytes), grpc.MaxCallSendMsgSize(MaxRequestBytes),
			grpc.ForceCodecV2(newGatewayCodec())),
	)
	if err != nil {
		return nil, err
	}
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		relevov1.RegisterChannelServiceHandler,
		relevov1.RegisterTicketServiceHandler,
		relevov1.RegisterKnowledgeServiceHandler,
		relevov1.RegisterConversationServiceHandler,
	} {
		if err := register(ctx, gw, conn); err != nil {
			conn.Close()
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.requireKey(gw, http.MaxBytesHandler(gw, MaxRequestBytes)))
	mux.Handle("POST /v1/documents", s.requireKey(gw, s.limitUploads(gw, http.MaxBytesHandler(gw, MaxRequestBytes))))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPIDocument)
	})
	if s.deps.Console != nil {
		mux.Handle("GET /console/", s.deps.Console)
		mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
	}
	if s.deps.MetricsPage != nil && !s.deps.MetricsApart {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Stores.Health.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux, nil
}

// requireKey refuses a REST call without a valid key before the gateway
// reads its body (up to its method's limit), which would otherwise cost the
// server the reading and decoding. Which roles may make the call is the
// guard's to check, as for native calls.
func (s *Server) requireKey(gw *runtime.ServeMux, h http.Handler) http.Handler {
	if !s.deps.Keys.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.deps.Keys.authenticate(r.Header.Values("Authorization")); err != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			restError(r.Context(), gw, nil, w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// admitUpload takes a slot for an upload about to be read, or refuses it
// when every slot is taken.
func (s *Server) admitUpload() (release func(), err error) {
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	default:
		return nil, status.Errorf(codes.ResourceExhausted, "%d uploads are being read; send this one again when one of them ends", cap(s.uploads))
	}
}

// limitUploads refuses a REST upload before the gateway reads it when
// every slot is taken.
func (s *Server) limitUploads(gw *runtime.ServeMux, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, err := s.admitUpload()
		if err != nil {
			w.Header().Set("Retry-After", "5")
			restError(r.Context(), gw, nil, w, r, err)
			return
		}
		defer release()
		h.ServeHTTP(w, r)
	})
}

// MetricsHandler is the Prometheus page, behind a metrics or admin key
// when keys are configured unless MetricsPublic.
func (s *Server) MetricsHandler() http.Handler {
	if s.deps.MetricsPage == nil {
		return http.NotFoundHandler()
	}
	if s.deps.MetricsPublic {
		return s.deps.MetricsPage
	}
	return s.deps.Keys.RequireHTTP(s.deps.MetricsPage, RoleMetrics)
}

// Shutdown stops the API gracefully within ctx: health turns NOT_SERVING;
// the gRPC and HTTP listeners stop accepting (gRPC clients are told to go
// away, so a call they start now is refused before it starts); calls in
// flight, native and REST, run to their end; then the long-lived streams
// are closed (outbound streams requeue what they held). When ctx ends
// first, whatever still runs is cut and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context, httpServers ...*http.Server) error {
	s.SetServing(false)
	grpcDone := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(grpcDone)
	}()
	var hwg sync.WaitGroup
	for _, hs := range httpServers {
		hwg.Add(1)
		go func() {
			defer hwg.Done()
			if err := hs.Shutdown(ctx); err != nil {
				_ = hs.Close()
			}
		}()
	}
	hwg.Wait()
	// No REST request is left, and no new native call can start: when the
	// unary calls in flight are done, only streams hold the server open.
	if err := s.calls.wait(ctx); err == nil {
		s.closeStreams()
	}
	var err error
	select {
	case <-grpcDone:
	case <-ctx.Done():
		err = ctx.Err()
		s.cut(s.grpc, grpcDone)
	}
	s.closeStreams()
	gwDone := make(chan struct{})
	go func() {
		s.gateway.GracefulStop()
		close(gwDone)
	}()
	select {
	case <-gwDone:
	case <-ctx.Done():
		err = ctx.Err()
		s.cut(s.gateway, gwDone)
	}
	return err
}

// stopGrace is how long a handler still running at the shutdown deadline
// gets, once its context is cancelled, before it is abandoned: one that
// ignores its context must not keep the process from exiting.
const stopGrace = 5 * time.Second

// cut stops gs at once (cancelling every handler's context) and waits for
// its handlers, at most stopGrace, beyond which they are abandoned.
func (s *Server) cut(gs *grpc.Server, done <-chan struct{}) {
	stopped := make(chan struct{})
	go func() {
		gs.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		<-done
	case <-time.After(stopGrace):
		s.deps.Log.Warn("shutdown: a call ignored its cancellation and was abandoned")
	}
}

func (s *Server) closeStreams() { s.drained.Do(func() { close(s.drain) }) }

// drainingHealth ends health Watch streams with the other streams at
// shutdown, once they have seen NOT_SERVING: a watching client would
// otherwise hold the server open until the timeout.
type drainingHealth struct {
	*health.Server
	drain <-chan struct{}
}

func (h drainingHealth) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-h.drain:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := h.Server.Watch(req, watchStream{Health_WatchServer: stream, ctx: ctx})
	if ctx.Err() != nil && stream.Context().Err() == nil {
		return nil // ended by the shutdown
	}
	return err
}

type watchStream struct {
	healthpb.Health_WatchServer
	ctx context.Context
}

func (w watchStream) Context() context.Context { return w.ctx }

// Stop cuts everything at once (tests).
func (s *Server) Stop() {
	s.closeStreams()
	s.grpc.Stop()
	s.gateway.Stop()
}

// restError writes gRPC errors as JSON with the HTTP status a REST client
// expects; state conflicts are 409 rather than the gateway's default 400.
func restError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	code := runtime.HTTPStatusFromCode(st.Code())
	switch st.Code() {
	case codes.FailedPrecondition, codes.AlreadyExists:
		code = http.StatusConflict
	}
	msg := st.Message()
	// The gateway turns a body over the limit into InvalidArgument with the
	// reader's message; the caller deserves 413 and the limit.
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || strings.Contains(msg, "request body too large") {
		code = http.StatusRequestEntityTooLarge
		st = status.New(codes.ResourceExhausted, msg)
		limit := MaxRequestBytes
		method, _ := runtime.RPCMethod(ctx)
		if l, ok := methodLimits(method); ok {
			limit = l.json
		}
		msg = tooLarge(methodName(method), limit)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":    st.Code().String(),
		"message": safeMessage(msg),
		"status":  code,
	})
}

func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "panic", p)
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in stream handler", "method", info.FullMethod, "panic", p)
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(srv, ss)
	}
}
