package api

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/proto"
)

// guard is the one gate every call passes before its handler: the key and
// its role, then the request itself (UTF-8 and the bounds of the contract),
// then the channels the key is bound to. It also counts the unary calls in
// flight, so that shutdown can wait for them.
type guard struct {
	keys  *Keys
	log   *slog.Logger
	calls *inflight
}

func (g guard) check(ctx context.Context, p principal, req any) error {
	if m, ok := req.(proto.Message); ok {
		if markedTooLarge(m) {
			method, _ := grpc.Method(ctx)
			l, _ := methodLimits(method)
			return status.Error(codes.ResourceExhausted, tooLarge(methodName(method), max(l.wire, minRequestLimit)))
		}
		if path, ok := markedInvalidUTF8(m); ok {
			if len(path) > 128 || !utf8.ValidString(path) {
				path = "request"
			}
			return status.Error(codes.InvalidArgument, path+": not valid UTF-8")
		}
		if err := checkBounds(m); err != nil {
			return toStatus(ctx, g.log, err)
		}
	}
	return p.allowChannel(req)
}

// tap refuses a call whose key may not make it before gRPC reads its
// request (up to the largest any method takes): without a key, a large
// request would otherwise cost the server its reading and decoding. The
// interceptors check the key again, as the one gate; this is the same
// check, early.
func (g guard) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if _, err := g.keys.authorizeMD(info.Header, info.FullMethodName); err != nil {
		return ctx, err
	}
	return ctx, nil
}

func (g guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	p, err := g.keys.authorize(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	if err := g.check(ctx, p, req); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(info.FullMethod, "/grpc.health.v1.") {
		g.calls.add(1)
		defer g.calls.add(-1)
	}
	resp, err := handler(ctx, req)
	// The one mapping of domain errors to status codes: handlers return
	// store and domain errors as they are.
	return resp, toStatus(ctx, g.log, err)
}

func (g guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	p, err := g.keys.authorize(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return toStatus(ss.Context(), g.log, handler(srv, &guardedStream{ServerStream: ss, g: g, p: p}))
}

// guardedStream checks every message a client sends on a stream.
type guardedStream struct {
	grpc.ServerStream
	g guard
	p principal
}

func (s *guardedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.g.check(s.Context(), s.p, m)
}

// inflight counts calls and lets shutdown wait until none is left.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (c *inflight) add(d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += d
	if c.n == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// wait returns when no call is in flight, or when ctx ends.
func (c *inflight) wait(ctx context.Context) error {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return nil
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
