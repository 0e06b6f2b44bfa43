package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// BenchmarkAcceptInbound measures webhook intake: many callers storing new
// messages across many conversations at once. It reports throughput and
// the latency percentiles a webhook waits before it may answer 200.
func BenchmarkAcceptInbound(b *testing.B) {
	for _, callers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			st := openTemp(b)
			ctx := context.Background()
			var n atomic.Int64
			var mu sync.Mutex
			var latencies []time.Duration
			b.SetParallelism(callers) // callers per GOMAXPROCS
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					i := n.Add(1)
					in := store.InboundMessage{
						Contact:          store.Contact{Channel: "whatsapp", Address: fmt.Sprint(i % 500)},
						ChannelMessageID: fmt.Sprintf("wamid.bench.%d", i),
						Kind:             "text",
						Text:             "¿Cuál es el horario de atención?",
					}
					t0 := time.Now()
					if _, err := st.AcceptInbound(ctx, in); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(latencies) == 0 {
				return
			}
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

// BenchmarkAcceptInboundAtRate offers messages at a fixed rate, as webhooks
// arrive, and reports the latency each waited, counted from when it was
// due, so that time spent queueing behind a slow commit counts too.
func BenchmarkAcceptInboundAtRate(b *testing.B) {
	const rate = 1000 // messages per second
	st := openTemp(b)
	ctx := context.Background()
	interval := time.Second / rate
	latencies := make([]time.Duration, b.N)
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, b.N)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for j := range jobs {
				in := store.InboundMessage{
					Contact:          store.Contact{Channel: "whatsapp", Address: fmt.Sprint(j.i % 500)},
					ChannelMessageID: fmt.Sprintf("wamid.rate.%d", j.i),
					Kind:             "text",
					Text:             "¿Cuál es el horario de atención?",
				}
				if _, err := st.AcceptInbound(ctx, in); err != nil {
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
