package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/postgres"
	"github.com/relevo/relevo/server/internal/store/storetest"
)

func open(t testing.TB, url string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, postgres.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, storetest.PostgresURL(t)) })
}

func openReplicas(t *testing.T, n int) []store.Store {
	url := storetest.PostgresURL(t)
	out := make([]store.Store, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	// Opening at once also exercises the migration lock.
	for i := range n {
		wg.Go(func() {
			st, err := postgres.Open(context.Background(), url, postgres.WithLogger(slog.New(slog.DiscardHandler)))
			out[i], errs[i] = st, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("postgres.Open replica %d: %v", i, errs[i])
		}
		st := out[i]
		t.Cleanup(func() { st.Close() })
	}
	return out
}

func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, openReplicas, true)
}

func TestListenerReconnects(t *testing.T) {
	url := storetest.PostgresURL(t)
	writer, reader := open(t, url), open(t, url)
	ctx := t.Context()
	ch := reader.Subscribe(ctx, store.TopicKnowledge)
	write := func(i int) {
		if _, err := writer.CreateEntry(ctx, store.Entry{Question: fmt.Sprint("q", i), Answer: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	storetest.ExpectNotifications(t, ch, 2, write)

	// Cut the listening connections of this schema, as a failover would.
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := u.Query().Get("search_path")
	// Each store listens from a goroutine of its own, and only the
	// reader's was heard above: wait until the writer's listens too. The
	// bound ends a stuck test; it measures nothing.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var listening int
		err := admin.QueryRowContext(ctx, `
SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN "relevo_' || $1 || '"'`, schema).Scan(&listening)
		if err != nil {
			t.Fatal(err)
		}
		if listening >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d stores listening after 10s, want both", listening)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var cut int
	err = admin.QueryRowContext(ctx, `
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE query = 'LISTEN "relevo_' || $1 || '"'`, schema).Scan(&cut)
	if err != nil {
		t.Fatal(err)
	}
	if cut != 2 {
		t.Fatalf("cut %d listening connections, want both stores'", cut)
	}
	// One notification may be left from before and one comes from the
	// reconnect itself; the others prove writes are heard again.
	storetest.ExpectNotifications(t, ch, 4, func(i int) { write(100 + i) })
}

func TestOpenRefusesAMissingSchema(t *testing.T) {
	url := storetest.PostgresURL(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", q.Get("search_path")+"_missing")
	u.RawQuery = q.Encode()
	st, err := postgres.Open(t.Context(), u.String(), postgres.WithLogger(slog.New(slog.DiscardHandler)))
	if err == nil {
		st.Close()
		t.Fatal("Open succeeded on a schema that does not exist")
	}
}

func TestReopenAppliesNoMigrationTwice(t *testing.T) {
	url := storetest.PostgresURL(t)
	first := open(t, url)
	if _, err := first.CreateEntry(t.Context(), store.Entry{Question: "q", Answer: "a"}); err != nil {
		t.Fatal(err)
	}
	second := open(t, url)
	list, _, err := second.ListEntries(t.Context(), store.EntryFilter{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("after reopening: %d entries, %v", len(list), err)
	}
}

// rowsContaining counts, per table of the test's schema, the rows whose text
// form contains s, or its hex form for bytea columns (payloads, contexts,
// traces).
func rowsContaining(t *testing.T, db *sql.DB, s string) map[string]int {
	t.Helper()
	ctx := t.Context()
	rows, err := db.QueryContext(ctx, `
SELECT table_name FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 9 {
		t.Fatalf("found only tables %v", tables)
	}
	out := map[string]int{}
	for _, table := range tables {
		var n int
		q := `SELECT count(*) FROM ` + pgx.Identifier{table}.Sanitize() + ` AS r
WHERE r::text LIKE '%' || $1 || '%' OR r::text LIKE '%' || encode(convert_to($1, 'UTF8'), 'hex') || '%'`
		if err := db.QueryRowContext(ctx, q, s).Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n > 0 {
			out[table] = n
		}
	}
	return out
}

// TestErasureLeavesNoRowWithTheContactsData erases a contact and looks for
// its data in every row of every table, side tables and logs included.
func TestErasureLeavesNoRowWithTheContactsData(t *testing.T) {
	st, db := openWithDB(t)
	x := storetest.SeedErasure(t, st)
	for name, secret := range x.Secrets {
		if len(rowsContaining(t, db, secret)) == 0 {
			t.Fatalf("the contact's %s is in no row before the erasure: the scan sees nothing", name)
		}
	}

	if _, err := st.EraseContact(t.Context(), x.Contact.Channel, x.Contact.Address); err != nil {
		t.Fatal(err)
	}
	for name, secret := range x.Secrets {
		if found := rowsContaining(t, db, secret); len(found) > 0 {
			t.Errorf("rows still holding the erased contact's %s, by table: %v", name, found)
		}
	}
	for name, kept := range x.Kept {
		if len(rowsContaining(t, db, kept)) == 0 {
			t.Errorf("another contact's %s is gone", name)
		}
	}
}

// BenchmarkAcceptInboundAtRate offers messages at a fixed rate to one store,
// then to two replicas sharing the database; see storetest.AcceptAtRate.
//
//	RELEVO_TEST_POSTGRES_URL=... go test ./server/internal/store/postgres -run XXX -bench AcceptInboundAtRate -benchtime 30000x
func BenchmarkAcceptInboundAtRate(b *testing.B) {
	for _, rate := range []int{1000, 3000, 8000} { // messages per second
		for _, n := range []int{1, 2} {
			b.Run(fmt.Sprintf("rate=%d/replicas=%d", rate, n), func(b *testing.B) {
				url := storetest.PostgresURL(b)
				var sts []store.Store
				for range n {
					sts = append(sts, open(b, url))
				}
				storetest.AcceptAtRate(b, rate, sts...)
			})
		}
	}
}

// TestLegacyPayloadsMigrate: messages stored before the media table (the
// contract's JSON in the payload, voice notes' bytes in base64) read the
// same after the migration, their bytes moved out.
func TestLegacyPayloadsMigrate(t *testing.T) {
	db, openStore := migratedTo(t, storetest.LegacyVersion)
	storetest.CheckLegacyPayloads(t, db, openStore)
}

// TestActivityOrderMigrate: conversations stored before migration 00009
// list by recent activity, to the microsecond, after it.
func TestActivityOrderMigrate(t *testing.T) {
	db, openStore := migratedTo(t, storetest.ActivityVersion)
	storetest.CheckActivityOrder(t, db, openStore)
}

// migratedTo returns the test database migrated up to version, and a
// function that opens the store on it (which migrates it the rest of the
// way).
func migratedTo(t *testing.T, version int64) (*sql.DB, func(t *testing.T) store.Store) {
	t.Helper()
	url := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db, func(t *testing.T) store.Store { return open(t, url) }
}

// BenchmarkLegacyMediaMigration times migration 00007 moving the voice
// notes' bytes out of the payloads of rows stored before it.
func BenchmarkLegacyMediaMigration(b *testing.B) {
	storetest.BenchLegacyMediaMigration(b, func(b *testing.B) (*sql.DB, *goose.Provider) {
		db, err := sql.Open("pgx", storetest.PostgresURL(b))
		if err != nil {
			b.Fatal(err)
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			b.Fatal(err)
		}
		return db, p
	})
}

// TestClaimClearsAStalePendingMark: a stale pending mark is cleared by the
// claim that finds it (storetest.ClaimClearsAStalePendingMark).
func TestClaimClearsAStalePendingMark(t *testing.T) {
	st, db := openWithDB(t)
	storetest.ClaimClearsAStalePendingMark(t, st, db)
}

// openWithDB opens the store of the test database and a plain connection to
// it, for what a test reads or writes around the store; both close with the
// test.
func openWithDB(t *testing.T) (store.Store, *sql.DB) {
	t.Helper()
	url := storetest.PostgresURL(t)
	st := open(t, url)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return st, db
}
