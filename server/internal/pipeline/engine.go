// Package pipeline turns stored inbound messages into replies. Workers claim
// one conversation at a time (in parallel across conversations, strictly in
// order within one), run the agent chain on every message that was waiting
// (a burst is answered together), and commit the decision — replies into the
// outbox, a ticket, the run record — atomically with marking the messages
// processed. A worker that dies loses its lease and another takes over, so
// every accepted message gets exactly one answer.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// Decider is the agent chain.
type Decider interface {
	Run(ctx context.Context, in agents.Input) agents.Result
}

// Transcriber turns a voice note into text.
type Transcriber interface {
	Transcribe(ctx context.Context, audio []byte, mimeType string) (string, error)
}

// Observer receives the outcome of every committed run (metrics).
type Observer interface {
	RunCompleted(outcome string, d time.Duration, usage agents.Usage)
}

// Config tunes the engine.
type Config struct {
	// Workers is the number of conversations processed at once.
	Workers int
	// Lease is how long a claim on a conversation lasts before another
	// worker (or replica) may take it over. It must exceed the longest run.
	Lease time.Duration
	// PollInterval bounds how long an idle worker waits before looking for
	// work it was not notified of (expired leases, other replicas without
	// notifications).
	PollInterval time.Duration
	// ReadReceiptChannels lists the channels whose adapters mark messages
	// read and show a typing indicator while the bot works.
	ReadReceiptChannels []string
	// HistoryMessages is how many earlier messages the agents see.
	HistoryMessages int
	// Owner names this process in leases (host:pid); must be unique per
	// replica.
	Owner string
	// ServiceWindows is each channel's customer-service window (WhatsApp:
	// 24h): replies are free-form until this long after the customer's
	// last message. A channel not listed has none.
	ServiceWindows map[string]time.Duration
	// SettleInterval is how often outcomes decided by time are recorded
	// (default 30s).
	SettleInterval time.Duration
	// Now is the clock (tests move it forward); nil: the system clock.
	Now func() time.Time
	// CPUSlots is how many runs may compute at once (a run waiting for a
	// model holds none, see Yielding): 0 leaves one core of GOMAXPROCS to
	// accepting and delivering (at least one slot), a negative number sets
	// no bound.
	CPUSlots int
}

// Store is what the pipeline needs of the store: claims and their atomic
// completion, the outbox, a conversation's history, the settling of
// resolved conversations and the wake-up notifications. store.Store is
// one.
type Store interface {
	ClaimConversation(ctx context.Context, owner string, lease time.Duration) (*store.Claim, error)
	CompleteRun(ctx context.Context, claim *store.Claim, result store.RunResult) error
	ReleaseClaim(ctx context.Context, claim *store.Claim, retryAfter time.Duration) error
	EnqueueOutbound(ctx context.Context, conversationID string, drafts []store.OutboundDraft) error
	RepliesTo(ctx context.Context, inboundID string) (replies []store.Message, processed bool, err error)
	ListMessages(ctx context.Context, conversationID string, limit int) ([]store.Message, error)
	// MessageMedia reads a voice note's bytes to transcribe them.
	MessageMedia(ctx context.Context, messageID string) ([]byte, error)
	SettleConversations(ctx context.Context, p store.SettlePolicy) (int, error)
	Subscribe(ctx context.Context, topics ...string) <-chan string
}

// Engine runs the workers.
type Engine struct {
	st          Store
	chain       Decider
	profile     *agents.Profile
	transcriber Transcriber // nil: voice notes get a polite reply
	observer    Observer    // nil: none
	cfg         Config
	log         *slog.Logger
	readReceipt map[string]bool
	an          *analysis.Analyzer

	wake    *wakeups
	waiters *waiters
	slots   *cpuSlots // nil: no bound
}

// New returns an engine. transcriber and observer may be nil.
func New(st Store, chain Decider, profile *agents.Profile, transcriber Transcriber, observer Observer, cfg Config, log *slog.Logger) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.HistoryMessages <= 0 {
		cfg.HistoryMessages = 20
	}
	if cfg.SettleInterval <= 0 {
		cfg.SettleInterval = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CPUSlots == 0 {
		cfg.CPUSlots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	rr := map[string]bool{}
	for _, c := range cfg.ReadReceiptChannels {
		rr[c] = true
	}
	return &Engine{
		st: st, chain: chain, profile: profile, transcriber: transcriber, observer: observer,
		cfg: cfg, log: log, readReceipt: rr, wake: newWakeups(cfg.Workers), waiters: newWaiters(), slots: newCPUSlots(cfg.CPUSlots),
		an: analysis.New(profile.Company.Language),
	}
}

// Run processes messages until ctx ends, then lets in-flight runs finish
// (bounded by their own timeouts) and returns.
//
// Idle workers sleep until a wake-up token arrives. A token wakes one
// worker, not all: new messages send one each (Kick, and the store's
// notification, which also carries other replicas' messages), one poller
// sends one per PollInterval for work nobody announced (expired leases), and
// a worker that found work passes a token on, so a burst fans out across
// workers while an idle server does no claims at all.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	notes := e.st.Subscribe(ctx, store.TopicInbox)
	wg.Add(3)
	go func() {
		defer wg.Done()
		e.settle(ctx)
	}()
	go func() {
		defer wg.Done()
		for range notes {
			e.wake.signal()
		}
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(e.cfg.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				e.wake.signal()
			}
		}
	}()
	for i := 0; i < e.cfg.Workers; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			e.work(ctx, fmt.Sprintf("%s/w%d", e.cfg.Owner, n))
		}(i)
	}
	wg.Wait()
	return nil
}

