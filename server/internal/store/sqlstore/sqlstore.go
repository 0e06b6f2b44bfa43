// Package sqlstore implements store.Store on database/sql. The SQL is shared
// by the SQLite and PostgreSQL engines; a Dialect holds the few places where
// they differ (row locking, notifications, ordered logs, retryable errors).
// Packages sqlite and postgres open the databases, apply their migrations
// and build a Store from this package.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/trace"
	"sync"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// Dialect holds what differs between the database engines.
type Dialect struct {
	// Name of the engine, for logs and errors.
	Name string
	// LockSkipLocked ends a SELECT that picks work, so that concurrent
	// transactions in other processes skip rows already being claimed
	// ("FOR UPDATE SKIP LOCKED"). Empty where writers are serialized anyway.
	LockSkipLocked string
	// LockForUpdate ends a SELECT whose rows the transaction will update
	// ("FOR UPDATE"). Empty where writers are serialized anyway.
	LockForUpdate string
	// LockLog, when set, runs in a write transaction right before it appends
	// to an ordered log (ticket events, knowledge changes), so that sequence
	// numbers become visible in commit order and a reader resuming after the
	// last sequence it saw never skips one.
	LockLog func(ctx context.Context, tx *sql.Tx, log string) error
	// Notify, when set, publishes topics to other processes. It runs after
	// the commits that changed them, on a goroutine of its own that
	// coalesces the topics of many commits into one call, never inside a
	// write transaction.
	Notify func(ctx context.Context, topics []string) error
	// Retryable reports whether a failed transaction may be run again
	// (deadlock, serialization failure, busy database).
	Retryable func(err error) bool
	// CacheStatements keeps the hot statements prepared, for drivers that
	// do not cache them themselves (pgx does; modernc's sqlite does not).
	CacheStatements bool
	// AnonymousParams rewrites the "$N" parameters of write statements to
	// "?" (see anonymous.go), for engines that bind numbered parameters by
	// name in time growing with their count (SQLite).
	AnonymousParams bool
	// ArrayParams says the driver binds Go slices as arrays ("$2::text[]")
	// and the engine runs data-modifying WITH queries, so that a lookup of
	// many keys, or a batch of accepts, is one statement whose text and
	// plan do not depend on how many there are (PostgreSQL).
	ArrayParams bool
	// SingleWriter says the engine runs one write transaction at a time;
	// the store then queues writers itself, the accepting of inbound
	// messages ahead of the rest.
	SingleWriter bool
	// Purge, when set, runs after an erasure has committed, with no write
	// of this process in progress, to remove the copies of the erased rows
	// the engine keeps outside its tables (SQLite's write-ahead log).
	Purge func(ctx context.Context) error
}

// Config is what New needs.
type Config struct {
	Dialect Dialect
	// Writer runs every write transaction. SQLite gives it a single
	// connection so that writers queue in process instead of failing busy.
	Writer *sql.DB
	// Reader runs reads outside transactions; nil means Writer.
	Reader *sql.DB
	// Urgent, when set, runs the write transactions of the accept and
	// delivery lanes and the duplicate check of an accept: a pool of their
	// own, so that a webhook and a reply never wait for a connection behind
	// the workers, who may hold every connection of Writer while they wait
	// for row locks. Engines with a single writer leave it nil (their gate
	// orders the lanes).
	Urgent *sql.DB
	// Logger receives the store's own logs; nil means slog.Default().
	Logger *slog.Logger
	// Run, when set, runs for the life of the store: PostgreSQL's listener
	// calls publish whenever another process reports a change.
	Run func(ctx context.Context, publish func(topics ...string))
	// Maintain, when set, runs for the life of the store beside Run, for
	// an engine with a single writer: exclusive runs fn with that writer to
	// itself (SQLite's checkpointer starts its log over there). It is
	// granted in the delivery lane: after the accepts waiting, like the
	// outbox's short writes, and ahead of the workers, whose queue may be
	// long when the host is short of CPU.
	Maintain func(ctx context.Context, exclusive func(ctx context.Context, fn func(ctx context.Context) error) error)
	// Close, when set, runs after the store stops, to release what the
	// engine package opened besides Writer and Reader.
	Close func() error
	// Now, when set, is the store's clock (tests move it forward); nil
	// means the system clock.
	Now func() time.Time
}

