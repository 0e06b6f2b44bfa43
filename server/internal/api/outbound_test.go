package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/tickets"
)

// These tests drive StreamOutbound over a real gRPC connection against a
// real SQLite store, with replies put into the outbox the way a worker
// does: accept an inbound message, claim its conversation, commit a run.

// streamBound bounds every wait for an offered message: it ends a stuck
// test, it measures nothing.
const streamBound = 20 * time.Second

// startOutboxServer starts the gRPC API (no REST, no keys) on a fresh
// SQLite store with the given outbox policy.
func startOutboxServer(t *testing.T, policy OutboxPolicy) *testServer {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/relevo.db", sqlite.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := ParseKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	kb := fakeKnowledge{st: st}
	srv := New(Deps{
		Stores: storesOf(st), Engine: nopEngine{}, Desk: tickets.New(st, kb, tickets.PolicyAuto, nil), Knowledge: kb, Keys: keys, Metrics: nopMetrics{},
		Outbox: policy, TakeoverPause: time.Hour, Log: log,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.GRPC().Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	return &testServer{srv: srv, st: st, grpcAddr: ln.Addr().String()}
}

// queueReplies stores an inbound message from address on WhatsApp, claims
// its conversation and commits a run replying with texts, as a worker
// would. It returns the conversation and the outbound ids, in order.
func queueReplies(t *testing.T, st store.Store, address string, texts ...string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	in, err := st.AcceptInbound(ctx, store.InboundMessage{
		Contact:          store.Contact{Channel: "whatsapp", Address: address},
		ChannelMessageID: "wamid.in." + address,
		Kind:             "text",
		Text:             "hola",
	})
	if err != nil {
		t.Fatal(err)
	}
	claim, err := st.ClaimConversation(ctx, "test-worker", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if claim == nil || claim.Conversation.ID != in.ConversationID {
		t.Fatalf("claimed %+v, want the conversation %s", claim, in.ConversationID)
	}
	var drafts []store.OutboundDraft
	for i, text := range texts {
		drafts = append(drafts, store.OutboundDraft{Kind: "text", Text: text, DedupeKey: fmt.Sprintf("reply:%s:%d", in.MessageID, i)})
	}
	err = st.CompleteRun(ctx, claim, store.RunResult{
		Run:     store.RunRecord{ConversationID: in.ConversationID, MessageIDs: []string{in.MessageID}, Outcome: "answer", Reply: texts[0]},
		Replies: drafts,
	})
	if err != nil {
		t.Fatal(err)
	}
	replies, processed, err := st.RepliesTo(ctx, in.MessageID)
	if err != nil || !processed || len(replies) != len(texts) {
		t.Fatalf("replies %v, processed %v, err %v; want %d replies", replies, processed, err, len(texts))
	}
	ids := make([]string, len(replies))
	for i, r := range replies {
		ids[i] = r.ID
	}
	return in.ConversationID, ids
}

// adapterStream is the adapter's side of one StreamOutbound.
type adapterStream struct {
	s      relevov1.ChannelService_StreamOutboundClient
	cancel context.CancelFunc
}

// subscribe opens a stream for the WhatsApp outbox; the test's cleanup
// closes it. Waits on it are bounded by streamBound.
func subscribe(t *testing.T, ts *testServer, maxInFlight int32) *adapterStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamBound)
	t.Cleanup(cancel)
	s, err := relevov1.NewChannelServiceClient(ts.conn(t)).StreamOutbound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{
		Subscribe: &relevov1.Subscribe{Channel: "whatsapp", MaxInFlight: maxInFlight},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &adapterStream{s: s, cancel: cancel}
}

// next returns the next offered message.
func (a *adapterStream) next(t *testing.T) *relevov1.OutboundMessage {
	t.Helper()
	resp, err := a.s.Recv()
	if err != nil {
		t.Fatalf("waiting for an outbound message: %v", err)
	}
	return resp.GetMessage()
}

func (a *adapterStream) ack(t *testing.T, id, providerID string) {
	t.Helper()
	err := a.s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Ack{
		Ack: &relevov1.Ack{OutboundId: id, ProviderMessageId: providerID},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func (a *adapterStream) fail(t *testing.T, f *relevov1.Failure) {
	t.Helper()
	if err := a.s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{Failure: f}}); err != nil {
		t.Fatal(err)
	}
}

// waitMessage waits until the outbound message satisfies ok: acks and
// failures are applied after the stream's Send returns. It looks again
// whenever the outbox changes; the writes it waits for (acks, failures,
// holds that queue the window template) all say so.
func waitMessage(t *testing.T, st store.Store, id string, what string, ok func(store.Message) bool) store.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamBound)
	defer cancel()
	changes := st.Subscribe(ctx, store.TopicOutbox)
	for {
		m, err := st.GetMessage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(m) {
			return m
		}
		select {
		case <-changes:
		case <-ctx.Done():
			t.Fatalf("message %s never became %s; it is %s after %d attempts", id, what, m.Status, m.Attempts)
		}
	}
}