// Kick wakes an idle worker, e.g. right after this process accepted a
// message.
func (e *Engine) Kick() { e.wake.signal() }

func (e *Engine) work(ctx context.Context, owner string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake.tokens:
		}
		// Claim until there is nothing left; each claim that finds work
		// wakes another worker for what may remain.
		for ctx.Err() == nil {
			// Runs continue past ctx cancellation so that shutdown finishes
			// in-flight work instead of abandoning it to the lease timeout.
			claim, err := e.st.ClaimConversation(context.WithoutCancel(ctx), owner, e.cfg.Lease)
			if err != nil {
				e.log.Error("claim conversation", "err", err)
				break
			}
			if claim == nil {
				break
			}
			e.wake.signal()
			e.process(context.WithoutCancel(ctx), claim)
		}
	}
}

func (e *Engine) process(ctx context.Context, claim *store.Claim) {
	// The agents must finish within the lease; past it another worker may
	// already be answering, so the result would be dropped anyway.
	runCtx, cancel := context.WithDeadline(ctx, claim.LeaseUntil)
	defer cancel()
	start := time.Now()
	e.markRead(runCtx, claim)
	result, err := e.decideInSlot(runCtx, claim)
	if err == nil && runCtx.Err() != nil {
		e.log.Warn("run outlived its lease; dropped", "conversation", claim.Conversation.ID, "lease", e.cfg.Lease)
		return
	}
	if err == nil {
		result.Run.StartedAt = start
		result.Run.Duration = time.Since(start)
		err = e.st.CompleteRun(ctx, claim, result)
	}
	ids := make([]string, len(claim.Messages))
	for i, m := range claim.Messages {
		ids[i] = m.ID
	}
	switch {
	case err == nil:
		if e.observer != nil {
			e.observer.RunCompleted(result.Run.Outcome, result.Run.Duration, agents.Usage{
				PromptTokens: result.Run.PromptTokens, CompletionTokens: result.Run.CompletionTokens,
			})
		}
		e.waiters.done(ids)
	case errors.Is(err, store.ErrLeaseLost):
		e.log.Warn("run dropped: lease taken over", "conversation", claim.Conversation.ID)
	default:
		e.log.Error("run failed; will retry", "conversation", claim.Conversation.ID, "err", err)
		if rerr := e.st.ReleaseClaim(ctx, claim, 5*time.Second); rerr != nil {
			e.log.Error("release claim", "conversation", claim.Conversation.ID, "err", rerr)
		}
	}
}

// decideInSlot runs the agents holding a CPU slot; the store's writes
// before and after need none.
func (e *Engine) decideInSlot(ctx context.Context, claim *store.Claim) (store.RunResult, error) {
	sl, err := e.slots.acquire(ctx)
	if err != nil {
		return store.RunResult{}, err
	}
	defer sl.release()
	return e.decide(withSlot(ctx, sl), claim)
}

// markRead asks the adapter to mark the newest message read and show the
// typing indicator while the agents work. Best effort.
func (e *Engine) markRead(ctx context.Context, claim *store.Claim) {
	conv := claim.Conversation
	if !e.readReceipt[conv.Contact.Channel] || len(claim.Messages) == 0 {
		return
	}
	last := claim.Messages[len(claim.Messages)-1]
	draft := store.OutboundDraft{Kind: message.KindMarkRead, ReplyTo: last.ChannelMessageID, DedupeKey: "read:" + last.ID}
	if err := e.st.EnqueueOutbound(ctx, conv.ID, []store.OutboundDraft{draft}); err != nil {
		e.log.Warn("queue mark-read", "conversation", conv.ID, "err", err)
	}
}

// WaitProcessed blocks until the inbound message has been processed by a run
// (in this process or another replica) or ctx ends.
func (e *Engine) WaitProcessed(ctx context.Context, messageID string) (replies []store.Message, err error) {
	ch := e.waiters.add(messageID)
	defer e.waiters.remove(messageID, ch)
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	for {
		replies, processed, err := e.st.RepliesTo(ctx, messageID)
		if err != nil {
			return nil, err
		}
		if processed {
			return replies, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		case <-poll.C:
		}
	}
}

// wakeups hands out wake-up tokens, one worker per token. Tokens beyond
// the buffer are dropped: that many workers are being woken already.
type wakeups struct {
	tokens chan struct{}
}

func newWakeups(n int) *wakeups { return &wakeups{tokens: make(chan struct{}, n)} }

func (w *wakeups) signal() {
	select {
	case w.tokens <- struct{}{}:
	default:
	}
}

// waiters lets Converse calls wait for their message's run in this process.
type waiters struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

func newWaiters() *waiters { return &waiters{m: map[string][]chan struct{}{}} }

func (w *waiters) add(id string) chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	w.m[id] = append(w.m[id], ch)
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(id string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.m[id]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(w.m, id)
	} else {
		w.m[id] = list
	}
}

func (w *waiters) done(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		for _, ch := range w.m[id] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
