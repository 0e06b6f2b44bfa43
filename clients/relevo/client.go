// Package relevo is the Go client of the Relevo API. Channel adapters, the
// relevoctl CLI and other teams' integrations use it to dial the server with
// the right credentials and to run the long-lived streams (the outbound
// stream of a channel, the ticket event stream) with reconnects.
//
//	c, err := relevo.Dial(ctx, "127.0.0.1:50051", relevo.WithToken(os.Getenv("RELEVO_TOKEN")))
//	...
//	defer c.Close()
//	resp, err := c.Channels.HandleMessage(ctx, &relevov1.HandleMessageRequest{...})
package relevo

import (
	"context"
	"crypto/tls"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Client holds one connection to a Relevo server and a stub per service.
type Client struct {
	conn          *grpc.ClientConn
	Channels      relevov1.ChannelServiceClient
	Tickets       relevov1.TicketServiceClient
	Knowledge     relevov1.KnowledgeServiceClient
	Conversations relevov1.ConversationServiceClient
}

type options struct {
	token    string
	tls      *tls.Config
	dialOpts []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithToken sends the API key as "authorization: Bearer <token>" on every
// call. An empty token sends nothing (a loopback server without keys).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTLS dials with TLS. Without it the connection is plaintext, which the
// server only accepts on loopback or behind a TLS-terminating proxy.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithDialOptions adds raw gRPC dial options (interceptors, a bufconn dialer
// in tests, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// Dial connects to the server at target (host:port). The connection is lazy:
// errors of an unreachable server show on the first call.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dialOpts := []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	if o.tls != nil {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(credentials.NewTLS(o.tls)))
	} else {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if o.token != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearer{token: o.token, secure: o.tls != nil}))
	}
	dialOpts = append(dialOpts, o.dialOpts...)
	conn, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial relevo at %s: %w", target, err)
	}
	return &Client{
		conn:          conn,
		Channels:      relevov1.NewChannelServiceClient(conn),
		Tickets:       relevov1.NewTicketServiceClient(conn),
		Knowledge:     relevov1.NewKnowledgeServiceClient(conn),
		Conversations: relevov1.NewConversationServiceClient(conn),
	}, nil
}

// Conn returns the underlying connection (for health checks and other
// services).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// bearer implements credentials.PerRPCCredentials.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false so that API keys work over plaintext to
// a loopback server; the server refuses non-loopback plaintext listeners
// without keys, and operators terminate TLS in front of it.
func (b bearer) RequireTransportSecurity() bool { return false }