// deliveryOf returns how GetConversation shows the outbound message.
func deliveryOf(t *testing.T, ts *testServer, conversationID, id string) *relevov1.ConversationMessage {
	t.Helper()
	resp, err := relevov1.NewConversationServiceClient(ts.conn(t)).GetConversation(context.Background(),
		&relevov1.GetConversationRequest{ConversationId: conversationID})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.GetMessages() {
		if m.GetId() == id {
			return m
		}
	}
	t.Fatalf("GetConversation %s does not show message %s", conversationID, id)
	return nil
}

func TestUnackedMessageIsOfferedAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		// drop leaves the message unacked on the first stream; it reports
		// the attempt the next stream must see.
		drop        func(first *adapterStream) int32
		maxInFlight int32
	}{
		{
			name: "after the adapter disconnects without acking, with the attempt given back",
			drop: func(first *adapterStream) int32 {
				first.cancel()
				return 1
			},
		},
		{
			name: "after the adapter holds it past the ack timeout, as a new attempt",
			// The first stream stays open but has no room for more, so
			// only the second can take the message over.
			drop:        func(*adapterStream) int32 { return 2 },
			maxInFlight: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startOutboxServer(t, OutboxPolicy{AckTimeout: 300 * time.Millisecond, MaxAttempts: 5, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 20 * time.Millisecond})
			_, ids := queueReplies(t, ts.st, "56911110001", "Hola, ¿en qué te ayudo?")

			first := subscribe(t, ts, tc.maxInFlight)
			m := first.next(t)
			if m.GetId() != ids[0] || m.GetAttempt() != 1 || m.GetText() != "Hola, ¿en qué te ayudo?" {
				t.Fatalf("first offer %v, want %s attempt 1", m, ids[0])
			}
			wantAttempt := tc.drop(first)

			second := subscribe(t, ts, 0)
			again := second.next(t)
			if again.GetId() != ids[0] || again.GetAttempt() != wantAttempt {
				t.Fatalf("second stream got %s attempt %d, want %s attempt %d", again.GetId(), again.GetAttempt(), ids[0], wantAttempt)
			}
			second.ack(t, ids[0], "wamid.out.1")
			waitMessage(t, ts.st, ids[0], "sent", func(m store.Message) bool {
				return m.Status == store.StatusSent && m.ChannelMessageID == "wamid.out.1"
			})
		})
	}
}

