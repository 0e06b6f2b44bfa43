package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// AcceptAtRate is a benchmark of either engine: it offers b.N messages at
// rate per second over 1,000 conversations, as webhooks arrive, and
// reports the rate reached and the latency each message waited, counted
// from when it was due, so that queueing behind a slow commit counts too.
// Each message has a unique id; message i goes to replicas[i mod n].
func AcceptAtRate(b *testing.B, rate int, replicas ...store.Store) {
	ctx := context.Background()
	interval := time.Second / time.Duration(rate)
	latencies := make([]time.Duration, b.N)
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, b.N)
	run := uniq("rate")
	var wg sync.WaitGroup
	for range 512 { // callers in flight at most, like webhook handlers
		wg.Go(func() {
			for j := range jobs {
				in := store.InboundMessage{
					Contact:          store.Contact{Channel: "whatsapp", Address: fmt.Sprint(j.i % 1000)},
					ChannelMessageID: fmt.Sprintf("wamid.%s.%d", run, j.i),
					Kind:             "text",
					Text:             "¿Cuál es el horario de atención?",
				}
				if _, err := replicas[j.i%len(replicas)].AcceptInbound(ctx, in); err != nil {
					b.Error(err)
				}
				latencies[j.i] = time.Since(j.due)
			}
		})
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{i, due}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
