// Package postgres opens Relevo's store on PostgreSQL, for running several
// server replicas on one database. Work is claimed with row locks (SKIP
// LOCKED) and leases, and replicas wake each other with LISTEN/NOTIFY, sent after the commits
// that made the changes, never inside a write transaction.
//
// The store lives in the connection's current schema: a search_path given
// in the URL (e.g. "?search_path=relevo") selects it.
//
// Erasure (Store.EraseContact) deletes rows; PostgreSQL does not overwrite
// them. A deleted row stays in its table's heap pages (and its index
// entries in index pages) as a dead tuple until VACUUM (autovacuum, left
// on) marks the space reusable, and its bytes may stay in the data files
// until new rows overwrite that space; VACUUM FULL rewrites a table into
// new files but locks it exclusively meanwhile. The WAL segments written
// when the rows were inserted keep copies until they are recycled after
// checkpoints, and WAL archives, base backups and replicas keep theirs for
// as long as they are retained. The store runs no VACUUM after an erasure:
// it would not reach those copies either, and on busy tables it competes
// with autovacuum for little. Operations keep autovacuum on and let backups
// and WAL archives expire with the backup retention period (see the README,
// "Personal data: retention and erasure").
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/relevo/relevo/server/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures Open.
type Option func(*options)

type options struct {
	log         *slog.Logger
	maxConns    int
	urgentConns int
	readConns   int
	now         func() time.Time
}

// WithLogger sets the store's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the store's clock (tests move it forward).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMaxConns caps the connection pool of the write transactions of the
// workers and the rest (default 16), besides the urgent and the reader
// pools (8 each) and the one connection that listens for notifications.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithUrgentConns caps the pool that accepts inbound messages and delivers
// outbound ones (default 8), kept apart so that neither waits for a
// connection behind the workers.
func WithUrgentConns(n int) Option { return func(o *options) { o.urgentConns = n } }

// Open connects to the database at url, migrates its schema and starts
// listening for other replicas' notifications.
func Open(ctx context.Context, url string, opts ...Option) (*sqlstore.Store, error) {
	o := options{log: slog.Default(), maxConns: 16, urgentConns: 8, readConns: 8}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	db := stdlib.OpenDB(*cfg.Copy())
	db.SetMaxOpenConns(o.maxConns)
	db.SetMaxIdleConns(o.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Three pools: the workers' write transactions, which may hold their
	// connections while they wait for row locks, must make neither an
	// accept or a delivery (urgent) nor a read (reader) wait for one.
	urgent := stdlib.OpenDB(*cfg.Copy())
	urgent.SetMaxOpenConns(o.urgentConns)
	urgent.SetMaxIdleConns(o.urgentConns)
	urgent.SetConnMaxIdleTime(5 * time.Minute)
	reader := stdlib.OpenDB(*cfg.Copy())
	reader.SetMaxOpenConns(o.readConns)
	reader.SetMaxIdleConns(o.readConns)
	reader.SetConnMaxIdleTime(5 * time.Minute)
	ok := false
	defer func() {
		if !ok {
			reader.Close()
			urgent.Close()
			db.Close()
		}
	}()
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if !schema.Valid {
		return nil, errors.New("postgres: no schema of the search_path exists")
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := sqlstore.Migrate(ctx, db, goose.DialectPostgres, sub, migrationLocker{key: lockKey(schema.String, "migrate")}, o.log); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	log := o.log.With("store", "postgres", "schema", schema.String)
	channel := notifyChannel(schema.String)
	st, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: sqlstore.Dialect{
			Name:           "postgres",
			LockSkipLocked: "FOR UPDATE SKIP LOCKED",
			LockForUpdate:  "FOR UPDATE",
			LockLog: func(ctx context.Context, tx *sql.Tx, name string) error {
				_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(schema.String, name))
				return err
			},
			// One statement, its own transaction, for the topics of many
			// commits (see sqlstore.notifier); on the urgent pool, since
			// other replicas' outbound streams wait for it.
			Notify: func(ctx context.Context, topics []string) error {
				_, err := urgent.ExecContext(ctx, `SELECT pg_notify($1, t) FROM unnest($2::text[]) AS t`, channel, topics)
				return err
			},
			Retryable:   retryable,
			ArrayParams: true,
		},
		Writer: db,
		Reader: reader,
		Urgent: urgent,
		Logger: log,
		Now:    o.now,
		Run:    listener{cfg: cfg, channel: channel, log: log}.run,
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	ok = true
	return st, nil
}

// notifyChannel names the NOTIFY channel of a schema. Channels are
// database-wide, so the schema is part of the name; identifiers longer than
// 63 bytes would be truncated, so long names are hashed.
func notifyChannel(schema string) string {
	name := "relevo_" + schema
	if len(name) > 63 {
		h := fnv.New64a()
		h.Write([]byte(schema))
		name = fmt.Sprintf("relevo_%x", h.Sum64())
	}
	return name
}

// lockKey is the advisory lock id of a named lock of a schema; advisory
// locks are database-wide, and stores in other schemas must not contend.
func lockKey(schema, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("relevo\x00" + schema + "\x00" + name))
	return int64(h.Sum64())
}

// retryable reports errors after which the whole transaction may run
// again: serialization failures, deadlocks, and a lock wait that was
// cancelled by the server.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001", "40P01", "55P03":
		return true
	}
	return false
}

// migrationLocker serializes migrations of one schema across processes
// with a session advisory lock, waiting as long as the context allows
// (goose's own locker polls every few seconds, which slows every start).
type migrationLocker struct{ key int64 }

func (l migrationLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, l.key)
	return err
}

func (l migrationLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	return err
}

// listener turns NOTIFY on the schema's channel into local notifications,
// on a dedicated connection that it re-establishes when it breaks.
type listener struct {
	cfg     *pgx.ConnConfig
	channel string
	log     *slog.Logger
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

func (l listener) run(ctx context.Context, publish func(topics ...string)) {
	backoff := minBackoff
	for {
		connected, err := l.listen(ctx, publish)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = minBackoff
		}
		l.log.WarnContext(ctx, "notification listener disconnected; reconnecting", "err", err, "after", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (l listener) listen(ctx context.Context, publish func(topics ...string)) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg.Copy())
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return false, err
	}
	// Changes made while not listening went unnoticed: report them all.
	publish(sqlstore.AllTopics()...)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		publish(n.Payload)
	}
}