func TestRetryableFailureBacksOff(t *testing.T) {
	policy := OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 5, BackoffBase: 300 * time.Millisecond, BackoffMax: 5 * time.Second, Poll: 20 * time.Millisecond}
	ts := startOutboxServer(t, policy)
	conv, ids := queueReplies(t, ts.st, "56911110002", "Tu pedido llega mañana.")
	s := subscribe(t, ts, 0)
	if m := s.next(t); m.GetId() != ids[0] || m.GetAttempt() != 1 {
		t.Fatalf("first offer %v, want %s attempt 1", m, ids[0])
	}

	for i, tc := range []struct {
		name       string
		retryAfter time.Duration
		// minWait is the least the next attempt may wait: half the
		// exponential step (the jitter's floor), or the provider's wish.
		minWait time.Duration
	}{
		{name: "the first failure waits at least half the base", minWait: policy.BackoffBase / 2},
		{name: "the second failure waits at least half of twice the base", minWait: policy.BackoffBase},
		// Longer than the third step's backoff can be (1.2s), so only the
		// provider's wish explains the wait.
		{name: "a provider's Retry-After is honoured", retryAfter: 1500 * time.Millisecond, minWait: 1500 * time.Millisecond},
	} {
		attempt := i + 1
		failedAt := time.Now()
		f := &relevov1.Failure{OutboundId: ids[0], Retryable: true, Code: "130429", Reason: "rate limit hit"}
		if tc.retryAfter > 0 {
			f.RetryAfter = durationpb.New(tc.retryAfter)
		}
		s.fail(t, f)
		m := waitMessage(t, ts.st, ids[0], "retrying", func(m store.Message) bool { return m.Status == store.StatusRetrying })
		if m.Attempts != attempt || m.FailureReason != "rate limit hit" {
			t.Errorf("%s: stored attempts %d reason %q, want %d and the reason", tc.name, m.Attempts, m.FailureReason, attempt)
		}
		if earliest := failedAt.Add(tc.minWait); m.NextAttemptAt.Before(earliest) {
			t.Errorf("%s: next attempt %s after the failure, want at least %s", tc.name, m.NextAttemptAt.Sub(failedAt), tc.minWait)
		}
		if pb := deliveryOf(t, ts, conv, ids[0]); pb.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING {
			t.Errorf("%s: GetConversation shows %v, want RETRYING", tc.name, pb.GetDeliveryStatus())
		}

		again := s.next(t)
		offeredAt := time.Now()
		if again.GetId() != ids[0] || again.GetAttempt() != int32(attempt+1) {
			t.Fatalf("%s: offered %s attempt %d, want %s attempt %d", tc.name, again.GetId(), again.GetAttempt(), ids[0], attempt+1)
		}
		if offeredAt.Before(m.NextAttemptAt) {
			t.Errorf("%s: offered again %s before its next attempt was due", tc.name, m.NextAttemptAt.Sub(offeredAt))
		}
	}
	s.ack(t, ids[0], "wamid.out.2")
	waitMessage(t, ts.st, ids[0], "sent", func(m store.Message) bool { return m.Status == store.StatusSent })
}

