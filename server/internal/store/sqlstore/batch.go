package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// Group commit of accepts. Every accepted message used to cost a write
// transaction of its own, and the commit — a WAL append on SQLite, a WAL
// flush and the notification lock on PostgreSQL — dominated. Now callers
// arriving while a batch commits queue up, and the next batch stores them
// all in one transaction. A caller alone pays what it paid before; under
// load the commit is shared.
//
// A batch's leader is the caller at the head of the queue; when it is done
// it hands the lead to the next caller waiting. On a single writer one
// batch is in flight at a time (more would only queue for the writer); on
// PostgreSQL a few are, so that a batch waiting for a row lock a worker
// holds, or for its commit's WAL flush, does not hold up every accept.
// Every caller is answered after the commit that stored its message. A batch that fails as a whole (a row a concurrent writer changed,
// a message the database refuses) is rolled back and its messages are
// stored one by one, so that one bad message fails no other.

// maxAcceptBatch bounds the messages of one transaction, so that a long
// queue does not make one commit, and everyone waiting for it, slow.
const maxAcceptBatch = 256

// concurrentBatches is how many batches of a queue may be in flight where
// the engine runs write transactions side by side. Each holds a connection
// of the pool for its transaction, so it stays a small part of the pool.
const concurrentBatches = 4

// batchTimeout bounds a batch's transaction. It runs on behalf of several
// callers, so no single caller's context may cancel it.
const batchTimeout = time.Minute

// waiter is a caller queued for a shared transaction.
type waiter struct {
	ctx  context.Context
	lead bool          // set before done is closed: the caller leads the next batch
	done chan struct{} // closed when the caller's result is set, or lead
}

func (w *waiter) base() *waiter { return w }

// acceptCall is one caller of AcceptInbound in the queue.
type acceptCall struct {
	waiter
	in  store.InboundMessage
	res store.AcceptResult
	err error
}

// groupQueue is the queue of callers waiting for a batch.
type groupQueue[C interface{ base() *waiter }] struct {
	mu      sync.Mutex
	leaders int // at most this many batches in flight; 0 means 1
	busy    int // leaders storing a batch
	waiting []C
}

// join queues c and returns once c's batch is done (false) or c is to
// lead the next batch (true). A caller whose context ends while it waits
// leaves the queue with the context's error, unless a batch holds it.
func (q *groupQueue[C]) join(c C) (lead bool, err error) {
	w := c.base()
	q.mu.Lock()
	if q.busy < max(q.leaders, 1) {
		q.busy++
		q.mu.Unlock()
		return true, nil
	}
	q.waiting = append(q.waiting, c)
	q.mu.Unlock()
	select {
	case <-w.done:
	case <-w.ctx.Done():
		q.mu.Lock()
		if i := slices.IndexFunc(q.waiting, func(o C) bool { return o.base() == w }); i >= 0 {
			q.waiting = slices.Delete(q.waiting, i, i+1)
			q.mu.Unlock()
			return false, w.ctx.Err()
		}
		q.mu.Unlock()
		// A batch holds it already: its answer comes after the commit.
		<-w.done
	}
	return w.lead, nil
}

// take returns the batch the leader stores: the callers waiting, up to
// limit with the leader itself.
func (q *groupQueue[C]) take(leader C, limit int) []C {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.waiting), limit-1)
	batch := make([]C, 0, n+1)
	batch = append(batch, leader)
	batch = append(batch, q.waiting[:n]...)
	q.waiting = slices.Delete(q.waiting, 0, n)
	return batch
}

// handOff passes the lead to the first caller waiting, or gives it up.
func (q *groupQueue[C]) handOff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.busy--
		return
	}
	next := q.waiting[0].base()
	q.waiting = q.waiting[1:]
	next.lead = true
	close(next.done)
}

