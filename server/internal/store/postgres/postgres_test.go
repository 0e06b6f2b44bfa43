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
