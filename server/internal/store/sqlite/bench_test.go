package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/store/storetest"
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
// Concurrent accepts share commits (group commit).
func BenchmarkAcceptInboundAtRate(b *testing.B) {
	for _, rate := range []int{1000, 5000} { // messages per second
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			storetest.AcceptAtRate(b, rate, openTemp(b))
		})
	}
}

// BenchmarkHistoryWithVoiceNotes reads a conversation's history (what a
// run, GetConversation and a ticket's context read) when a quarter of its
// messages are voice notes: with their bytes in a table of their own, and
// as rows stored before held them, base64 in the payload.
func BenchmarkHistoryWithVoiceNotes(b *testing.B) {
	for _, layout := range []string{"apart", "in-payload"} {
		b.Run("media="+layout, func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "relevo.db")
			st, err := sqlite.Open(ctx, path, sqlite.WithLogger(quietLogger()))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			audio := bytes.Repeat([]byte("OggS\x00\x02opus"), 10<<10) // 100 KiB, a voice note of about half a minute
			var conv string
			var voice []string
			for i := range 20 {
				in := store.InboundMessage{Contact: store.Contact{Channel: "whatsapp", Address: "56911112222"},
					ChannelMessageID: fmt.Sprintf("wamid.%d", i), Kind: "text", Text: "¿Cuál es el horario de atención?"}
				if i%4 == 0 {
					in.Kind, in.Text, in.MediaData = "audio", "", audio
					in.Details = message.Details{Media: &message.Media{Type: "voice", ProviderID: fmt.Sprint("m-", i), MIMEType: "audio/ogg; codecs=opus"}}
				}
				res, err := st.AcceptInbound(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				conv = res.ConversationID
				if in.MediaData != nil {
					voice = append(voice, res.MessageID)
				}
			}
			if layout == "in-payload" {
				db, err := sql.Open("sqlite", path)
				if err != nil {
					b.Fatal(err)
				}
				payload := fmt.Appendf(nil, `{"media":{"type":"voice","mimeType":"audio/ogg; codecs=opus","data":%q}}`, base64.StdEncoding.EncodeToString(audio))
				for _, id := range voice {
					if _, err := db.ExecContext(ctx, `UPDATE messages SET payload = $1 WHERE id = $2`, payload, id); err != nil {
						b.Fatal(err)
					}
				}
				db.Close()
			}
			b.ResetTimer()
			for b.Loop() {
				msgs, err := st.ListMessages(ctx, conv, 20)
				if err != nil || len(msgs) != 20 {
					b.Fatalf("ListMessages: %d, %v", len(msgs), err)
				}
			}
		})
	}
}

// BenchmarkLegacyMediaMigration times migration 00007 moving the voice
// notes' bytes out of the payloads of rows stored before it.
func BenchmarkLegacyMediaMigration(b *testing.B) {
	storetest.BenchLegacyMediaMigration(b, func(b *testing.B) (*sql.DB, *goose.Provider) {
		db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "relevo.db"))
		if err != nil {
			b.Fatal(err)
		}
		p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			b.Fatal(err)
		}
		return db, p
	})
}