// acceptGrouped stores in, in a batch with the callers that queue beside it.
func (s *Store) acceptGrouped(ctx context.Context, in store.InboundMessage) (store.AcceptResult, error) {
	c := &acceptCall{waiter: waiter{ctx: ctx, done: make(chan struct{})}, in: in}
	lead, err := s.accepts.join(c)
	if err != nil {
		return store.AcceptResult{}, fmt.Errorf("accept inbound: %w", err)
	}
	if !lead {
		return c.res, c.err
	}
	// The callers whose requests are already in, runnable but not yet
	// queued, join this batch if the leader lets them run first. A leader
	// arriving when no batch was in flight otherwise stored its message
	// alone, a whole transaction for one message: 1,351 of 13,448 messages
	// of a 10 s ingest run, against 140 of 16,120 with the yield. It waits
	// for nothing when nothing else is runnable.
	runtime.Gosched()
	batch := s.accepts.take(c, maxAcceptBatch)
	s.storeBatch(batch)
	s.accepts.handOff()
	return c.res, c.err
}

// storeBatch stores the batch's messages and answers every caller but the
// leader (batch[0]), which reads its own result.
func (s *Store) storeBatch(batch []*acceptCall) {
	defer func() {
		for _, c := range batch[1:] {
			close(c.done)
		}
	}()
	// Callers that gave up before their batch started are not stored.
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = fmt.Errorf("accept inbound: %w", err)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(live[0].ctx), batchTimeout)
	defer cancel()

	// The same message twice in one batch (a webhook re-delivered while the
	// first delivery waits) is stored once; the later calls get its ids.
	type key struct{ channel, id string }
	first := make(map[key]*acceptCall, len(live))
	var unique []*acceptCall
	dups := map[*acceptCall]*acceptCall{}
	for _, c := range live {
		k := key{c.in.Contact.Channel, c.in.ChannelMessageID}
		if f, ok := first[k]; ok {
			dups[c] = f
			continue
		}
		first[k] = c
		unique = append(unique, c)
	}
	defer func() {
		for c, f := range dups {
			c.res, c.err = f.res, f.err
			if c.err == nil {
				c.res.Duplicate = true
			}
		}
	}()

	// Re-deliveries of messages stored already are answered with their ids.
	// One query for the batch: a lookup per message before it cost a
	// round trip each on PostgreSQL, where those held the connections
	// accepts and deliveries need, and on SQLite a tenth of the CPU at
	// 5,000 msg/s.
	if err := s.findStored(ctx, unique); err != nil {
		for _, c := range unique {
			c.err = fmt.Errorf("accept inbound: %w", err)
		}
		return
	}
	unique = slices.DeleteFunc(unique, func(c *acceptCall) bool { return c.res.Duplicate })
	if len(unique) == 0 {
		return
	}
	if len(unique) == 1 {
		c := unique[0]
		c.res, c.err = s.acceptOne(ctx, c.in)
		return
	}
	if err := s.acceptMany(ctx, unique); err != nil {
		s.log.DebugContext(ctx, "accept batch failed; storing its messages one by one", "engine", s.d.Name, "messages", len(unique), "err", err)
		for _, c := range unique {
			c.res, c.err = s.acceptOne(ctx, c.in)
		}
	}
}

