package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

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

// fileContents reads the database, its write-ahead log and its shared-memory
// index as raw bytes, as `strings` would: what someone with the files, a
// copy or a backup of them could recover.
func fileContents(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		out[filepath.Base(path+suffix)] = b
	}
	return out
}

// TestErasureLeavesNoCopyInTheFiles erases a contact and then looks for its
// data in the bytes of the files, where deleted rows survive in free space
// and in old log frames unless secure_delete zeroes them and the log is
// truncated.
func TestErasureLeavesNoCopyInTheFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relevo.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x := storetest.SeedErasure(t, st)

	files := fileContents(t, path)
	for name, secret := range x.Secrets {
		found := false
		for _, b := range files {
			found = found || bytes.Contains(b, []byte(secret))
		}
		if !found {
			t.Fatalf("the contact's %s is in no file before the erasure: the scan sees nothing", name)
		}
	}

	if _, err := st.EraseContact(ctx, x.Contact.Channel, x.Contact.Address); err != nil {
		t.Fatal(err)
	}
	files = fileContents(t, path)
	for file, b := range files {
		for name, secret := range x.Secrets {
			if n := bytes.Count(b, []byte(secret)); n > 0 {
				t.Errorf("%s holds the erased contact's %s %d times", file, name, n)
			}
		}
	}
	for name, kept := range x.Kept {
		if !bytes.Contains(files["relevo.db"], []byte(kept)) && !bytes.Contains(files["relevo.db-wal"], []byte(kept)) {
			t.Errorf("another contact's %s is gone from the files", name)
		}
	}
}

// TestErasureWaitsForReadersToLeaveTheLog holds a read transaction on the
// log while a contact is erased: truncating the log must wait for it (or try
// again) rather than fail.
func TestErasureWaitsForReadersToLeaveTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relevo.db")
	busy := &busyLog{found: make(chan struct{})}
	st, err := sqlite.Open(ctx, path, sqlite.WithLogger(slog.New(busy)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x := storetest.SeedErasure(t, st)

	reader, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// The reader leaves once the erasure has found it on the log.
	released, erased := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-busy.found:
			close(released)
			_ = tx.Rollback()
		case <-erased:
			_ = tx.Rollback()
		}
	}()
	_, err = st.EraseContact(ctx, x.Contact.Channel, x.Contact.Address)
	close(erased)
	if err != nil {
		t.Fatalf("EraseContact with a reader on the log: %v", err)
	}
	select {
	case <-released:
	default:
		t.Fatal("the erasure returned while a reader still held the log: nothing was truncated")
	}
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() != 0 {
		t.Errorf("the log is %d bytes after the erasure, want truncated", wal.Size())
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

// migratedTo returns a database file migrated up to version, and a function
// that opens the store on it (which migrates it the rest of the way).
func migratedTo(t *testing.T, version int64) (*sql.DB, func(t *testing.T) store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relevo.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), path, sqlite.WithLogger(quietLogger()))
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// busyLog closes found when the store logs that truncating the log found
// it in use: the erasure is then waiting for the reader.
type busyLog struct {
	found chan struct{}
	once  sync.Once
}

func (h *busyLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *busyLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *busyLog) WithGroup(string) slog.Handler            { return h }
func (h *busyLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "checkpoint busy") {
		h.once.Do(func() { close(h.found) })
	}
	return nil
}
