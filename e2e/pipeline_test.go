//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/openaitest"
)

const (
	adminToken   = "e2e-admin-key-0123456789"
	adapterToken = "e2e-adapter-key-0123456789"
	// modelKeyEnv is the variable the test profile names for the model's
	// API key.
	modelKeyEnv = "RELEVO_E2E_MODEL_KEY"
)

var apiKeys = []string{"admin:" + adminToken, "adapter:" + adapterToken}

// Every inbound message carries a tag [uUU-K] (user, ordinal from 1), and
// the fake model echoes what it is asked, so a reply names the messages its
// run answered, in the order the run saw them.
//
// Replies spell the tag's digits as letters (a for 0 … j for 9): a Triage
// reply with digits reads as a stated price or date and is withheld, so
// the echo states none.
var tagRE = regexp.MustCompile(`\[u([a-j]+)-([a-j]+)\]`)

// spellDigits writes each digit of s as a letter, a for 0 … j for 9.
func spellDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return 'a' + (r - '0')
		}
		return r
	}, s)
}

// tagNumber reads a number spelled by spellDigits.
func tagNumber(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'a')
	}
	return n
}

func messageText(user, k int) string {
	return fmt.Sprintf("[u%02d-%d] hola, este es mi mensaje %d", user, k, k)
}

// echoModel starts a fake OpenAI-compatible model that answers every chat
// completion with "eco: " and the user's last message (digits spelled,
// see tagRE), after latency.
func echoModel(t *testing.T, latency time.Duration) *openaitest.Server {
	t.Helper()
	m := openaitest.NewServer(openaitest.WithLatency(latency))
	t.Cleanup(m.Close)
	m.OnChat(func(req *openaitest.ChatRequest) openaitest.Reply {
		return openaitest.Text("eco: " + spellDigits(req.LastUser()))
	})
	return m
}

// TestServerKilledMidRunLosesAndRepeatsNothing sends many conversations,
// SIGKILLs the server while runs and deliveries are in flight, restarts it
// on the same database, and checks that every accepted message was
// answered by exactly one committed run, every reply reached the user once
// and in order.
func TestServerKilledMidRunLosesAndRepeatsNothing(t *testing.T) {
	for _, engine := range []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"on SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "relevo.db") }},
		{"on PostgreSQL", func(t *testing.T) string { return postgresURL(t) }},
	} {
		t.Run(engine.name, func(t *testing.T) { testCrash(t, engine.database(t)) })
	}
}

