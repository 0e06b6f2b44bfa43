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
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/tickets"
)

//go:embed openapi/relevo.swagger.json
var openAPIDocument []byte

// MaxRequestBytes bounds one gRPC message or REST body: a 32 MiB document
// upload plus framing (and base64 on REST).
const MaxRequestBytes = 48 << 20

// Deps are the collaborators of the API.
type Deps struct {
	Store         store.Store
	Engine        Engine
	Desk          *tickets.Desk
	Knowledge     Knowledge
	Keys          *Keys
	Metrics       Metrics
	MetricsPage   http.Handler
	Outbox        OutboxPolicy
	TakeoverPause time.Duration
	Log           *slog.Logger
}

// Server holds the gRPC server and the HTTP handler.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
	deps   Deps
}

// New builds the gRPC server with every service registered.
func New(d Deps) *Server {
	if d.Outbox.Poll <= 0 {
		d.Outbox.Poll = 500 * time.Millisecond
	}
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(MaxRequestBytes),
		// Stop waits for handlers, so streams requeue what they held before
		// the store closes.
		grpc.WaitForHandlers(true),
		grpc.ChainUnaryInterceptor(recoverUnary(d.Log), d.Keys.UnaryInterceptor),
		grpc.ChainStreamInterceptor(recoverStream(d.Log), d.Keys.StreamInterceptor),
	)
	relevov1.RegisterChannelServiceServer(g, &channelServer{
		st: d.Store, engine: d.Engine, desk: d.Desk, takeoverPause: d.TakeoverPause, policy: d.Outbox, metrics: d.Metrics, log: d.Log,
	})
	relevov1.RegisterTicketServiceServer(g, &ticketServer{st: d.Store, desk: d.Desk, poll: 2 * time.Second, log: d.Log})
	relevov1.RegisterKnowledgeServiceServer(g, &knowledgeServer{st: d.Store, kb: d.Knowledge, log: d.Log})
	relevov1.RegisterConversationServiceServer(g, &conversationServer{st: d.Store, kb: d.Knowledge, log: d.Log})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	return &Server{grpc: g, health: hs, deps: d}
}

// GRPC returns the gRPC server.
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

// HTTPHandler returns the REST gateway (dialing the gRPC server at
// grpcAddr, so REST calls pass the same interceptors: auth, limits),
// the OpenAPI document, /metrics and /healthz.
func (s *Server) HTTPHandler(ctx context.Context, grpcAddr string) (http.Handler, error) {
	gw := runtime.NewServeMux(
		runtime.WithErrorHandler(restError),
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if http.CanonicalHeaderKey(key) == "Authorization" {
				return "authorization", true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
	)
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxRequestBytes), grpc.MaxCallSendMsgSize(MaxRequestBytes)),
	}
	for _, register := range []func(context.Context, *runtime.ServeMux, string, []grpc.DialOption) error{
		relevov1.RegisterChannelServiceHandlerFromEndpoint,
		relevov1.RegisterTicketServiceHandlerFromEndpoint,
		relevov1.RegisterKnowledgeServiceHandlerFromEndpoint,
		relevov1.RegisterConversationServiceHandlerFromEndpoint,
	} {
		if err := register(ctx, gw, grpcAddr, opts); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", http.MaxBytesHandler(gw, MaxRequestBytes))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPIDocument)
	})
	if s.deps.MetricsPage != nil {
		mux.Handle("GET /metrics", s.deps.MetricsPage)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Store.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux, nil
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
	// The gateway turns a body over the limit into InvalidArgument with the
	// reader's message; the caller deserves 413.
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || strings.Contains(st.Message(), "request body too large") {
		code = http.StatusRequestEntityTooLarge
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":    st.Code().String(),
		"message": st.Message(),
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
