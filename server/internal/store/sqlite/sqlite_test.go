package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/store/storetest"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openTemp(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "data", "relevo.db"), sqlite.WithLogger(quietLogger()))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relevo.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.AcceptInbound(ctx, store.InboundMessage{
		Contact: store.Contact{Channel: "whatsapp", Address: "1"}, ChannelMessageID: "wamid.1", Text: "hola",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path, sqlite.WithLogger(quietLogger()))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := st.GetMessage(ctx, res.MessageID)
	if err != nil || m.Text != "hola" {
		t.Fatalf("after reopen: %+v, %v", m, err)
	}
}

// TestReplicas opens one file twice, as two processes would: writers of
// different stores wait for each other through SQLite's file locks.
func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, n int) []store.Store {
		path := filepath.Join(t.TempDir(), "relevo.db")
		out := make([]store.Store, n)
		for i := range out {
			st, err := sqlite.Open(context.Background(), path, sqlite.WithLogger(quietLogger()))
			if err != nil {
				t.Fatalf("sqlite.Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			out[i] = st
		}
		return out
	}, false)
}
