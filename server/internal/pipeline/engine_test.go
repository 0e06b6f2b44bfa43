package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
)

// scriptedChain answers "ayuda ..." by escalating and anything else with an
// echo, recording what it saw and how many runs of one conversation
// overlapped (which must never happen).
type scriptedChain struct {
	delay time.Duration
	block chan struct{} // when set, runs wait on it

	mu       sync.Mutex
	inputs   []agents.Input
	active   map[string]int
	overlaps int
}

func (c *scriptedChain) Run(ctx context.Context, in agents.Input) agents.Result {
	c.mu.Lock()
	if c.active == nil {
		c.active = map[string]int{}
	}
	c.active[in.ConversationID]++
	if c.active[in.ConversationID] > 1 {
		c.overlaps++
	}
	c.inputs = append(c.inputs, in)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.active[in.ConversationID]--
		c.mu.Unlock()
	}()
	if c.block != nil {
		select {
		case <-c.block:
		case <-ctx.Done():
		}
	}
	time.Sleep(c.delay)
	if strings.HasPrefix(in.Text, "ayuda") {
		return agents.Result{Outcome: agents.OutcomeEscalate, HandoffReason: "scripted", TicketQuestion: in.Text, Agents: []string{"T", "H"}}
	}
	return agents.Result{Outcome: agents.OutcomeSmalltalk, Reply: "eco: " + in.Text, Agents: []string{"T"}}
}

func (c *scriptedChain) seen() []agents.Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]agents.Input(nil), c.inputs...)
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/relevo.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testProfile() *agents.Profile {
	p := agents.DefaultProfile()
	p.Human.NoticeInterval = time.Hour
	p.Knowledge.OfferFeedback = false
	return p
}