// Store implements store.Store.
type Store struct {
	d      Dialect
	w      *sql.DB
	r      *sql.DB
	u      *sql.DB // the accept and delivery lanes' pool; w when there is none
	log    *slog.Logger
	broker *broker
	notes  *notifier // nil unless the dialect notifies other processes
	now    func() time.Time

	stmtMu sync.Mutex
	stmts  map[*sql.DB]map[string]*sql.Stmt
	anon   anonymizer // write statements rewritten for AnonymousParams

	gate *gate // nil unless the dialect has a single writer

	accepts groupQueue[*acceptCall] // callers of AcceptInbound waiting for a batch
	writes  groupQueue[*writeCall]  // callers of writeGrouped waiting for a batch

	stopRun   context.CancelFunc
	runDone   chan struct{}
	closeHook func() error
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// New returns a Store on the given databases; the schema must already be
// migrated. On error the databases are left open.
func New(ctx context.Context, cfg Config) (*Store, error) {
	s := &Store{
		d:         cfg.Dialect,
		w:         cfg.Writer,
		r:         cfg.Reader,
		log:       cfg.Logger,
		broker:    newBroker(),
		now:       func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		closeHook: cfg.Close,
		runDone:   make(chan struct{}),
	}
	if s.r == nil {
		s.r = s.w
	}
	s.u = cfg.Urgent
	if s.u == nil {
		s.u = s.w
	}
	if cfg.Now != nil {
		s.now = func() time.Time { return cfg.Now().UTC().Truncate(time.Microsecond) }
	}
	if s.d.SingleWriter {
		s.gate = &gate{}
	} else {
		s.accepts.leaders = concurrentBatches
		s.writes.leaders = concurrentBatches
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.d.CacheStatements {
		if err := s.prepare(ctx); err != nil {
			_ = s.closeStmts()
			return nil, err
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.stopRun = cancel
	var wg sync.WaitGroup
	if cfg.Run != nil {
		wg.Go(func() { cfg.Run(runCtx, s.broker.publish) })
	}
	if cfg.Maintain != nil {
		wg.Go(func() {
			cfg.Maintain(runCtx, func(ctx context.Context, fn func(ctx context.Context) error) error {
				return s.exclusive(ctx, laneDeliver, fn)
			})
		})
	}
	if s.d.Notify != nil {
		s.notes = newNotifier(s.d.Notify)
		wg.Go(func() { s.notes.run(runCtx, s.log) })
	}
	go func() {
		wg.Wait()
		close(s.runDone)
	}()
	return s, nil
}

func (s *Store) closeStmts() error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	var errs []error
	for _, byQuery := range s.stmts {
		for _, st := range byQuery {
			errs = append(errs, st.Close())
		}
	}
	s.stmts = nil
	return errors.Join(errs...)
}

// Ping checks the database is reachable. It uses the reader, so that a
// queue of writers does not make the store look down.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	return nil
}

// Close stops the background work, closes subscriptions and releases the
// databases. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopRun()
		<-s.runDone
		s.broker.close()
		errs := []error{s.closeStmts()}
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		if s.u != s.w {
			errs = append(errs, s.u.Close())
		}
		errs = append(errs, s.w.Close())
		if s.closeHook != nil {
			errs = append(errs, s.closeHook())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Subscribe returns a channel of topic names that may have changed; no
// topics means all of them.
func (s *Store) Subscribe(ctx context.Context, topics ...string) <-chan string {
	return s.broker.subscribe(ctx, topics)
}

// wtx is a write transaction that collects the topics to notify on commit.
type wtx struct {
	*sql.Tx
	s      *Store
	d      *Dialect
	topics []string
	// misses are statements run unprepared; on a single writer they are
	// prepared after the commit, for the next transactions.
	misses []string
}

// maxCachedStatements bounds the statement cache: queries built with a
// variable number of placeholders must not grow it without end.
const maxCachedStatements = 256

// cached returns the prepared form of query bound to the transaction, when
// the single writer has it prepared. SQLite parses every statement it is
// not given prepared, which on the write path costs more than running it.
func (t *wtx) cached(ctx context.Context, query string) *sql.Stmt {
	if t.s.gate == nil || !t.d.CacheStatements {
		return nil
	}
	if st := t.s.stmt(t.s.w, query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	t.misses = append(t.misses, query)
	return nil
}

// bind returns query and args as the engine runs them: rewritten with
// "?" parameters when the dialect asks for them.
func (t *wtx) bind(query string, args []any) (string, []any) {
	if !t.d.AnonymousParams {
		return query, args
	}
	if a := t.s.anon.rewrite(query); a != nil {
		return a.query, a.args(args)
	}
	return query, args
}

// ExecContext runs query in the transaction, prepared when cached.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query, args = t.bind(query, args)
	if st := t.cached(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction, prepared when cached.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = t.bind(query, args)
	if st := t.cached(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, prepared when cached.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = t.bind(query, args)
	if st := t.cached(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// prepareMisses prepares, on the single writer, the statements a committed
// transaction ran unprepared. It runs while the writer is free and ours.
func (s *Store) prepareMisses(ctx context.Context, misses []string) {
	for _, q := range misses {
		s.stmtMu.Lock()
		if s.stmts[s.w] == nil {
			s.stmts[s.w] = make(map[string]*sql.Stmt)
		}
		_, have := s.stmts[s.w][q]
		full := len(s.stmts[s.w]) >= maxCachedStatements
		s.stmtMu.Unlock()
		if have || full {
			continue
		}
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			continue // it ran fine unprepared; it will again
		}
		s.stmtMu.Lock()
		s.stmts[s.w][q] = st
		s.stmtMu.Unlock()
	}
}

func (t *wtx) notify(topic string) {
	for _, have := range t.topics {
		if have == topic {
			return
		}
	}
	t.topics = append(t.topics, topic)
}

// lockLog prepares the transaction to append to an ordered log.
func (t *wtx) lockLog(ctx context.Context, log string) error {
	if t.d.LockLog == nil {
		return nil
	}
	if err := t.d.LockLog(ctx, t.Tx, log); err != nil {
		return fmt.Errorf("lock %s: %w", log, err)
	}
	return nil
}

// errRollback ends a write transaction without error after rolling back.
var errRollback = errors.New("rollback")

const maxTxAttempts = 5

// write runs fn in a write transaction, commits it and then notifies local
// subscribers. fn returning errRollback rolls back and write returns nil.
// Transactions failing with a retryable error are run again.
func (s *Store) write(ctx context.Context, fn func(tx *wtx) error) error {
	return s.writeWith(ctx, laneWork, fn)
}

// writeUrgent is write for the path a caller is waiting on at the door
// (accepting an inbound message): it goes ahead of queued background writes.
func (s *Store) writeUrgent(ctx context.Context, fn func(tx *wtx) error) error {
	return s.writeWith(ctx, laneAccept, fn)
}

// writeDelivery is write for the outbox draining: claims and acks of
// outbound messages go ahead of the workers' writes.
func (s *Store) writeDelivery(ctx context.Context, fn func(tx *wtx) error) error {
	return s.writeWith(ctx, laneDeliver, fn)
}

func (s *Store) writeWith(ctx context.Context, l lane, fn func(tx *wtx) error) error {
	var topics []string
	err := s.retrying(ctx, func() (err error) {
		topics, err = s.writeOnce(ctx, l, fn)
		return err
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	if err != nil {
		return err
	}
	s.broker.publish(topics...)
	return nil
}

// retrying runs fn, and again after a pause while it fails with an error
// the dialect calls retryable, up to maxTxAttempts times.
func (s *Store) retrying(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if attempt >= maxTxAttempts || s.d.Retryable == nil || !s.d.Retryable(err) || ctx.Err() != nil {
			return err
		}
		s.log.DebugContext(ctx, "retrying transaction", "engine", s.d.Name, "attempt", attempt, "err", err)
		t := time.NewTimer(time.Duration(attempt*attempt) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, l lane, fn func(tx *wtx) error) (topics []string, err error) {
	if s.gate != nil {
		if err := s.gate.acquire(ctx, l); err != nil {
			return nil, fmt.Errorf("%s: wait for the writer: %w", s.d.Name, err)
		}
		defer s.gate.release()
		defer trace.StartRegion(ctx, regions[l]).End()
	}
	db := s.w
	if l != laneWork {
		db = s.u
	}
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: begin: %w", s.d.Name, err)
	}
	tx := &wtx{Tx: sqlTx, s: s, d: &s.d}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: commit: %w", s.d.Name, err)
	}
	if s.notes != nil {
		s.notes.add(tx.topics)
	}
	if len(tx.misses) > 0 {
		s.prepareMisses(context.WithoutCancel(ctx), tx.misses)
	}
	return tx.topics, nil
}

// hotWrites and hotReads are the statements of AcceptInbound, the path
// every webhook waits on; they are prepared once when the dialect caches
// statements.
var (
	hotWrites = []string{upsertConversation, insertInbound}
	hotReads  = []string{findInbound}
)

// prepare prepares the hot statements. It runs before the store is used:
// preparing on the single-connection SQLite writer while a transaction holds
// that connection would wait forever.
func (s *Store) prepare(ctx context.Context) error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	s.stmts = make(map[*sql.DB]map[string]*sql.Stmt)
	for _, set := range []struct {
		db      *sql.DB
		queries []string
	}{{s.w, hotWrites}, {s.r, hotReads}} {
		if s.stmts[set.db] == nil {
			s.stmts[set.db] = make(map[string]*sql.Stmt)
		}
		for _, q := range set.queries {
			if set.db == s.w && s.d.AnonymousParams {
				if a := s.anon.rewrite(q); a != nil {
					q = a.query
				}
			}
			st, err := set.db.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("%s: prepare: %w", s.d.Name, err)
			}
			s.stmts[set.db][q] = st
		}
	}
	return nil
}

// stmt returns the query prepared on db, or nil.
func (s *Store) stmt(db *sql.DB, query string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[db][query]
}

// readStmt returns query prepared on the reader, preparing it on first
// use, when the dialect caches statements: SQLite parses every statement it
// is not given prepared, and the reads of every accept batch (its duplicate
// check) and of every run (the conversation and its history) cost more to
// parse than to run. nil without a reader of its own (preparing on the
// single writer could wait for a transaction holding it), when the cache is
// full or closed, or when the statement does not prepare; the caller then
// runs the query unprepared.
func (s *Store) readStmt(ctx context.Context, query string) *sql.Stmt {
	if !s.d.CacheStatements || s.r == s.w {
		return nil
	}
	s.stmtMu.Lock()
	st, have := s.stmts[s.r][query]
	full := s.stmts == nil || len(s.stmts[s.r]) >= maxCachedStatements
	s.stmtMu.Unlock()
	if have || full {
		return st
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if prev, ok := s.stmts[s.r][query]; ok || s.stmts == nil {
		// Prepared meanwhile by another caller, or the store closed.
		_ = st.Close()
		return prev
	}
	if s.stmts[s.r] == nil {
		s.stmts[s.r] = make(map[string]*sql.Stmt)
	}
	s.stmts[s.r][query] = st
	return st
}

// queryRow runs a query on the reader, prepared when the dialect caches
// statements.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, query, args...)
}

// query runs a query on the reader, prepared when the dialect caches
// statements.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, query, args...)
}

// queryRow runs a hot query in the transaction, prepared once when the
// dialect caches statements.
func (t *wtx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, query, args...)
}

// queryer is what reads need: the reader pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cachedReader is the reader pool as a queryer, its statements prepared
// (see readStmt).
type cachedReader struct{ s *Store }

func (r cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.s.query(ctx, query, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.s.queryRow(ctx, query, args...)
}

// notFound maps sql.ErrNoRows to store.ErrNotFound, naming what was missing.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", what, id, err)
}
