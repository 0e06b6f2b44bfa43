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

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/message"
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
	// The run takes this long, as a model call would: what lets runs of
	// different conversations overlap.
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
	res, err := st.AcceptInbound(context.Background(), store.InboundMessage{
		Contact: store.Contact{Channel: "test", Address: address}, ChannelMessageID: id, Kind: message.KindText, Text: text, SentAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// processed waits for the run that processes the inbound message and
// returns its replies. The bound ends a stuck test; it measures nothing.
func processed(t *testing.T, e *Engine, messageID string) []store.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	replies, err := e.WaitProcessed(ctx, messageID)
	if err != nil {
		t.Fatalf("waiting for the run of message %s: %v", messageID, err)
	}
	return replies
}

func replies(t *testing.T, st store.Store, convID string) []store.Message {
	t.Helper()
	msgs, err := st.ListMessages(context.Background(), convID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Message
	for _, m := range msgs {
		if m.Direction == store.Outbound && m.Kind != message.KindMarkRead {
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
	e := newEngine(t, st, chain, Config{Workers: 4})
	run(t, e)
	processed(t, e, res.MessageID)
	if got := replies(t, st, res.ConversationID); len(got) != 1 {
		t.Fatalf("%d replies to the burst, want one", len(got))
	}
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
	var ids []string
	for i := 0; i < perUser; i++ {
		for u := 0; u < users; u++ {
			res := accept(t, st, fmt.Sprintf("user-%d", u), fmt.Sprintf("u%d-m%d", u, i), fmt.Sprintf("mensaje %d", i), time.Now())
			convs[res.ConversationID] = true
			ids = append(ids, res.MessageID)
			e.Kick()
		}
		// Customers keep writing while earlier runs are in flight: the
		// spacing of the rounds is the load under test, not a wait.
		time.Sleep(5 * time.Millisecond)
	}
	for _, id := range ids {
		processed(t, e, id)
	}
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
	processed(t, e, res.MessageID)
	followUps := func() int {
		t.Helper()
		c, err := st.GetConversation(context.Background(), res.ConversationID)
		if err != nil || c.OpenTicketID == "" {
			t.Fatalf("conversation %+v, %v: want a ticket open", c, err)
		}
		tk, err := st.GetTicket(context.Background(), c.OpenTicketID)
		if err != nil {
			t.Fatal(err)
		}
		return len(tk.FollowUps)
	}
	if n := followUps(); n != 0 {
		t.Fatalf("%d follow-ups on a new ticket", n)
	}
	for i, text := range []string{"es urgente", "sigo esperando"} {
		m := accept(t, st, "u1", fmt.Sprintf("m%d", i+2), text, time.Now())
		e.Kick()
		processed(t, e, m.MessageID)
		if n := followUps(); n != i+1 {
			t.Fatalf("%d follow-ups after %q, want %d", n, text, i+1)
		}
	}
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
	e := newEngine(t, st, chain, Config{Workers: 1})
	run(t, e)
	processed(t, e, res.MessageID)
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
	e := newEngine(t, st, healthy, Config{Workers: 1, Lease: time.Minute, Owner: "b"})
	run(t, e)
	// The dead replica's lease runs out in real time; the live engine's
	// polling finds the conversation then.
	processed(t, e, res.MessageID)
	if got := replies(t, st, res.ConversationID); len(got) != 1 {
		t.Fatalf("%d replies after the take-over, want 1", len(got))
	}
	// The dead replica's late commit must not produce a second answer.
	err = st.CompleteRun(context.Background(), dead, store.RunResult{
		Run:     store.RunRecord{ConversationID: res.ConversationID, MessageIDs: []string{res.MessageID}, Outcome: "smalltalk"},
		Replies: []store.OutboundDraft{{Kind: message.KindText, Text: "late", DedupeKey: "late"}},
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
