// Package sqlite opens Relevo's store on an SQLite file: the embedded
// default, created on first run, with no server to operate. It uses the
// pure-Go modernc.org/sqlite driver, so builds need no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/relevo/relevo/server/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures Open.
type Option func(*options)

type options struct {
	log *slog.Logger
	now func() time.Time
}

// WithLogger sets the store's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the store's clock (tests move it forward).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open opens (creating if needed) the database file at path and migrates it.
//
// Writes go through a single connection, in IMMEDIATE transactions: writers
// queue in process instead of failing with SQLITE_BUSY, and the busy timeout
// covers another process briefly holding the file. Reads use a pool of
// their own, which WAL lets run beside the writer. synchronous=NORMAL in WAL
// mode loses no committed transaction when the process crashes (only on a
// power loss may the last commits be lost), for a commit without fsync.
//
// Checkpoints, which copy the log into the database file and fsync both,
// run in the background on a connection of their own rather than inside a
// writer's commit, where they stalled every write queued behind them; only
// the last few frames before the log starts over are copied with the
// writer held (see checkpointer).
//
// Erasure: secure_delete makes SQLite overwrite deleted rows and freed pages
// with zeros instead of leaving them readable in free space, and after an
// erasure the log is checkpointed and truncated (see checkpointer.purge), so
// neither file keeps a copy of what was erased.
func Open(ctx context.Context, path string, opts ...Option) (*sqlstore.Store, error) {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, fmt.Errorf("sqlite: no database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	// The writer keeps its statement journals in memory (temp_store): a
	// multi-row insert that may fail halfway journals the pages it changes
	// so that it can be undone alone, and past 64 KiB SQLite spilled that
	// journal to a temporary file, two write system calls per page on the
	// single writer's path: batches of accepts at their 256 cap spent 0.56 s
	// there of the 1.29 s of write calls of a 5,000 msg/s run. A journal
	// holds at most the pages one statement changes.
	writer, err := openDB(path, "immediate", "wal_autocheckpoint(0)", "temp_store(MEMORY)")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := sqlstore.Migrate(ctx, writer, goose.DialectSQLite3, sub, nil, o.log); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	reader, err := openDB(path, "deferred")
	if err != nil {
		writer.Close()
		return nil, err
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	background, err := openDB(path, "deferred")
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, err
	}
	background.SetMaxOpenConns(1)
	log := o.log.With("store", "sqlite")
	cp := checkpointer{background: background, writer: writer, log: log, every: checkpointInterval, restart: restartFrames}
	st, err := sqlstore.New(ctx, sqlstore.Config{
		// Writers are serialized on one connection, so row locks are
		// neither needed nor supported; notifications stay in process.
		Dialect: sqlstore.Dialect{Name: "sqlite", Retryable: isBusy, CacheStatements: true, AnonymousParams: true,
			SingleWriter: true, Purge: cp.purge},
		Writer:   writer,
		Reader:   reader,
		Logger:   log,
		Now:      o.now,
		Maintain: cp.run,
		Close:    background.Close,
	})
	if err != nil {
		background.Close()
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return st, nil
}

func openDB(path, txlock string, pragmas ...string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Deleted content is zeroed, not left in free space: an erased contact
	// must not be recoverable from the file. It is a per-connection setting,
	// hence here for every connection.
	q.Add("_pragma", "secure_delete(1)")
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
