package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	neturl "net/url"
	"sync"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/postgres"
	"github.com/relevo/relevo/server/internal/store/storetest"
)

func open(t *testing.T, url string) store.Store {
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
	var cut int
	err = admin.QueryRowContext(ctx, `
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE query = 'LISTEN "relevo_' || $1 || '"'`, u.Query().Get("search_path")).Scan(&cut)
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
	list, _, err := second.ListEntries(t.Context(), false, 10, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("after reopening: %d entries, %v", len(list), err)
	}
}
