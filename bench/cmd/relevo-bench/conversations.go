package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// benchChannel is the channel the simulated users write on; the benchmark
// holds its outbound stream as an adapter would.
const benchChannel = "bench"

// candidateQuestions are what the simulated users may ask, about the sample
// company's knowledge base. The run keeps those the server's knowledge base
// answers (see answerable), so every message costs a full Triage →
// Knowledge run (hand-off, search, answer) and no conversation ends in a
// ticket, which would silence the bot for the rest of it.
var candidateQuestions = []string{
	"¿Cómo creo mi cuenta?",
	"Olvidé mi contraseña, ¿qué hago?",
	"¿Qué medios de pago aceptan?",
	"¿Puedo pagar en cuotas?",
	"¿Cómo cancelo la suscripción?",
	"¿Cuál es la política de reembolso?",
	"¿Cómo me inscribo en un curso?",
	"¿Cuánto tiempo tengo para terminar un curso?",
	"¿Cómo descargo mi certificado?",
	"¿Qué es Teach1?",
	"¿Cómo descargo la aplicación Teach1?",
	"¿Puedo ver las lecciones sin conexión?",
	"¿Cuál es la nota para aprobar un curso?",
	"¿Cómo elimino mi cuenta?",
	"Mi pago fue rechazado, ¿qué hago?",
	"¿Cómo pido factura a nombre de mi empresa?",
}

// answerable returns the candidates whose best search hit reaches the
// knowledge base's answer threshold. When the server does not let this
// client search (an adapter key on an external server), it returns them
// all. It fails when none is answerable: the run would measure tickets.
func answerable(ctx context.Context, kb relevov1.KnowledgeServiceClient, candidates []string, log *slog.Logger) ([]string, error) {
	var out []string
	for _, q := range candidates {
		resp, err := kb.Search(ctx, &relevov1.SearchRequest{Query: q, Limit: 1})
		if err != nil {
			log.Warn("cannot check the questions against the knowledge base; using them all", "err", err)
			return candidates, nil
		}
		if hits := resp.GetResults(); len(hits) > 0 && hits[0].GetScore() >= resp.GetAnswerThreshold() {
			out = append(out, q)
			continue
		}
		log.Info("question left out: the knowledge base would hand it to a person", "question", q)
	}
	if len(out) == 0 {
		return nil, errors.New("none of the benchmark's questions is answered by the server's knowledge base (is the sample knowledge base loaded?)")
	}
	return out, nil
}

// reply is one bot message the outbound stream delivered to a user.
type reply struct {
	conversationID string
	at             time.Time
	// kbAnswer is true when the reply offers the feedback buttons, which
	// only answers from the knowledge base do.
	kbAnswer bool
}

// router is the outbound handler: it acks every message and hands replies
// to the simulated user they are addressed to.
type router struct {
	users    map[string]chan reply // address → the user's inbox; read-only
	received atomic.Int64
	stray    atomic.Int64
}

// newRouter routes to the given addresses; others are acked and counted as
// stray (e.g. left over in an external server's outbox from earlier runs).
func newRouter(addresses []string) *router {
	r := &router{users: make(map[string]chan reply, len(addresses))}
	for _, a := range addresses {
		// One message is outstanding per user; the room is for surprises
		// (a duplicate delivery), which must not block the stream.
		r.users[a] = make(chan reply, 4)
	}
	return r
}

func (r *router) handle(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
	at := time.Now()
	r.received.Add(1)
	ch, ok := r.users[m.GetTo().GetAddress()]
	if !ok {
		r.stray.Add(1)
		return "bench." + m.GetId(), nil
	}
	select {
	case ch <- reply{conversationID: m.GetConversationId(), at: at, kbAnswer: len(m.GetButtons()) > 0}:
	default:
		r.stray.Add(1)
	}
	return "bench." + m.GetId(), nil
}

// holdOutbound runs the outbound stream of the bench channel until ctx ends
// and returns a function that waits for it to stop.
func holdOutbound(ctx context.Context, channels relevov1.ChannelServiceClient, r *router, log *slog.Logger) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := relevo.RunOutbound(ctx, channels, benchChannel, r.handle,
			relevo.OutboundConcurrency(64), relevo.OutboundMaxInFlight(512),
			relevo.OutboundBackoff(50*time.Millisecond, time.Second),
			relevo.OutboundDrainTimeout(time.Second),
			relevo.OutboundLogger(log))
		if err != nil {
			log.Error("outbound stream", "err", err)
		}
	}()
	return func() { <-done }
}

