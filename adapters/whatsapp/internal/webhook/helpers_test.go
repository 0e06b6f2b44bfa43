package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/relevo/relevo/internal/sharedtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// sharedDir returns a directory of the shared reference material next to
// the repository, skipping the test when it is absent.
func sharedDir(t testing.TB, parts ...string) string {
	t.Helper()
	return sharedtest.Dir(t, parts...)
}

// call is one RPC the fake server received.
type call struct {
	rpc string
	req proto.Message
}

// recorder is an in-memory ChannelService client that records requests and
// answers with err (nil for success).
type recorder struct {
	mu    sync.Mutex
	calls []call
	err   error
}

func (r *recorder) record(rpc string, req proto.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{rpc: rpc, req: proto.Clone(req)})
	return r.err
}

func (r *recorder) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func (r *recorder) HandleMessage(_ context.Context, in *relevov1.HandleMessageRequest, _ ...grpc.CallOption) (*relevov1.HandleMessageResponse, error) {
	if err := r.record("HandleMessage", in); err != nil {
		return nil, err
	}
	return &relevov1.HandleMessageResponse{MessageId: "m", ConversationId: "c"}, nil
}

func (r *recorder) ReportDelivery(_ context.Context, in *relevov1.ReportDeliveryRequest, _ ...grpc.CallOption) (*relevov1.ReportDeliveryResponse, error) {
	if err := r.record("ReportDelivery", in); err != nil {
		return nil, err
	}
	return &relevov1.ReportDeliveryResponse{Matched: true}, nil
}

func (r *recorder) SendHumanMessage(_ context.Context, in *relevov1.SendHumanMessageRequest, _ ...grpc.CallOption) (*relevov1.SendHumanMessageResponse, error) {
	if err := r.record("SendHumanMessage", in); err != nil {
		return nil, err
	}
	return &relevov1.SendHumanMessageResponse{ConversationId: "c"}, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