func testCrash(t *testing.T, database string) {
	const (
		channel = "crashtest"
		users   = 60
		perUser = 5
		total   = users * perUser
	)
	model := echoModel(t, 400*time.Millisecond)
	srv := startServer(t, ServerConfig{
		Database: database,
		Profile:  llmProfile(t, model.BaseURL(), modelKeyEnv),
		APIKeys:  apiKeys,
		Env:      []string{modelKeyEnv + "=" + model.APIKey()},
		Flags: []string{
			// Short leases and ack timeout, so that the work of the killed
			// process is taken over within seconds.
			"--lease=3s", "--outbox-ack-timeout=2s",
			"--read-receipt-channels=", "--sample-kb=false", "--workers=64",
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)

	deliveries := newDeliveryLog()
	startAdapter(ctx, t, "adapter", srv.Dial(t, adapterToken).Channels, channel, deliveries)

	t.Log("step: send the conversations")
	ingress := srv.Dial(t, adapterToken).Channels
	sendCtx, stopSending := context.WithCancel(ctx)
	t.Cleanup(stopSending)
	w := newWorkload(channel, users, perUser)
	sendDone := make(chan error, 1)
	go func() {
		sendDone <- w.send(sendCtx, func(int, int) relevov1.ChannelServiceClient { return ingress }, func() time.Duration {
			return time.Duration(100+rand.IntN(700)) * time.Millisecond
		})
	}()

	// The kill lands after a third of the messages were answered, or, if
	// answers lag behind, once two thirds were accepted: either way with
	// runs in flight and messages still to send.
	t.Log("step: wait for a third of the messages to be answered")
	eventually(t, 30*time.Second, "a third of the messages answered", func() error {
		if n := deliveries.answered(); n < total/3 && w.accepted.Load() < 2*total/3 {
			return fmt.Errorf("%d of %d answered, %d accepted (%d HandleMessage failures, last: %v)",
				n, total, w.accepted.Load(), w.failures.Load(), w.lastError())
		}
		return nil
	})

	t.Log("step: SIGKILL the server")
	srv.Kill(t)
	answeredAtKill, acceptedAtKill := deliveries.answered(), w.accepted.Load()
	t.Log("step: wait for a sender to find the server down")
	eventually(t, 15*time.Second, "a HandleMessage failing while the server is down", func() error {
		if w.failures.Load() == 0 {
			return errors.New("no sender failed yet")
		}
		return nil
	})

	t.Log("step: restart the server on the same database")
	srv.Restart(t)

	t.Log("step: wait for every message to be accepted")
	select {
	case err := <-sendDone:
		if err != nil {
			t.Fatalf("sending: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("sending did not finish")
	}

	t.Log("step: wait for every message to be answered and every reply acked")
	admin := srv.Dial(t, adminToken).Conversations
	waitSettled(ctx, t, admin, w, deliveries)

	t.Log("step: check exactly-once processing and delivery")
	runs := verifyExactlyOnce(ctx, t, admin, w, deliveries)
	if err := deliveries.checkReoffers(); err != nil {
		t.Error(err)
	}
	// A run killed before its commit called the model without leaving a
	// trace; it was redone after the restart, so there are more model calls
	// than runs. Equal counts would mean the kill hit no run in flight.
	calls := model.Stats().Chat
	if calls <= int64(runs) {
		t.Errorf("model calls %d, committed runs %d: the kill interrupted no run", calls, runs)
	}
	t.Logf("at the kill %d of %d messages were accepted and %d answered; HandleMessage retries: %d; runs: %d; model calls: %d; re-offered after a lost ack: %d",
		acceptedAtKill, total, answeredAtKill, w.failures.Load(), runs, calls, deliveries.reoffered())
}

// TestTwoReplicasOnOneDatabaseAnswerEachMessageOnce runs two server
// processes on one PostgreSQL database, sends a burst round-robin to both
// and checks each message was processed once, each reply delivered once,
// and both replicas did work.
func TestTwoReplicasOnOneDatabaseAnswerEachMessageOnce(t *testing.T) {
	const (
		channel = "replicas"
		users   = 40
		perUser = 4
	)
	database := postgresURL(t)
	// Each replica has a model of its own, so the calls tell which replica
	// ran which runs.
	models := []*openaitest.Server{echoModel(t, 200*time.Millisecond), echoModel(t, 200*time.Millisecond)}
	var replicas []*Server
	for i, name := range []string{"replica-a", "replica-b"} {
		replicas = append(replicas, startServer(t, ServerConfig{
			Name:     name,
			Database: database,
			Profile:  llmProfile(t, models[i].BaseURL(), modelKeyEnv),
			APIKeys:  apiKeys,
			Env:      []string{modelKeyEnv + "=" + models[i].APIKey()},
			Flags:    []string{"--read-receipt-channels=", "--sample-kb=false", "--workers=32"},
		}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)

	// One adapter instance per replica, as behind a load balancer: both
	// streams draw from the same outbox.
	deliveries := newDeliveryLog()
	var ingress []relevov1.ChannelServiceClient
	for _, r := range replicas {
		startAdapter(ctx, t, r.cfg.Name, r.Dial(t, adapterToken).Channels, channel, deliveries)
		ingress = append(ingress, r.Dial(t, adapterToken).Channels)
	}

	t.Log("step: send a burst round-robin to both replicas")
	w := newWorkload(channel, users, perUser)
	err := w.send(ctx, func(user, k int) relevov1.ChannelServiceClient { return ingress[(user+k)%len(ingress)] },
		func() time.Duration { return 0 })
	if err != nil {
		t.Fatalf("sending: %v", err)
	}

	t.Log("step: wait for every message to be answered and every reply acked")
	admin := replicas[0].Dial(t, adminToken).Conversations
	waitSettled(ctx, t, admin, w, deliveries)

	t.Log("step: check exactly-once processing and delivery")
	runs := verifyExactlyOnce(ctx, t, admin, w, deliveries)
	if n := deliveries.reoffered(); n > 0 {
		t.Errorf("%d messages were offered again although no stream broke", n)
	}
	// Each run makes one model call: a conversation run twice, by both
	// replicas, would show as more calls than runs.
	callsA, callsB := models[0].Stats().Chat, models[1].Stats().Chat
	if callsA+callsB != int64(runs) {
		t.Errorf("model calls %d + %d != %d committed runs", callsA, callsB, runs)
	}
	if callsA == 0 || callsB == 0 {
		t.Errorf("runs per replica: %d and %d; want both replicas working", callsA, callsB)
	}
	t.Logf("runs: %d (replica-a %d, replica-b %d); deliveries per stream: %v", runs, callsA, callsB, deliveries.perAdapter())
}

// workload is a set of users, each sending perUser messages in order.
type workload struct {
	channel string
	users   []*user
	perUser int
	// failures counts HandleMessage calls that failed and were retried;
	// accepted counts the messages accepted.
	failures atomic.Int64
	accepted atomic.Int64
	// lastErr is the latest failure, for the report of a stuck test.
	lastErr atomic.Pointer[error]
}

type user struct {
	index        int
	address      string
	conversation string
	// accepted holds the message ids HandleMessage returned, by ordinal-1.
	accepted []string
}

func newWorkload(channel string, users, perUser int) *workload {
	w := &workload{channel: channel, perUser: perUser}
	for i := 1; i <= users; i++ {
		w.users = append(w.users, &user{index: i, address: fmt.Sprintf("5691000%04d", i), accepted: make([]string, perUser)})
	}
	return w
}

func (w *workload) lastError() error {
	if err := w.lastErr.Load(); err != nil {
		return *err
	}
	return nil
}

func (w *workload) total() int { return len(w.users) * w.perUser }

// send sends every user's messages, users concurrently, each user's in
// order with increasing sent_at, pausing gap() before each. Like a webhook
// provider it retries a message until the server accepts it.
func (w *workload) send(ctx context.Context, via func(user, k int) relevov1.ChannelServiceClient, gap func() time.Duration) error {
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	g, ctx := errgroup.WithContext(ctx)
	for _, u := range w.users {
		g.Go(func() error {
			for k := 1; k <= w.perUser; k++ {
				if d := gap(); d > 0 {
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(d):
					}
				}
				msg := &relevov1.InboundMessage{
					Contact:          &relevov1.Contact{Channel: w.channel, Address: u.address},
					ChannelMessageId: fmt.Sprintf("wamid.%s.u%02d.%d", w.channel, u.index, k),
					SentAt:           timestamppb.New(base.Add(time.Duration(u.index)*time.Minute + time.Duration(k)*time.Second)),
					Kind:             relevov1.InboundKind_INBOUND_KIND_TEXT,
					Text:             messageText(u.index, k),
				}
				resp, err := w.deliver(ctx, via(u.index, k), msg)
				if err != nil {
					return err
				}
				if u.conversation != "" && resp.GetConversationId() != u.conversation {
					return fmt.Errorf("user %d: message %d went to conversation %s, earlier ones to %s", u.index, k, resp.GetConversationId(), u.conversation)
				}
				u.conversation = resp.GetConversationId()
				u.accepted[k-1] = resp.GetMessageId()
				w.accepted.Add(1)
			}
			return nil
		})
	}
	return g.Wait()
}

// deliver calls HandleMessage until it succeeds, as a webhook provider
// re-delivers until it gets a 200. Only errors that a retry cannot fix end
// it.
func (w *workload) deliver(ctx context.Context, c relevov1.ChannelServiceClient, msg *relevov1.InboundMessage) (*relevov1.HandleMessageResponse, error) {
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := c.HandleMessage(callCtx, &relevov1.HandleMessageRequest{Message: msg})
		cancel()
		if err == nil {
			return resp, nil
		}
		switch status.Code(err) {
		case codes.InvalidArgument, codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented:
			return nil, fmt.Errorf("message %s refused: %w", msg.GetChannelMessageId(), err)
		}
		w.failures.Add(1)
		w.lastErr.Store(&err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("message %s never accepted: %w", msg.GetChannelMessageId(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// deliveryLog is what the user's phone and the adapters saw. It is shared
// by every adapter instance of a test: the provider (and the user) is one.
type deliveryLog struct {
	mu sync.Mutex
	// offers lists every message the server handed to an adapter.
	offers []offer
	// sent maps the outbound ids sent to the user to their provider ids.
	sent map[string]string
	// visible lists what the user received, in order.
	visible []visible
	// broken holds the streams that broke (the server died under them).
	broken map[string]bool
}

type offer struct {
	id, stream string
	attempt    int32
}

type visible struct {
	id, conversation, adapter, text string
}

func newDeliveryLog() *deliveryLog {
	return &deliveryLog{sent: map[string]string{}, broken: map[string]bool{}}
}

// deliver records an offer and "sends" the message unless it was sent
// already: an adapter whose ack was lost recognises the id and acks again
// without a second send. It returns the provider id to ack with.
func (l *deliveryLog) deliver(adapter, stream string, m *relevov1.OutboundMessage) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offers = append(l.offers, offer{id: m.GetId(), stream: stream, attempt: m.GetAttempt()})
	if id, ok := l.sent[m.GetId()]; ok {
		return id
	}
	id := "wamid.out." + m.GetId()
	l.sent[m.GetId()] = id
	l.visible = append(l.visible, visible{id: m.GetId(), conversation: m.GetConversationId(), adapter: adapter, text: m.GetText()})
	return id
}

func (l *deliveryLog) markBroken(stream string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.broken[stream] = true
}

// answered counts the inbound messages whose tag reached the user.
func (l *deliveryLog) answered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	tags := map[string]bool{}
	for _, v := range l.visible {
		for _, tag := range tagRE.FindAllString(v.text, -1) {
			tags[tag] = true
		}
	}
	return len(tags)
}

// reoffered counts the ids offered more than once.
func (l *deliveryLog) reoffered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[string]int{}
	for _, o := range l.offers {
		seen[o.id]++
	}
	n := 0
	for _, c := range seen {
		if c > 1 {
			n++
		}
	}
	return n
}

// checkReoffers fails an id offered again unless every earlier offer of it
// was on a stream that broke: only a message whose ack may have been lost
// with the server may come back.
func (l *deliveryLog) checkReoffers() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	last := map[string]offer{}
	for _, o := range l.offers {
		if prev, ok := last[o.id]; ok && !l.broken[prev.stream] {
			errs = append(errs, fmt.Errorf("outbound %s offered on %s (attempt %d) although stream %s that had it did not break",
				o.id, o.stream, o.attempt, prev.stream))
		}
		last[o.id] = o
	}
	return errors.Join(errs...)
}

func (l *deliveryLog) visibleOf(conversation string) []visible {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []visible
	for _, v := range l.visible {
		if v.conversation == conversation {
			out = append(out, v)
		}
	}
	return out
}

func (l *deliveryLog) perAdapter() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, v := range l.visible {
		out[v.adapter]++
	}
	return out
}

// startAdapter holds the outbound stream of channel, reconnecting when it
// breaks, acking every message with a provider id, until ctx ends or the
// test finishes.
func startAdapter(ctx context.Context, t *testing.T, name string, channels relevov1.ChannelServiceClient, channel string, log *deliveryLog) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	go func() {
		defer close(done)
		for n := 1; ctx.Err() == nil; n++ {
			stream := fmt.Sprintf("%s/stream-%d", name, n)
			received, err := holdStream(ctx, name, stream, channels, channel, log)
			if ctx.Err() != nil {
				return
			}
			// The server is down or restarting: reconnect.
			log.markBroken(stream)
			if received > 0 {
				t.Logf("%s broke after %d messages: %v", stream, received, err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

// holdStream runs one outbound stream until it breaks and returns how many
// messages it received.
func holdStream(ctx context.Context, adapter, stream string, channels relevov1.ChannelServiceClient, channel string, log *deliveryLog) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := channels.StreamOutbound(ctx)
	if err != nil {
		return 0, err
	}
	err = s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{
		Subscribe: &relevov1.Subscribe{Channel: channel, MaxInFlight: 16},
	}})
	if err != nil {
		return 0, err
	}
	for received := 0; ; received++ {
		resp, err := s.Recv()
		if err != nil {
			return received, err
		}
		m := resp.GetMessage()
		provider := log.deliver(adapter, stream, m)
		err = s.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Ack{
			Ack: &relevov1.Ack{OutboundId: m.GetId(), ProviderMessageId: provider},
		}})
		if err != nil {
			return received + 1, err
		}
	}
}

// waitSettled waits until every message's tag reached the user and every
// bot message is acked (SENT): the server has nothing left to do.
func waitSettled(ctx context.Context, t *testing.T, admin relevov1.ConversationServiceClient, w *workload, deliveries *deliveryLog) {
	t.Helper()
	eventually(t, 60*time.Second, "every message answered and every reply acked", func() error {
		if n := deliveries.answered(); n < w.total() {
			return fmt.Errorf("%d of %d messages answered", n, w.total())
		}
		for _, u := range w.users {
			resp, err := admin.GetConversation(ctx, &relevov1.GetConversationRequest{ConversationId: u.conversation, MessageLimit: 200})
			if err != nil {
				return err
			}
			for _, m := range resp.GetMessages() {
				if m.GetAuthor() == relevov1.Author_AUTHOR_BOT && m.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_SENT {
					return fmt.Errorf("user %d: reply %s is %v", u.index, m.GetId(), m.GetDeliveryStatus())
				}
			}
		}
		return nil
	})
}

// verifyExactlyOnce checks, per conversation, through the API and against
// what the user received: every accepted message is in exactly one run,
// every run's reply was delivered once, and the user read the answers in
// the order of the messages. It returns the number of runs.
func verifyExactlyOnce(ctx context.Context, t *testing.T, admin relevov1.ConversationServiceClient, w *workload, deliveries *deliveryLog) int {
	t.Helper()
	list, err := admin.ListConversations(ctx, &relevov1.ListConversationsRequest{Channel: w.channel, PageSize: 500})
	if err != nil {
		t.Fatalf("list conversations: %v", err)
	}
	if got := len(list.GetConversations()); got != len(w.users) {
		t.Errorf("%d conversations on %s, want %d (one per user)", got, w.channel, len(w.users))
	}
	runs := 0
	for _, u := range w.users {
		resp, err := admin.GetConversation(ctx, &relevov1.GetConversationRequest{ConversationId: u.conversation, MessageLimit: 200})
		if err != nil {
			t.Fatalf("user %d: get conversation: %v", u.index, err)
		}
		runs += len(resp.GetRuns())
		for _, err := range verifyConversation(w, u, resp, deliveries.visibleOf(u.conversation)) {
			t.Errorf("user %d (conversation %s): %v", u.index, u.conversation, err)
		}
	}
	return runs
}

func verifyConversation(w *workload, u *user, resp *relevov1.GetConversationResponse, seen []visible) []error {
	var errs []error
	text := map[string]string{} // accepted message id → text
	for k, id := range u.accepted {
		text[id] = messageText(u.index, k+1)
	}

	// The inbound messages are exactly those accepted: a retried webhook
	// did not store a second copy.
	var inbound []string
	bot := map[string]*relevov1.ConversationMessage{}
	for _, m := range resp.GetMessages() {
		switch m.GetAuthor() {
		case relevov1.Author_AUTHOR_USER:
			inbound = append(inbound, m.GetId())
		case relevov1.Author_AUTHOR_BOT:
			bot[m.GetId()] = m
		}
	}
	if want := slices.Sorted(slices.Values(u.accepted)); !slices.Equal(slices.Sorted(slices.Values(inbound)), want) {
		errs = append(errs, fmt.Errorf("inbound messages %v, want the accepted %v", inbound, want))
	}

	// Each accepted message is in exactly one committed run, and each run
	// replied with the echo of its messages.
	inRuns := map[string]int{}
	replies := map[string]bool{}
	for _, r := range resp.GetRuns() {
		var texts []string
		for _, id := range r.GetMessageIds() {
			inRuns[id]++
			texts = append(texts, text[id])
		}
		if want := "eco: " + spellDigits(strings.Join(texts, "\n")); r.GetReply() != want {
			errs = append(errs, fmt.Errorf("run %s replied %q, want %q", r.GetId(), r.GetReply(), want))
		}
		replies[r.GetReply()] = true
	}
	for _, id := range u.accepted {
		if n := inRuns[id]; n != 1 {
			errs = append(errs, fmt.Errorf("message %s (%s) is in %d runs, want 1", id, text[id], n))
		}
	}
	for id, n := range inRuns {
		if _, ok := text[id]; !ok {
			errs = append(errs, fmt.Errorf("a run processed %s (%d times), which was never accepted", id, n))
		}
	}

	// One bot reply per run, all acked, and exactly those reached the user,
	// each once.
	if len(bot) != len(resp.GetRuns()) {
		errs = append(errs, fmt.Errorf("%d bot replies for %d runs", len(bot), len(resp.GetRuns())))
	}
	for id, m := range bot {
		if m.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_SENT {
			errs = append(errs, fmt.Errorf("reply %s is %v, want SENT", id, m.GetDeliveryStatus()))
		}
	}
	var gotIDs, botIDs []string
	for _, v := range seen {
		gotIDs = append(gotIDs, v.id)
		if !replies[v.text] {
			errs = append(errs, fmt.Errorf("the user received %q, which no run replied", v.text))
		}
	}
	for id := range bot {
		botIDs = append(botIDs, id)
	}
	slices.Sort(gotIDs)
	slices.Sort(botIDs)
	if !slices.Equal(gotIDs, botIDs) {
		errs = append(errs, fmt.Errorf("the user received replies %v, the conversation has %v", gotIDs, botIDs))
	}

	// Read in order, the replies answer messages 1..perUser, each once.
	var order []int
	for _, v := range seen {
		for _, m := range tagRE.FindAllStringSubmatch(v.text, -1) {
			if n := tagNumber(m[1]); n != u.index {
				errs = append(errs, fmt.Errorf("reply %s quotes user %s's message", v.id, m[1]))
			}
			k := tagNumber(m[2])
			order = append(order, k)
		}
	}
	want := make([]int, w.perUser)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(order, want) {
		errs = append(errs, fmt.Errorf("the user read answers to messages %v, want %v", order, want))
	}
	return errs
}
