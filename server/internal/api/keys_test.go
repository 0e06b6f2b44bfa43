package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

func TestAChannelBoundKeyReachesOnlyItsChannels(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+whatsappKey+":whatsapp")
	c := relevov1.NewChannelServiceClient(ts.conn(t))
	ctx := withKey(context.Background(), whatsappKey)
	receipt := func(channel string) error {
		_, err := c.ReportDelivery(ctx, &relevov1.ReportDeliveryRequest{Channel: channel, ProviderMessageId: "p-1", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_READ})
		return err
	}
	human := func(channel string) error {
		_, err := c.SendHumanMessage(ctx, &relevov1.SendHumanMessageRequest{
			Contact: &relevov1.Contact{Channel: channel, Address: "56911112222"}, ChannelMessageId: "h-" + channel, Text: "Hola, soy Marta",
		})
		return err
	}
	outbox := func(channel string) error {
		s, err := c.StreamOutbound(ctx)
		if err != nil {
			return err
		}
		_ = s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{Subscribe: &relevov1.Subscribe{Channel: channel}}})
		if channel == "whatsapp" {
			_ = s.CloseSend()
		}
		_, err = s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	for name, call := range map[string]func(string) error{"ReportDelivery": receipt, "SendHumanMessage": human, "StreamOutbound": outbox} {
		if err := call("whatsapp"); err != nil {
			t.Errorf("%s on whatsapp: %v, want OK", name, err)
		}
		if err := call("telegram"); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s on telegram: %v, want PermissionDenied", name, err)
		}
	}
}

func TestAStreamCannotSettleAnotherChannelsMessages(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: streamBound, MaxAttempts: 3, BackoffBase: 1, BackoffMax: 1})
	_, ids := queueReplies(t, ts.st, "56911112222", "Hola")
	ctx, cancel := context.WithTimeout(context.Background(), streamBound)
	defer cancel()
	s, err := relevov1.NewChannelServiceClient(ts.conn(t)).StreamOutbound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*relevov1.StreamOutboundRequest{
		{Event: &relevov1.StreamOutboundRequest_Subscribe{Subscribe: &relevov1.Subscribe{Channel: "telegram"}}},
		{Event: &relevov1.StreamOutboundRequest_Ack{Ack: &relevov1.Ack{OutboundId: ids[0], ProviderMessageId: "tg-1"}}},
		{Event: &relevov1.StreamOutboundRequest_Failure{Failure: &relevov1.Failure{OutboundId: ids[0], Code: "x", Reason: "drained"}}},
	} {
		if err := s.Send(ev); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.CloseSend()
	// The stream ends once it has read (and applied) all of the above.
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("stream end: %v", err)
	}
	m, err := ts.st.GetMessage(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != store.StatusPending {
		t.Fatalf("the whatsapp message is %s after a telegram stream settled it, want pending", m.Status)
	}
}

func TestMetricsNeedAKey(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey, "metrics:"+metricsKey)
	for _, tc := range []struct {
		key  string
		want int
	}{{"", 401}, {"wrong-key-0123456789", 401}, {adapterKey, 403}, {metricsKey, 200}, {adminKey, 200}} {
		req, _ := http.NewRequest("GET", ts.httpURL+"/metrics", nil)
		if tc.key != "" {
			req.Header.Set("Authorization", "bearer "+tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("key %q: status %d, want %d", tc.key, resp.StatusCode, tc.want)
		}
	}
}

// TestAChannelBoundKeyReadsOnlyItsContactsConversations: a web chat
// adapter shows a returning visitor their history with its own key, not an
// admin key; that key reads no other channel's conversation, and none by id.
func TestAChannelBoundKeyReadsOnlyItsContactsConversations(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+whatsappKey+":whatsapp")
	ctx := withKey(context.Background(), whatsappKey)
	ch := relevov1.NewChannelServiceClient(ts.conn(t))
	accepted, err := ch.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
		Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"}, ChannelMessageId: "wamid.1", Text: "Hola",
	}})
	if err != nil {
		t.Fatal(err)
	}
	cs := relevov1.NewConversationServiceClient(ts.conn(t))
	get := func(req *relevov1.GetConversationRequest) error {
		_, err := cs.GetConversation(ctx, req)
		return err
	}
	if err := get(&relevov1.GetConversationRequest{Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"}}); err != nil {
		t.Errorf("own channel's contact: %v, want OK", err)
	}
	if err := get(&relevov1.GetConversationRequest{Contact: &relevov1.Contact{Channel: "telegram", Address: "56911112222"}}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("another channel's contact: %v, want PermissionDenied", err)
	}
	if err := get(&relevov1.GetConversationRequest{ConversationId: accepted.GetConversationId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("by id: %v, want PermissionDenied", err)
	}
	if _, err := cs.ListConversations(ctx, &relevov1.ListConversationsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListConversations: %v, want PermissionDenied", err)
	}
}

// A caller without a valid key is refused before its request is read: a
// body of any size costs the server nothing but the headers.
func TestACallWithoutAKeyIsRefusedBeforeItsBodyIsRead(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey)
	big := make([]byte, MaxRequestBytes+1)
	_, err := relevov1.NewKnowledgeServiceClient(ts.conn(t)).UploadDocument(context.Background(),
		&relevov1.UploadDocumentRequest{Filename: "a.md", Content: big})
	// Read, they would be refused as too large (RESOURCE_EXHAUSTED, 413).
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC: got %v, want Unauthenticated before the request is read", err)
	}
	body := append([]byte(`{"filename":"a.md","content":"`), bytes.Repeat([]byte("A"), MaxRequestBytes)...)
	resp, err := http.Post(ts.httpURL+"/v1/documents", "application/json", bytes.NewReader(append(body, `"}`...)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("REST: status %d, want 401 before the body is read", resp.StatusCode)
	}
}

// Each upload being read holds its content several times over (the body,
// the decoded bytes, the message): beyond the limit, uploads are refused
// before they are read, and the server's memory stays bounded.
func TestUploadsBeyondTheLimitAreRefusedBeforeTheyAreRead(t *testing.T) {
	ts := startServer(t)
	kb := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	ctx := context.Background()
	for range cap(ts.srv.uploads) {
		ts.srv.uploads <- struct{}{} // as uploads being read
	}
	big := make([]byte, MaxRequestBytes+1)
	_, err := kb.UploadDocument(ctx, &relevov1.UploadDocumentRequest{Filename: "a.md", Content: big})
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "uploads") {
		t.Fatalf("gRPC with every slot taken: got %v %q, want ResourceExhausted naming the uploads in progress", st.Code(), st.Message())
	}
	code, out := restCall(t, "POST", ts.httpURL+"/v1/documents", "", `{"filename":"a.md","content":"aG9sYQ=="}`)
	if code != http.StatusTooManyRequests {
		t.Fatalf("REST with every slot taken: status %d %v, want 429", code, out)
	}
	for range cap(ts.srv.uploads) {
		<-ts.srv.uploads
	}
	// Each upload frees its slot when it ends.
	for i := range cap(ts.srv.uploads) + 1 {
		if _, err := kb.UploadDocument(ctx, &relevov1.UploadDocumentRequest{Filename: fmt.Sprintf("g%d.md", i), Content: []byte("hola")}); err != nil {
			t.Fatalf("gRPC upload %d: %v", i, err)
		}
		if code, out := restCall(t, "POST", ts.httpURL+"/v1/documents", "", fmt.Sprintf(`{"filename":"r%d.md","content":"aG9sYQ=="}`, i)); code != http.StatusOK {
			t.Fatalf("REST upload %d: status %d %v", i, code, out)
		}
	}
}