func TestFailedDeliveryIsVisibleAndReleasesTheNextReply(t *testing.T) {
	for _, tc := range []struct {
		name string
		// failures are reported one per attempt; the last one fails the
		// message for good.
		failures []*relevov1.Failure
	}{
		{
			name:     "a permanent failure fails the message at once",
			failures: []*relevov1.Failure{{Retryable: false, Code: "131026", Reason: "recipient cannot receive messages"}},
		},
		{
			name: "retryable failures fail it once the attempts run out",
			failures: []*relevov1.Failure{
				{Retryable: true, Code: "131000", Reason: "provider error 1"},
				{Retryable: true, Code: "131000", Reason: "provider error 2"},
				{Retryable: true, Code: "131000", Reason: "provider error 3"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Poll: 20 * time.Millisecond})
			conv, ids := queueReplies(t, ts.st, "56911110003", "Primera parte.", "Segunda parte.")
			s := subscribe(t, ts, 0)
			for i, f := range tc.failures {
				m := s.next(t)
				if m.GetId() != ids[0] || m.GetAttempt() != int32(i+1) {
					t.Fatalf("offer %d: %s attempt %d, want %s attempt %d", i+1, m.GetId(), m.GetAttempt(), ids[0], i+1)
				}
				f.OutboundId = ids[0]
				s.fail(t, f)
			}
			last := tc.failures[len(tc.failures)-1]
			waitMessage(t, ts.st, ids[0], "failed", func(m store.Message) bool { return m.Status == store.StatusFailed })
			pb := deliveryOf(t, ts, conv, ids[0])
			if pb.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED || pb.GetFailureReason() != last.GetReason() ||
				pb.GetAttempts() != int32(len(tc.failures)) {
				t.Errorf("GetConversation shows %v %q after %d attempts, want FAILED %q after %d",
					pb.GetDeliveryStatus(), pb.GetFailureReason(), pb.GetAttempts(), last.GetReason(), len(tc.failures))
			}
			// Operators find it without opening the conversation.
			att, err := relevov1.NewConversationServiceClient(ts.conn(t)).ListDeliveries(context.Background(), &relevov1.ListDeliveriesRequest{
				Statuses: []relevov1.DeliveryStatus{relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED, relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING,
					relevov1.DeliveryStatus_DELIVERY_STATUS_WAITING_FOR_WINDOW},
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := att.GetDeliveries(); len(d) != 1 || d[0].GetMessage().GetId() != ids[0] || d[0].GetContact().GetAddress() != "56911110003" ||
				d[0].GetMessage().GetFailureReason() != last.GetReason() {
				t.Errorf("ListDeliveries of the replies that need attention = %v, want the failed one with its contact", d)
			}
			// A failed message no longer holds the conversation back.
			if next := s.next(t); next.GetId() != ids[1] {
				t.Errorf("after the failure the stream offered %s, want the next reply %s", next.GetId(), ids[1])
			}
		})
	}
}

func TestReceiptsOnlyMoveDeliveryForward(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 20 * time.Millisecond})
	conv, ids := queueReplies(t, ts.st, "56911110004", "Listo.")
	s := subscribe(t, ts, 0)
	s.ack(t, s.next(t).GetId(), "wamid.out.4")
	waitMessage(t, ts.st, ids[0], "sent", func(m store.Message) bool { return m.Status == store.StatusSent })

	channels := relevov1.NewChannelServiceClient(ts.conn(t))
	for _, step := range []struct {
		name     string
		provider string
		receipt  relevov1.ReceiptStatus
		matched  bool
		want     relevov1.DeliveryStatus
	}{
		{"delivered moves sent forward", "wamid.out.4", relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED, true, relevov1.DeliveryStatus_DELIVERY_STATUS_DELIVERED},
		{"read moves delivered forward", "wamid.out.4", relevov1.ReceiptStatus_RECEIPT_STATUS_READ, true, relevov1.DeliveryStatus_DELIVERY_STATUS_READ},
		{"a late delivered does not move read back", "wamid.out.4", relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED, true, relevov1.DeliveryStatus_DELIVERY_STATUS_READ},
		{"a late sent does not move read back", "wamid.out.4", relevov1.ReceiptStatus_RECEIPT_STATUS_SENT, true, relevov1.DeliveryStatus_DELIVERY_STATUS_READ},
		{"a receipt for an unknown provider id matches nothing", "wamid.elsewhere", relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED, false, relevov1.DeliveryStatus_DELIVERY_STATUS_READ},
	} {
		resp, err := channels.ReportDelivery(context.Background(), &relevov1.ReportDeliveryRequest{
			Channel: "whatsapp", ProviderMessageId: step.provider, Status: step.receipt,
		})
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if resp.GetMatched() != step.matched {
			t.Errorf("%s: matched %v, want %v", step.name, resp.GetMatched(), step.matched)
		}
		if got := deliveryOf(t, ts, conv, ids[0]).GetDeliveryStatus(); got != step.want {
			t.Errorf("%s: status %v, want %v", step.name, got, step.want)
		}
	}
}