func newEngine(t *testing.T, st store.Store, chain Decider, cfg Config) *Engine {
	t.Helper()
	if cfg.Owner == "" {
		cfg.Owner = "test"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	return New(st, chain, testProfile(), nil, nil, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
}

// run starts the engine and returns a stop function that waits for it.
func run(t *testing.T, e *Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = e.Run(ctx)
		close(done)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

func accept(t *testing.T, st store.Store, address, id, text string, at time.Time) store.AcceptResult {
	t.Helper()
	payload, _ := protojson.Marshal(&relevov1.InboundMessage{Text: text})
	res, err := st.AcceptInbound(context.Background(), store.InboundMessage{
		Contact: store.Contact{Channel: "test", Address: address}, ChannelMessageID: id, Kind: KindText, Text: text, Payload: payload, SentAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func replies(t *testing.T, st store.Store, convID string) []store.Message {
	t.Helper()
	msgs, err := st.ListMessages(context.Background(), convID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Message
	for _, m := range msgs {
		if m.Direction == store.Outbound && m.Kind != KindMarkRead {
			out = append(out, m)
		}
	}
	return out
}

func TestABurstWaitingForTheBotIsAnsweredTogetherInChannelOrder(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{}
	base := time.Now().Add(-time.Minute)
	// Accepted out of order; the channel timestamps say otherwise.
	accept(t, st, "u1", "m3", "tercero", base.Add(3*time.Second))
	accept(t, st, "u1", "m1", "primero", base.Add(1*time.Second))
	res := accept(t, st, "u1", "m2", "segundo", base.Add(2*time.Second))
	run(t, newEngine(t, st, chain, Config{Workers: 4}))
	waitFor(t, "the reply", func() bool { return len(replies(t, st, res.ConversationID)) == 1 })
	in := chain.seen()
	if len(in) != 1 || in[0].Text != "primero\nsegundo\ntercero" {
		t.Fatalf("agents saw %+v, want one input with the three messages in channel order", in)
	}
}

func TestConversationsRunInParallelAndEachStrictlyInOrder(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{delay: 20 * time.Millisecond}
	e := newEngine(t, st, chain, Config{Workers: 16})
	run(t, e)
	const users, perUser = 12, 4
	convs := map[string]bool{}
	for i := 0; i < perUser; i++ {
		for u := 0; u < users; u++ {
			res := accept(t, st, fmt.Sprintf("user-%d", u), fmt.Sprintf("u%d-m%d", u, i), fmt.Sprintf("mensaje %d", i), time.Now())
			convs[res.ConversationID] = true
			e.Kick()
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "every message processed", func() bool {
		total := 0
		for c := range convs {
			msgs, _ := st.ListMessages(context.Background(), c, 100)
			for _, m := range msgs {
				if m.Direction == store.Inbound && m.Processed {
					total++
				}
			}
		}
		return total == users*perUser
	})
	chain.mu.Lock()
	overlaps := chain.overlaps
	chain.mu.Unlock()
	if overlaps != 0 {
		t.Fatalf("%d runs overlapped within one conversation", overlaps)
	}
	for c := range convs {
		var last string
		for _, r := range replies(t, st, c) {
			if r.Text < last {
				t.Fatalf("conversation %s: reply %q after %q", c, r.Text, last)
			}
			last = r.Text
		}
	}
}

func TestAnOpenTicketSilencesTheBotAndTheNoticeIsRateLimited(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{}
	e := newEngine(t, st, chain, Config{Workers: 2})
	run(t, e)
	res := accept(t, st, "u1", "m1", "ayuda con mi factura", time.Now())
	e.Kick()
	waitFor(t, "the ticket", func() bool {
		c, _ := st.GetConversation(context.Background(), res.ConversationID)
		return c.OpenTicketID != ""
	})
	accept(t, st, "u1", "m2", "es urgente", time.Now())
	e.Kick()
	waitFor(t, "the follow-up", func() bool {
		c, _ := st.GetConversation(context.Background(), res.ConversationID)
		tk, _ := st.GetTicket(context.Background(), c.OpenTicketID)
		return len(tk.FollowUps) == 1
	})
	accept(t, st, "u1", "m3", "sigo esperando", time.Now())
	e.Kick()
	waitFor(t, "the second follow-up", func() bool {
		c, _ := st.GetConversation(context.Background(), res.ConversationID)
		tk, _ := st.GetTicket(context.Background(), c.OpenTicketID)
		return len(tk.FollowUps) == 2
	})
	if n := len(chain.seen()); n != 1 {
		t.Fatalf("the agents ran %d times; while the ticket is open they must not run", n)
	}
	var texts []string
	for _, r := range replies(t, st, res.ConversationID) {
		texts = append(texts, r.Text)
	}
	p := testProfile()
	// The hand-off notice counts as the first notice: no waiting notice
	// within the interval.
	if len(texts) != 1 || texts[0] != p.Human.HandoffMessage {
		t.Fatalf("replies %q, want only the hand-off message", texts)
	}
}

func TestAPausedConversationGetsNoReply(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{}
	res := accept(t, st, "u1", "m0", "hola", time.Now())
	if _, err := st.SetPausedUntil(context.Background(), res.ConversationID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	run(t, newEngine(t, st, chain, Config{Workers: 1}))
	waitFor(t, "the message processed", func() bool {
		m, _ := st.GetMessage(context.Background(), res.MessageID)
		return m.Processed
	})
	if got := replies(t, st, res.ConversationID); len(got) != 0 || len(chain.seen()) != 0 {
		t.Fatalf("paused conversation answered: %v", got)
	}
}

func TestAClaimOfADeadWorkerIsTakenOverAfterItsLeaseAndAnsweredOnce(t *testing.T) {
	st := openStore(t)
	res := accept(t, st, "u1", "m1", "hola", time.Now())
	// A replica claims the conversation and dies before committing.
	dead, err := st.ClaimConversation(context.Background(), "dead-replica", 300*time.Millisecond)
	if err != nil || dead == nil {
		t.Fatalf("claim: %v %v", dead, err)
	}
	healthy := &scriptedChain{}
	run(t, newEngine(t, st, healthy, Config{Workers: 1, Lease: time.Minute, Owner: "b"}))
	waitFor(t, "the live engine to answer after the lease expired", func() bool { return len(replies(t, st, res.ConversationID)) == 1 })
	// The dead replica's late commit must not produce a second answer.
	err = st.CompleteRun(context.Background(), dead, store.RunResult{
		Run:     store.RunRecord{ConversationID: res.ConversationID, MessageIDs: []string{res.MessageID}, Outcome: "smalltalk"},
		Replies: []store.OutboundDraft{{Kind: KindText, Text: "late", DedupeKey: "late"}},
	})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("late commit: %v, want ErrLeaseLost", err)
	}
	if got := replies(t, st, res.ConversationID); len(got) != 1 {
		t.Fatalf("%d replies, want exactly 1", len(got))
	}
}

func TestConverseWaitsForTheRun(t *testing.T) {
	st := openStore(t)
	var calls atomic.Int32
	e := newEngine(t, st, DeciderFunc(func(ctx context.Context, in agents.Input) agents.Result {
		calls.Add(1)
		return agents.Result{Outcome: agents.OutcomeSmalltalk, Reply: "hola!"}
	}), Config{Workers: 1})
	run(t, e)
	res := accept(t, st, "u1", "m1", "hola", time.Now())
	e.Kick()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := e.WaitProcessed(ctx, res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != "hola!" {
		t.Fatalf("replies %+v", got)
	}
}

// DeciderFunc adapts a function to Decider.
type DeciderFunc func(ctx context.Context, in agents.Input) agents.Result

func (f DeciderFunc) Run(ctx context.Context, in agents.Input) agents.Result { return f(ctx, in) }

// testWriter sends engine logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