// findStored answers the calls whose message is stored already with its
// ids, as duplicates, in one query per channel and chunk, on the urgent
// pool where there is one (a single writer's connection is the gate's).
func (s *Store) findStored(ctx context.Context, calls []*acceptCall) error {
	var db queryer = s.u
	if s.u == s.w {
		db = cachedReader{s}
	}
	byChannel := map[string][]*acceptCall{}
	for _, c := range calls {
		byChannel[c.in.Contact.Channel] = append(byChannel[c.in.Contact.Channel], c)
	}
	for channel, cs := range byChannel {
		byID := make(map[string]*acceptCall, len(cs))
		for _, c := range cs {
			byID[c.in.ChannelMessageID] = c
		}
		for _, ch := range s.lookupChunks(cs) {
			query, args := s.findStoredSQL(channel, ch.xs)
			rows, err := db.QueryContext(ctx, query, args...)
			if err != nil {
				return fmt.Errorf("find inbound messages: %w", err)
			}
			for rows.Next() {
				var id string
				var res store.AcceptResult
				if err := rows.Scan(&id, &res.MessageID, &res.ConversationID); err != nil {
					rows.Close()
					return fmt.Errorf("find inbound messages: %w", err)
				}
				if c := byID[id]; c != nil {
					res.Duplicate = true
					c.res = res
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("find inbound messages: %w", err)
			}
		}
	}
	return nil
}

// lookupChunks splits the calls of one channel into the lookups of
// findStored: all at once with an array parameter, else in chunks.
func (s *Store) lookupChunks(calls []*acceptCall) []chunk[*acceptCall] {
	if s.d.ArrayParams {
		return []chunk[*acceptCall]{{0, calls}}
	}
	return chunks(calls)
}

// findStoredSQL is findStored's lookup of the calls' messages on channel.
//
// With an array parameter, each id is its own probe of the unique index:
// given "channel_message_id IN (…)", PostgreSQL without statistics on the
// table (a new or fast-growing one, before autovacuum analyzes it) probes
// the index by channel alone and filters every inbound message of the
// channel, so the check grew with the table: 40 to 200 ms a batch at 40,000
// messages, most of the database's CPU at 3,000 msg/s. The LATERAL with
// LIMIT keeps the planner from turning the probes back into a join that
// scans the channel.
func (s *Store) findStoredSQL(channel string, calls []*acceptCall) (string, []any) {
	if s.d.ArrayParams {
		ids := make([]string, len(calls))
		for i, c := range calls {
			ids[i] = c.in.ChannelMessageID
		}
		return `SELECT k.id, m.id, m.conversation_id FROM unnest($2::text[]) AS k (id)
CROSS JOIN LATERAL (SELECT id, conversation_id FROM messages
	WHERE channel = $1 AND direction = 'in' AND channel_message_id = k.id LIMIT 1) AS m`, []any{channel, ids}
	}
	args := make([]any, 0, 1+len(calls))
	args = append(args, channel)
	for _, c := range calls {
		args = append(args, c.in.ChannelMessageID)
	}
	return `SELECT channel_message_id, id, conversation_id FROM messages
WHERE channel = $1 AND direction = 'in' AND channel_message_id IN (` + placeholders(2, len(calls)) + `)`, args
}

// errBatchConflict fails a batch in which a message turned out to be stored
// already, by a writer the duplicate check before the batch did not see.
var errBatchConflict = errors.New("a message of the batch was stored concurrently")

// acceptMany stores distinct messages in one write transaction, each
// message as AcceptInbound alone would, in a few multi-row statements: one
// upsert of the batch's conversations and one insert of its messages (per
// chunk, see chunks). On PostgreSQL a statement per message made the batch
// as slow as its round trips. On error nothing is stored.
func (s *Store) acceptMany(ctx context.Context, calls []*acceptCall) error {
	// One row per conversation, with the count of its messages and the
	// contact details of its latest message that has them. Conversations
	// are locked in one order, so that batches of two replicas never wait
	// on each other in a cycle.
	byKey := map[convKey]*batchConv{}
	var convs []*batchConv
	for _, c := range calls {
		k := convKey{c.in.Contact.Channel, c.in.Contact.Address}
		cv := byKey[k]
		if cv == nil {
			cv = &batchConv{key: k, contact: c.in.Contact}
			byKey[k] = cv
			convs = append(convs, cv)
		}
		cv.n++
		if c.in.Contact.DisplayName != "" {
			cv.contact.DisplayName = c.in.Contact.DisplayName
		}
		if c.in.Contact.Phone != "" {
			cv.contact.Phone = c.in.Contact.Phone
		}
		if c.in.BusinessAddress != "" {
			cv.business = c.in.BusinessAddress
		}
		cv.wait = c.in.QuietWindow
		cv.window = max(cv.window, c.in.Window)
	}
	// The quiet cap is one parameter of the statement: a batch mixing caps
	// (channels configured apart) stores its messages one statement each.
	quietCap := quietLimit(calls[0].in.QuietCap)
	for _, c := range calls {
		if quietLimit(c.in.QuietCap) != quietCap {
			return s.acceptEach(ctx, calls)
		}
	}
	slices.SortFunc(convs, func(a, b *batchConv) int {
		return cmp.Or(cmp.Compare(a.key.channel, b.key.channel), cmp.Compare(a.key.address, b.key.address))
	})
	if s.d.ArrayParams && !slices.ContainsFunc(calls, func(c *acceptCall) bool { return len(c.in.MediaData) > 0 }) {
		return s.acceptArrays(ctx, calls, convs, quietCap)
	}
	results := make([]store.AcceptResult, len(calls))
	err := s.writeUrgent(ctx, func(tx *wtx) error {
		now := s.now()
		for _, ch := range chunks(convs) {
			part := ch.xs
			args := make([]any, 0, 1+len(part)*convRowParams)
			args = append(args, quietCap.Microseconds())
			for _, cv := range part {
				args = convRow(args, newID(now), cv.contact, cv.business, now, cv.n, &cv.wait, quietCap, cv.window)
			}
			rows, err := tx.QueryContext(ctx, upsertConversationsSQL(len(part), "id, channel, address"), args...)
			if err != nil {
				return fmt.Errorf("upsert conversations: %w", err)
			}
			got := 0
			for rows.Next() {
				var id string
				var k convKey
				if err := rows.Scan(&id, &k.channel, &k.address); err != nil {
					rows.Close()
					return fmt.Errorf("upsert conversations: %w", err)
				}
				if cv := byKey[k]; cv != nil {
					cv.id = id
					got++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("upsert conversations: %w", err)
			}
			if got != len(part) {
				return fmt.Errorf("upsert conversations: %d of %d returned", got, len(part))
			}
		}
		for _, cv := range convs {
			if cv.window > 0 {
				// The customer wrote: the window is open again for what waited.
				if err := releaseWindow(ctx, tx, cv.id, now); err != nil {
					return err
				}
			}
		}
		// Messages in order of arrival: the sequence numbers the insert
		// gives them order each conversation's messages.
		for i, c := range calls {
			results[i] = store.AcceptResult{MessageID: newID(now), ConversationID: byKey[convKey{c.in.Contact.Channel, c.in.Contact.Address}].id}
		}
		for _, ch := range chunks(calls) {
			from, part := ch.from, ch.xs
			args := make([]any, 0, len(part)*inboundRowParams)
			for j, c := range part {
				r := results[from+j]
				var err error
				if args, err = inboundRow(args, r.MessageID, r.ConversationID, c.in, now); err != nil {
					return fmt.Errorf("insert inbound messages: %w", err)
				}
			}
			res, err := tx.ExecContext(ctx, insertInboundsSQL(len(part)), args...)
			if err != nil {
				return fmt.Errorf("insert inbound messages: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("insert inbound messages: %w", err)
			} else if n != int64(len(part)) {
				return errBatchConflict
			}
		}
		// Media in the batch's transaction, after every message is in:
		// none of them was a duplicate.
		for i, c := range calls {
			if err := insertMedia(ctx, tx, results[i].MessageID, c.in.MediaData); err != nil {
				return err
			}
		}
		tx.notify(store.TopicInbox)
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range calls {
		c.res = results[i]
	}
	return nil
}

// convKey identifies a conversation by its contact.
type convKey struct{ channel, address string }

// batchConv is one conversation of a batch: the row of the upsert.
type batchConv struct {
	key      convKey
	contact  store.Contact
	business string
	n        int
	id       string
	wait     time.Duration // the latest message's quiet window
	window   time.Duration // the longest customer-service window opened
}

// acceptArrays is acceptMany in one statement that commits on its own
// (acceptArraysSQL), for batches without media. convs are the batch's
// conversations in locking order. On error nothing is stored.
func (s *Store) acceptArrays(ctx context.Context, calls []*acceptCall, convs []*batchConv, quietCap time.Duration) error {
	now := s.now()
	// The rows are convRow's and inboundRow's, turned into one array per
	// column, so that the values cannot differ from the other paths'.
	var (
		cIDs, cChannels, cAddresses, cNames, cPhones, cBusiness = make([]string, len(convs)), make([]string, len(convs)),
			make([]string, len(convs)), make([]string, len(convs)), make([]string, len(convs)), make([]string, len(convs))
		cNow, cMessages, cNotBefore, cWindow = make([]int64, len(convs)), make([]int64, len(convs)),
			make([]int64, len(convs)), make([]int64, len(convs))
		cPending = make([]*int64, len(convs))
	)
	row := make([]any, 0, max(convRowParams, inboundRowParams))
	for i, cv := range convs {
		row = convRow(row[:0], newID(now), cv.contact, cv.business, now, cv.n, &cv.wait, quietCap, cv.window)
		cIDs[i], cChannels[i], cAddresses[i], cNames[i], cPhones[i], cBusiness[i] = row[0].(string), row[1].(string),
			row[2].(string), row[3].(string), row[4].(string), row[5].(string)
		cNow[i], cMessages[i], cNotBefore[i], cWindow[i] = row[6].(int64), int64(row[7].(int)), row[9].(int64), row[10].(int64)
		if p, ok := row[8].(int64); ok {
			cPending[i] = &p
		}
	}
	var (
		mIDs, mChannels, mKinds, mTexts, mCMIDs, mBusiness, mReplyTo, mAddresses = make([]string, len(calls)),
			make([]string, len(calls)), make([]string, len(calls)), make([]string, len(calls)), make([]string, len(calls)),
			make([]string, len(calls)), make([]string, len(calls)), make([]string, len(calls))
		mPayloads     = make([][]byte, len(calls))
		mSentAt, mNow = make([]int64, len(calls)), make([]int64, len(calls))
		byID          = make(map[string]int, len(calls))
		results       = make([]store.AcceptResult, len(calls))
		err           error
	)
	// Messages in order of arrival: the statement inserts them in this
	// order, and their sequence numbers order each conversation's messages.
	for i, c := range calls {
		id := newID(now)
		if row, err = inboundRow(row[:0], id, "", c.in, now); err != nil {
			return fmt.Errorf("insert inbound messages: %w", err)
		}
		mIDs[i], mChannels[i], mKinds[i], mTexts[i] = row[0].(string), row[2].(string), row[3].(string), row[4].(string)
		mPayloads[i], _ = row[5].([]byte)
		mCMIDs[i], mBusiness[i], mReplyTo[i] = row[6].(string), row[7].(string), row[8].(string)
		mSentAt[i], mNow[i] = row[9].(int64), row[10].(int64)
		mAddresses[i] = c.in.Contact.Address
		byID[id] = i
	}
	args := []any{quietCap.Microseconds(),
		cIDs, cChannels, cAddresses, cNames, cPhones, cBusiness, cNow, cMessages, cPending, cNotBefore, cWindow,
		mIDs, mChannels, mKinds, mTexts, mPayloads, mCMIDs, mBusiness, mReplyTo, mSentAt, mNow, mAddresses}
	var released int64
	err = s.retrying(ctx, func() error {
		rows, err := s.u.QueryContext(ctx, acceptArraysSQL, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		got := 0
		for rows.Next() {
			var id, convID string
			if err := rows.Scan(&id, &convID, &released); err != nil {
				return err
			}
			if i, ok := byID[id]; ok {
				results[i] = store.AcceptResult{MessageID: id, ConversationID: convID}
				got++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got != len(calls) {
			// Every message has its conversation in the statement; only a
			// bug gets here, after the commit. The batch's messages are then
			// stored one by one, which finds those stored here.
			return fmt.Errorf("%d of %d messages stored", got, len(calls))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accept batch: %w", err)
	}
	topics := []string{store.TopicInbox}
	if released > 0 {
		topics = append(topics, store.TopicOutbox)
	}
	if s.notes != nil {
		s.notes.add(topics)
	}
	s.broker.publish(topics...)
	for i, c := range calls {
		c.res = results[i]
	}
	return nil
}

// chunk is a run of a batch, from its index from.
type chunk[T any] struct {
	from int
	xs   []T
}

// chunks splits xs, in order, into runs of powers of two, largest first
// (200 → 128, 64, 8): few statements per batch, and few distinct
// statements to prepare.
func chunks[T any](xs []T) []chunk[T] {
	var out []chunk[T]
	from := 0
	for size := 128; size >= 1; size /= 2 {
		for len(xs)-from >= size {
			out = append(out, chunk[T]{from, xs[from : from+size]})
			from += size
		}
	}
	return out
}

// acceptEach stores distinct messages in one write transaction, a
// statement each; on error nothing is stored.
func (s *Store) acceptEach(ctx context.Context, calls []*acceptCall) error {
	results := make([]store.AcceptResult, len(calls))
	err := s.writeUrgent(ctx, func(tx *wtx) error {
		now := s.now()
		for i, c := range calls {
			res, err := s.insertAccepted(ctx, tx, c.in, now)
			if err != nil {
				return err
			}
			results[i] = res
		}
		tx.notify(store.TopicInbox)
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range calls {
		c.res = results[i]
	}
	return nil
}

// insertAccepted stores one new inbound message in tx: it creates or
// refreshes the conversation, marks it pending and inserts the message.
// errBatchConflict when the message is stored already.
func (s *Store) insertAccepted(ctx context.Context, tx *wtx, in store.InboundMessage, now time.Time) (store.AcceptResult, error) {
	convID, err := s.upsertConversation(ctx, tx, in.Contact, in.BusinessAddress, now, 1,
		&quiet{window: in.QuietWindow, cap: in.QuietCap}, in.Window)
	if err != nil {
		return store.AcceptResult{}, err
	}
	if in.Window > 0 {
		// The customer wrote: the window is open again for what waited.
		if err := releaseWindow(ctx, tx, convID, now); err != nil {
			return store.AcceptResult{}, err
		}
	}
	id := newID(now)
	args, err := inboundRow(make([]any, 0, inboundRowParams), id, convID, in, now)
	if err != nil {
		return store.AcceptResult{}, fmt.Errorf("insert inbound message: %w", err)
	}
	var seq int64
	err = tx.queryRow(ctx, insertInbound, args...).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AcceptResult{}, errBatchConflict
	}
	if err != nil {
		return store.AcceptResult{}, fmt.Errorf("insert inbound message: %w", err)
	}
	if err := insertMedia(ctx, tx, id, in.MediaData); err != nil {
		return store.AcceptResult{}, err
	}
	return store.AcceptResult{MessageID: id, ConversationID: convID}, nil
}

// writeCall is one caller of writeGrouped in the queue.
type writeCall struct {
	waiter
	fn  func(tx *wtx) error
	err error
}

// maxWriteBatch bounds the small writes that share one transaction.
const maxWriteBatch = 128

// writeGrouped is write for small, frequent, independent transactions
// on the delivery lane (acknowledging a delivered reply): concurrent callers share one
// transaction, each answered after its commit. fn may run more than once,
// alone or with others, and must not return errRollback. When the shared
// transaction fails, each fn runs again in a transaction of its own, so
// that one failure fails no other caller.
func (s *Store) writeGrouped(ctx context.Context, fn func(tx *wtx) error) error {
	c := &writeCall{waiter: waiter{ctx: ctx, done: make(chan struct{})}, fn: fn}
	lead, err := s.writes.join(c)
	if err != nil {
		return err
	}
	if !lead {
		return c.err
	}
	batch := s.writes.take(c, maxWriteBatch)
	s.runWrites(batch)
	s.writes.handOff()
	return c.err
}

// runWrites runs the batch and answers every caller but the leader.
func (s *Store) runWrites(batch []*writeCall) {
	defer func() {
		for _, c := range batch[1:] {
			close(c.done)
		}
	}()
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		live[0].err = s.writeDelivery(live[0].ctx, live[0].fn)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(live[0].ctx), batchTimeout)
	defer cancel()
	err := s.writeDelivery(ctx, func(tx *wtx) error {
		for _, c := range live {
			if err := c.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for _, c := range live {
		c.err = s.writeDelivery(c.ctx, c.fn)
	}
}