func TestNewerReplyWaitsForTheOlderOne(t *testing.T) {
	for _, tc := range []struct {
		name string
		// hold keeps the conversation's first reply undelivered.
		hold func(t *testing.T, ts *testServer, s *adapterStream, id string)
	}{
		{
			name: "while the older reply is in flight",
			hold: func(*testing.T, *testServer, *adapterStream, string) {},
		},
		{
			name: "while the older reply waits to be retried",
			hold: func(t *testing.T, ts *testServer, s *adapterStream, id string) {
				s.fail(t, &relevov1.Failure{OutboundId: id, Retryable: true, Reason: "throttled", RetryAfter: durationpb.New(time.Hour)})
				waitMessage(t, ts.st, id, "retrying", func(m store.Message) bool { return m.Status == store.StatusRetrying })
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 20 * time.Millisecond})
			_, a := queueReplies(t, ts.st, "56911110005", "Respuesta uno.", "Respuesta dos.")
			s := subscribe(t, ts, 10)
			if m := s.next(t); m.GetId() != a[0] {
				t.Fatalf("first offer %s, want %s", m.GetId(), a[0])
			}
			tc.hold(t, ts, s, a[0])

			// Messages are offered in outbox order, so a reply of another
			// conversation queued after the held one comes after it, if
			// the held one were offered: getting the other first proves it
			// was held back.
			_, b := queueReplies(t, ts.st, "56911110006", "Otra conversación.")
			if m := s.next(t); m.GetId() != b[0] {
				t.Fatalf("offered %s (%q) while the older reply %s is undelivered; want %s of another conversation",
					m.GetId(), m.GetText(), a[0], b[0])
			}
			s.ack(t, b[0], "wamid.out.b")
			// The ack makes the stream look for work again: still nothing of
			// the held conversation.
			_, c := queueReplies(t, ts.st, "56911110007", "Y otra más.")
			if m := s.next(t); m.GetId() != c[0] {
				t.Fatalf("offered %s (%q) after another ack while %s is undelivered; want %s",
					m.GetId(), m.GetText(), a[0], c[0])
			}
		})
	}
}

func TestOlderReplyAckedReleasesTheNewer(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 20 * time.Millisecond})
	_, ids := queueReplies(t, ts.st, "56911110008", "Primero.", "Después.")
	s := subscribe(t, ts, 10)
	for i, id := range ids {
		m := s.next(t)
		if m.GetId() != id {
			t.Fatalf("offer %d: %s (%q), want %s", i+1, m.GetId(), m.GetText(), id)
		}
		s.ack(t, id, fmt.Sprintf("wamid.out.%d", i))
	}
	for _, id := range ids {
		waitMessage(t, ts.st, id, "sent", func(m store.Message) bool { return m.Status == store.StatusSent })
	}
}

func TestAnAckSentJustBeforeTheAdapterClosesIsRecordedBeforeTheStreamEnds(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 5, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 20 * time.Millisecond})
	_, ids := queueReplies(t, ts.st, "56911110009", "Hola, ¿en qué te ayudo?")
	a := subscribe(t, ts, 0)
	if m := a.next(t); m.GetId() != ids[0] {
		t.Fatalf("offered %s, want %s", m.GetId(), ids[0])
	}
	// An adapter shutting down: its last ack, then its close.
	a.ack(t, ids[0], "wamid.out.9")
	if err := a.s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.s.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the adapter's close the stream ended with %v, want its end", err)
	}
	// Ended only once the ack is recorded: the message is sent, not
	// requeued to be sent a second time.
	m, err := ts.st.GetMessage(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != store.StatusSent || m.ChannelMessageID != "wamid.out.9" {
		t.Fatalf("message %s is %s (%q) when the stream ended, want sent as wamid.out.9", ids[0], m.Status, m.ChannelMessageID)
	}
}