// convConfig shapes the closed-loop phase: each user sends a message, waits
// for the bot's reply, then sends the next.
type convConfig struct {
	// Questions are asked in turn; user i's k-th message is question i+k.
	Questions []string
	Users     int
	Messages  int // per user; with Window, the most a user sends
	// Window, when set, ends the phase after this long; throughput is the
	// replies received within it divided by it.
	Window time.Duration
	// Ramp spreads the users' first messages evenly over this time, so
	// that they do not all write in the same millisecond (and, with a model
	// of constant latency, keep doing so every answer).
	Ramp time.Duration
	// ReplyTimeout is how long a user waits for a reply before counting it
	// lost and giving up.
	ReplyTimeout time.Duration
	// ModelTime is the model latency one answer costs (calls × latency),
	// subtracted from the reply latency.
	ModelTime time.Duration
}

// convResult is what the closed-loop phase measured.
type convResult struct {
	Sent, Replies, KBAnswers, Lost, Errors int
	Stray                                  int64
	Elapsed                                time.Duration
	Accept, Reply, ReplyOverModel          []time.Duration
}

// runConversations drives cfg.Users simulated users through the API. runID
// makes addresses and message ids unique to this run.
func runConversations(ctx context.Context, channels relevov1.ChannelServiceClient, runID string, cfg convConfig, log *slog.Logger) convResult {
	addrs := make([]string, cfg.Users)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("%s-u%d", runID, i)
	}
	r := newRouter(addrs)
	streamCtx, stopStream := context.WithCancel(ctx)
	waitStream := holdOutbound(streamCtx, channels, r, log)
	defer waitStream()
	defer stopStream()

	start := time.Now()
	phaseCtx := ctx
	deadline := time.Time{}
	if cfg.Window > 0 {
		deadline = start.Add(cfg.Window)
		var cancel context.CancelFunc
		phaseCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	inWindow := func(t time.Time) bool { return deadline.IsZero() || t.Before(deadline) }

	var (
		accept, replyLat, overModel durations
		sent, replies, kb           atomic.Int64
		lost, errs                  atomic.Int64
		mu                          sync.Mutex
		last                        time.Time
		wg                          sync.WaitGroup
	)
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inbox := r.users[addr]
			if cfg.Ramp > 0 {
				t := time.NewTimer(cfg.Ramp * time.Duration(i) / time.Duration(cfg.Users))
				select {
				case <-t.C:
				case <-phaseCtx.Done():
					t.Stop()
					return
				}
			}
			for k := 0; k < cfg.Messages && phaseCtx.Err() == nil; k++ {
				msg := &relevov1.InboundMessage{
					Contact:          &relevov1.Contact{Channel: benchChannel, Address: addr, DisplayName: fmt.Sprintf("Bench user %d", i)},
					ChannelMessageId: fmt.Sprintf("%s-u%d-m%d", runID, i, k),
					Kind:             relevov1.InboundKind_INBOUND_KIND_TEXT,
					Text:             cfg.Questions[(i+k)%len(cfg.Questions)],
				}
				t0 := time.Now()
				resp, err := channels.HandleMessage(phaseCtx, &relevov1.HandleMessageRequest{Message: msg})
				if err != nil {
					if phaseCtx.Err() == nil {
						errs.Add(1)
						log.Warn("handle message", "user", i, "err", err)
					}
					return
				}
				accept.add(time.Since(t0))
				sent.Add(1)
				timeout := time.NewTimer(cfg.ReplyTimeout)
			wait:
				for {
					select {
					case rep := <-inbox:
						if rep.conversationID != resp.GetConversationId() {
							continue // not the reply to this message
						}
						timeout.Stop()
						if !inWindow(rep.at) {
							return
						}
						d := rep.at.Sub(t0)
						replyLat.add(d)
						overModel.add(d - cfg.ModelTime)
						replies.Add(1)
						if rep.kbAnswer {
							kb.Add(1)
						}
						mu.Lock()
						if rep.at.After(last) {
							last = rep.at
						}
						mu.Unlock()
						break wait
					case <-timeout.C:
						lost.Add(1)
						log.Warn("no reply in time; user gives up", "user", i, "timeout", cfg.ReplyTimeout)
						return
					case <-phaseCtx.Done():
						timeout.Stop()
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	// A window that ran out is the measure; otherwise the phase lasted
	// until the last reply.
	elapsed := cfg.Window
	if phaseCtx.Err() == nil || elapsed == 0 {
		elapsed = last.Sub(start)
	}
	return convResult{
		Sent: int(sent.Load()), Replies: int(replies.Load()), KBAnswers: int(kb.Load()),
		Lost: int(lost.Load()), Errors: int(errs.Load()), Stray: r.stray.Load(), Elapsed: elapsed,
		Accept: accept.take(), Reply: replyLat.take(), ReplyOverModel: overModel.take(),
	}
}
