package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// acceptConfig shapes the open-loop phase: messages are sent on a fixed
// schedule whatever the server's answers, as webhooks arrive.
type acceptConfig struct {
	Questions     []string // asked in turn
	Rate          int      // messages per second
	Duration      time.Duration
	Conversations int // message i goes to conversation i mod Conversations
	// MaxOutstanding bounds the calls in flight; a server slower than that
	// makes the sender fall behind its schedule, which SendLag shows.
	MaxOutstanding int
}

// acceptResult is what the open-loop phase measured.
type acceptResult struct {
	Sent, Accepted, Errors int
	Elapsed                time.Duration
	Accept                 []time.Duration
	// SendLag is how late each message left against its schedule. Large
	// values mean the load generator, not the server, set the pace.
	SendLag []time.Duration
	// Replies counts the bot's replies delivered during the phase.
	Replies int64
	// Start and End bound the phase: from the first message due to the
	// last answer.
	Start, End time.Time
	// Mid is the count of replies delivered halfway through the sending.
	Mid halfMark
}

// runAccept sends cfg.Rate messages per second for cfg.Duration and
// measures the HandleMessage round trip, while the server answers them
// (the outbound stream is held and acked throughout). Message i goes to
// replicas[i mod len(replicas)]; the outbound stream is held on the first.
func runAccept(ctx context.Context, replicas []relevov1.ChannelServiceClient, runID string, cfg acceptConfig, log *slog.Logger) acceptResult {
	r := newRouter(nil)
	streamCtx, stopStream := context.WithCancel(ctx)
	waitStream := holdOutbound(streamCtx, replicas[0], r, log)
	defer waitStream()
	defer stopStream()

	total := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	interval := time.Second / time.Duration(cfg.Rate)
	sem := make(chan struct{}, cfg.MaxOutstanding)
	var (
		accept, lag durations
		accepted    atomic.Int64
		errs        atomic.Int64
		wg          sync.WaitGroup
		sent        int
	)
	start := time.Now()
	half := startHalf(cfg.Duration/2, r.received.Load)
send:
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break send
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break send
		}
		lag.add(time.Since(due))
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conv := i % cfg.Conversations
			msg := &relevov1.InboundMessage{
				Contact:          &relevov1.Contact{Channel: benchChannel, Address: fmt.Sprintf("%s-c%d", runID, conv)},
				ChannelMessageId: fmt.Sprintf("%s-a%d", runID, i),
				Kind:             relevov1.InboundKind_INBOUND_KIND_TEXT,
				Text:             cfg.Questions[i%len(cfg.Questions)],
			}
			t0 := time.Now()
			_, err := replicas[i%len(replicas)].HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: msg})
			if err != nil {
				if ctx.Err() == nil {
					errs.Add(1)
					log.Warn("handle message", "message", i, "err", err)
				}
				return
			}
			accept.add(time.Since(t0))
			accepted.Add(1)
		}()
	}
	wg.Wait()
	end := time.Now()
	return acceptResult{
		Sent: sent, Accepted: int(accepted.Load()), Errors: int(errs.Load()),
		Elapsed: end.Sub(start), Accept: accept.take(), SendLag: lag.take(),
		Replies: r.received.Load(), Start: start, End: end, Mid: half(),
	}
}
