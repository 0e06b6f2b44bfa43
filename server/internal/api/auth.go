package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Role of an API key.
type Role string

const (
	// RoleAdapter may call the channel RPCs and the ticket-desk RPCs.
	RoleAdapter Role = "adapter"
	// RoleAdmin may call everything.
	RoleAdmin Role = "admin"
)

// adapterMethods are the full method names the adapter role may call.
var adapterMethods = map[string]bool{
	"/relevo.v1.ChannelService/HandleMessage":     true,
	"/relevo.v1.ChannelService/Converse":          true,
	"/relevo.v1.ChannelService/StreamOutbound":    true,
	"/relevo.v1.ChannelService/ReportDelivery":    true,
	"/relevo.v1.ChannelService/SendHumanMessage":  true,
	"/relevo.v1.TicketService/StreamTicketEvents": true,
	"/relevo.v1.TicketService/GetTicket":          true,
	"/relevo.v1.TicketService/ListTickets":        true,
	"/relevo.v1.TicketService/AnswerTicket":       true,
	"/relevo.v1.TicketService/LinkTicket":         true,
	"/grpc.health.v1.Health/Check":                true,
	"/grpc.health.v1.Health/Watch":                true,
}

// publicPrefixes need no key: health checks and reflection, so that load
// balancers and grpcurl work out of the box.
var publicPrefixes = []string{"/grpc.health.v1.Health/", "/grpc.reflection."}

// Keys holds the API keys. Keys are compared by their SHA-256 in constant
// time so that neither timing nor map lookups reveal them.
type Keys struct {
	keys []apiKey
}

type apiKey struct {
	sum  [32]byte
	role Role
}

// ParseKeys reads "role:key" pairs, e.g. "admin:s3cret,adapter:t0ken".
func ParseKeys(specs []string) (*Keys, error) {
	k := &Keys{}
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		role, key, ok := strings.Cut(spec, ":")
		if !ok || key == "" {
			return nil, fmt.Errorf("api key %q: want role:key", redactKey(spec))
		}
		r := Role(role)
		if r != RoleAdapter && r != RoleAdmin {
			return nil, fmt.Errorf("api key role %q: want adapter or admin", role)
		}
		if len(key) < 16 {
			return nil, fmt.Errorf("api key for role %s: at least 16 characters", role)
		}
		k.keys = append(k.keys, apiKey{sum: sha256.Sum256([]byte(key)), role: r})
	}
	return k, nil
}

func redactKey(spec string) string {
	role, _, _ := strings.Cut(spec, ":")
	return role + ":…"
}

// Enabled reports whether any key is configured. Without keys every call
// is allowed, which the server only permits on loopback listeners.
func (k *Keys) Enabled() bool { return k != nil && len(k.keys) > 0 }

func (k *Keys) lookup(token string) (Role, bool) {
	sum := sha256.Sum256([]byte(token))
	var found Role
	for _, key := range k.keys {
		if subtle.ConstantTimeCompare(sum[:], key.sum[:]) == 1 {
			found = key.role
		}
	}
	return found, found != ""
}

// authorize checks the caller's key against the method.
func (k *Keys) authorize(ctx context.Context, method string) error {
	if !k.Enabled() {
		return nil
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(method, p) {
			return nil
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return status.Error(codes.Unauthenticated, "missing API key: send authorization: Bearer <key>")
	}
	token, ok := strings.CutPrefix(vals[0], "Bearer ")
	if !ok {
		return status.Error(codes.Unauthenticated, "authorization must be \"Bearer <key>\"")
	}
	role, ok := k.lookup(strings.TrimSpace(token))
	if !ok {
		return status.Error(codes.Unauthenticated, "invalid API key")
	}
	if role == RoleAdmin || (role == RoleAdapter && adapterMethods[method]) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "role %s may not call %s", role, method)
}

// UnaryInterceptor enforces the keys on unary calls.
func (k *Keys) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := k.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// StreamInterceptor enforces the keys on streaming calls.
func (k *Keys) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := k.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
