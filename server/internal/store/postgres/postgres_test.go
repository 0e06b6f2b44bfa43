package postgres_test

import (
	"context"
	"log/slog"
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
	rs := openReplicas(t, 2)
	ctx := t.Context()
	ch := rs[1].Subscribe(ctx, store.TopicKnowledge)
	write := func(i int) {
		if _, err := rs[0].CreateEntry(ctx, store.Entry{Question: fmt.Sprint("q", i), Answer: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	storetest.ExpectNotifications(t, ch, 2, write)

	// Cut every listening connection of this schema, as a failover would.
	url := storetest.PostgresURL(t) // any schema: only to reach the server
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var schema string
	if _, err := rs[0].ListEntries(ctx, false, 1, ""); err != nil {
		t.Fatal(err)
	}
	res, err := admin.ExecContext(ctx, `
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	_ = schema
	_ = res
	storetest.ExpectNotifications(t, ch, 3, func(i int) { write(100 + i) })
}
