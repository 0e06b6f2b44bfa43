package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// singleWriterStore is a store on a fresh SQLite file with the schema of
// the sqlite package, set up as that package does: one writer, a reader
// pool. Its clock moves a millisecond at every reading, so that the
// messages of one transaction share a time and those of two do not.
func singleWriterStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relevo.db")
	open := func(txlock string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock="+txlock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	w := open("immediate")
	w.SetMaxOpenConns(1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := Migrate(ctx, w, goose.DialectSQLite3, os.DirFS(filepath.Join("..", "sqlite", "migrations")), nil, log); err != nil {
		t.Fatal(err)
	}
	var tick atomic.Int64
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := New(ctx, Config{
		Dialect: Dialect{Name: "sqlite", CacheStatements: true, AnonymousParams: true, SingleWriter: true},
		Writer:  w, Reader: open("deferred"), Logger: log,
		Now: func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Millisecond) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestAcceptsAlreadyRunnableJoinTheLeadersBatch checks that a leader lets
// the callers that are runnable queue before it takes its batch: on one
// processor, accepts started together are stored in one transaction, not
// the first alone and the rest in the next. The scheduler takes a yielded
// goroutine back early now and then (it checks its global queue every
// few dozen turns, and the race detector shuffles run order), so a round
// may split; one round in several stored whole is the behaviour, and
// without the yield no round is.
func TestAcceptsAlreadyRunnableJoinTheLeadersBatch(t *testing.T) {
	s := singleWriterStore(t)
	ctx := context.Background()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n, rounds = 8, 6
	var transactions []int
	for round := range rounds {
		inbound := func(i int) store.InboundMessage {
			return store.InboundMessage{
				Contact:          store.Contact{Channel: "whatsapp", Address: fmt.Sprintf("3460000000%d", i%3)},
				ChannelMessageID: fmt.Sprintf("wamid.%d.%d", round, i), Kind: message.KindText, Text: "hola",
			}
		}
		results := make([]store.AcceptResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = s.AcceptInbound(ctx, inbound(i)) })
		}
		wg.Wait()
		stored := map[time.Time]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, accept %d: %v", round, i, errs[i])
			}
			m, err := s.GetMessage(ctx, results[i].MessageID)
			if err != nil {
				t.Fatal(err)
			}
			if m.ChannelMessageID != inbound(i).ChannelMessageID {
				t.Fatalf("round %d, accept %d stored %q", round, i, m.ChannelMessageID)
			}
			stored[m.CreatedAt]++
		}
		if len(stored) == 1 {
			return
		}
		transactions = append(transactions, len(stored))
	}
	t.Fatalf("in none of %d rounds were the %d messages stored in one transaction; transactions per round: %v", rounds, n, transactions)
}
