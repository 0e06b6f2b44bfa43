package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Role of an API key.
type Role string

const (
	// RoleAdmin may call everything.
	RoleAdmin Role = "admin"
	// RoleAdapter is a channel adapter: it hands in messages, receipts and
	// human messages and delivers the outbox, of every channel or only of
	// the channels its key is bound to. It reads no tickets.
	RoleAdapter Role = "adapter"
	// RoleDesk is a ticket desk (the Notion adapter): it reads, links,
	// answers and closes tickets, and sends nothing on a channel itself.
	RoleDesk Role = "desk"
	// RoleMetrics may only read /metrics.
	RoleMetrics Role = "metrics"
)

var roleMethods = map[Role]map[string]bool{
	RoleAdapter: {
		"/relevo.v1.ChannelService/HandleMessage":    true,
		"/relevo.v1.ChannelService/Converse":         true,
		"/relevo.v1.ChannelService/StreamOutbound":   true,
		"/relevo.v1.ChannelService/ReportDelivery":   true,
		"/relevo.v1.ChannelService/SendHumanMessage": true,
		// A channel that draws its own interface speaks as the profile says.
		"/relevo.v1.ChannelService/GetChannelProfile": true,
		// A channel shows its contact their own conversation (a web chat
		// visitor coming back); a key bound to channels names the contact
		// (allowChannel), so it reads only its channels' conversations.
		"/relevo.v1.ConversationService/GetConversation": true,
	},
	RoleDesk: {
		"/relevo.v1.TicketService/StreamTicketEvents": true,
		"/relevo.v1.TicketService/GetTicket":          true,
		"/relevo.v1.TicketService/ListTickets":        true,
		"/relevo.v1.TicketService/AnswerTicket":       true,
		"/relevo.v1.TicketService/LinkTicket":         true,
		"/relevo.v1.TicketService/CloseTicket":        true,
	},
}

// publicPrefixes need no key: health checks, so that load balancers work
// out of the box. Reflection describes the whole API and needs admin.
var publicPrefixes = []string{"/grpc.health.v1.Health/"}

// Keys holds the API keys. Keys are compared by their SHA-256 in constant
// time so that neither timing nor map lookups reveal them.
type Keys struct {
	keys []apiKey
}

type apiKey struct {
	sum [32]byte
	principal
}

// principal is who a call comes from: a role and, for an adapter key bound
// to channels, those channels (nil: every channel).
type principal struct {
	role     Role
	channels []string
}

// unrestricted is the caller when no keys are configured (loopback only).
var unrestricted = principal{role: RoleAdmin}

// ParseKeys reads key specs: "role:key", and for adapters optionally
// "adapter:key:channel" or "adapter:key:whatsapp+telegram" to bind the key
// to channels. Roles: admin, adapter, desk, metrics.
func ParseKeys(specs []string) (*Keys, error) {
	k := &Keys{}
	seen := map[[32]byte]bool{}
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" || strings.HasPrefix(spec, "#") {
			continue
		}
		role, key, ok := strings.Cut(spec, ":")
		if !ok || key == "" {
			return nil, fmt.Errorf("api key %q: want role:key", redactKey(spec))
		}
		p := principal{role: Role(role)}
		switch p.role {
		case RoleAdmin, RoleDesk, RoleMetrics:
		case RoleAdapter:
			if i := strings.LastIndex(key, ":"); i >= 0 {
				for _, ch := range strings.Split(key[i+1:], "+") {
					if !channelName.MatchString(ch) {
						return nil, fmt.Errorf("api key for role adapter: channel %q must match %s", clip(ch, 32), channelName)
					}
					p.channels = append(p.channels, ch)
				}
				key = key[:i]
			}
		default:
			return nil, fmt.Errorf("api key role %q: want admin, adapter, desk or metrics", clip(role, 32))
		}
		if len(key) < 16 {
			return nil, fmt.Errorf("api key for role %s: at least 16 characters", role)
		}
		sum := sha256.Sum256([]byte(key))
		if seen[sum] {
			return nil, fmt.Errorf("api key for role %s: the same key is given twice", role)
		}
		seen[sum] = true
		k.keys = append(k.keys, apiKey{sum: sum, principal: p})
	}
	return k, nil
}

func redactKey(spec string) string {
	role, _, _ := strings.Cut(spec, ":")
	return clip(role, 32) + ":…"
}

// Enabled reports whether any key is configured. Without keys every call
// is allowed, which the server only permits on loopback listeners.
func (k *Keys) Enabled() bool { return k != nil && len(k.keys) > 0 }

func (k *Keys) lookup(token string) (principal, bool) {
	sum := sha256.Sum256([]byte(token))
	var found principal
	for _, key := range k.keys {
		if subtle.ConstantTimeCompare(sum[:], key.sum[:]) == 1 {
			found = key.principal
		}
	}
	return found, found.role != ""
}

// authenticate finds the caller of a request from its authorization value
// ("Bearer <key>", the scheme in any case).
func (k *Keys) authenticate(authorization []string) (principal, error) {
	if len(authorization) == 0 {
		return principal{}, status.Error(codes.Unauthenticated, "missing API key: send authorization: Bearer <key>")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return principal{}, status.Error(codes.Unauthenticated, "authorization must be \"Bearer <key>\"")
	}
	p, ok := k.lookup(strings.TrimSpace(token))
	if !ok {
		return principal{}, status.Error(codes.Unauthenticated, "invalid API key")
	}
	return p, nil
}

// authorize checks the caller's key against the method and returns who
// is calling.
func (k *Keys) authorize(ctx context.Context, method string) (principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return k.authorizeMD(md, method)
}

// authorizeMD is authorize on the call's metadata.
func (k *Keys) authorizeMD(md metadata.MD, method string) (principal, error) {
	if !k.Enabled() {
		return unrestricted, nil
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(method, p) {
			return unrestricted, nil
		}
	}
	p, err := k.authenticate(md.Get("authorization"))
	if err != nil {
		return p, err
	}
	if p.role == RoleAdmin || roleMethods[p.role][method] {
		return p, nil
	}
	msg := fmt.Sprintf("role %s may not call %s", p.role, method)
	if p.role == RoleAdapter && roleMethods[RoleDesk][method] {
		msg += "; a ticket desk needs a desk key (desk:KEY)"
	}
	return p, status.Error(codes.PermissionDenied, msg)
}

// requestChannel is the channel a channel RPC acts on.
func requestChannel(req any) (field, channel string, ok bool) {
	switch r := req.(type) {
	case *relevov1.HandleMessageRequest:
		return "message.contact.channel", r.GetMessage().GetContact().GetChannel(), true
	case *relevov1.ConverseRequest:
		return "message.contact.channel", r.GetMessage().GetContact().GetChannel(), true
	case *relevov1.ReportDeliveryRequest:
		return "channel", r.GetChannel(), true
	case *relevov1.SendHumanMessageRequest:
		return "contact.channel", r.GetContact().GetChannel(), true
	case *relevov1.GetConversationRequest:
		// By id the channel is unknown before the lookup: a bound key
		// must name the contact.
		return "contact.channel", r.GetContact().GetChannel(), true
	case *relevov1.StreamOutboundRequest:
		if sub := r.GetSubscribe(); sub != nil {
			return "subscribe.channel", sub.GetChannel(), true
		}
	}
	return "", "", false
}

// allowChannel refuses a request on a channel the caller's key is not
// bound to.
func (p principal) allowChannel(req any) error {
	if p.channels == nil {
		return nil
	}
	field, ch, ok := requestChannel(req)
	if !ok || slices.Contains(p.channels, ch) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "%s: this key may act only on channel %s", field, strings.Join(p.channels, ", "))
}

// RequireHTTP serves h only to callers with a key of one of roles (admin is
// always let in) when keys are configured.
func (k *Keys) RequireHTTP(h http.Handler, roles ...Role) http.Handler {
	if !k.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := k.authenticate(r.Header.Values("Authorization"))
		code := http.StatusUnauthorized
		if err == nil {
			if p.role == RoleAdmin || slices.Contains(roles, p.role) {
				h.ServeHTTP(w, r)
				return
			}
			code, err = http.StatusForbidden, status.Errorf(codes.PermissionDenied, "role %s may not read %s", p.role, r.URL.Path)
		}
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		http.Error(w, status.Convert(err).Message(), code)
	})
}
