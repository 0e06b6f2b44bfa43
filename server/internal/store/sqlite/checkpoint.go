package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

const (
	// checkpointInterval is how often the log is copied into the database.
	checkpointInterval = 200 * time.Millisecond
	// restartFrames is the length past which the checkpointer makes the log
	// start over: 128 MiB of 4 KiB pages, three to six seconds of writes at
	// 5,000 accepted messages per second (an accept writes one to two
	// frames). The pause a restart costs the writer does not grow with the
	// log, but each costs two fsyncs, which take 2-50 ms on a busy disk; a
	// shorter log (16 and 64 MiB) paused the writer more in all.
	restartFrames = 32768
	// catchUpFrames and catchUpPasses: before it takes the writer, the
	// checkpointer copies in the background, up to catchUpPasses times,
	// until a pass copied at most catchUpFrames frames, so that the part
	// done with the writer held is short.
	catchUpFrames = 256
	catchUpPasses = 4
	// purgeTimeout bounds a purge, which holds every write of the process
	// back while it waits for readers to leave the log.
	purgeTimeout = 15 * time.Second
)

// exclusiveFunc runs fn with the store's writer to itself (sqlstore's
// Config.Maintain).
type exclusiveFunc = func(ctx context.Context, fn func(ctx context.Context) error) error

// checkpointer copies the write-ahead log into the database file in the
// background, and keeps the log short.
//
// A log starts over (the next commit writes from its beginning) only when a
// checkpoint has copied all of it, no commit came in between and no reader
// still reads from it. Under sustained writes that rarely happens beside
// the writer (a pass copies the log as it was when the pass began, and the
// writer appends meanwhile), so the log grew to 128 MiB and a checkpoint on
// the writer connection, ahead of the accepts waiting, copied the rest:
// every 3-5 s at a few thousand accepts per second, a pause of all writes
// of 34-83 ms on a loaded host (the frames of the last 200 ms, and two
// fsyncs). Now, past restartFrames, the checkpointer first catches up in
// the background, then takes the writer for the frames left, queued behind
// the accepts waiting (exclusive): a pause of two fsyncs and the frames
// written since the background pass, while readers leave the log.
type checkpointer struct {
	background *sql.DB
	writer     *sql.DB
	log        *slog.Logger
	every      time.Duration
	restart    int // restartFrames
}

func (c checkpointer) run(ctx context.Context, exclusive exclusiveFunc) {
	// c.every from the end of one step to the start of the next: a step
	// right after a restart would find the log still long (it starts over
	// at the next commit) and pause the writer again for nothing.
	t := time.NewTimer(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.step(ctx, exclusive); err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "checkpoint failed", "err", err)
		}
		t.Reset(c.every)
	}
}

// step copies the log in the background and, when the log has grown past
// c.restart, copies the rest with the writer held so that it starts over.
func (c checkpointer) step(ctx context.Context, exclusive exclusiveFunc) error {
	frames, left, err := checkpoint(ctx, c.background)
	if err != nil || frames <= c.restart {
		return err
	}
	// A pass copies the log as it was when the pass began: what the writer
	// appended meanwhile is for the next pass, and so on, each shorter, until
	// a pass had little to copy; what the writer appends during that one is
	// what is left for the pause.
	for range catchUpPasses {
		var n, l int
		if n, l, err = checkpoint(ctx, c.background); err != nil {
			return err
		}
		if n < frames {
			return nil // the log started over on its own
		}
		copied := (n - l) - (frames - left)
		frames, left = n, l
		if copied <= catchUpFrames {
			break
		}
	}
	return exclusive(ctx, func(ctx context.Context) error {
		_, _, err := checkpoint(ctx, c.writer)
		return err
	})
}

// checkpoint runs a passive checkpoint and returns the log's size in
// frames and how many of them are still to be copied.
func checkpoint(ctx context.Context, db *sql.DB) (frames, left int, err error) {
	var busy, done int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	return frames, max(frames-done, 0), err
}

// errLogInUse: a truncating checkpoint could not finish because another
// connection was checkpointing or still reading from the log.
var errLogInUse = errors.New("the write-ahead log is still in use")

// purge copies the whole log into the database file and truncates the log
// to zero bytes. After an erasure the log still holds the erased rows as
// they were written (a checkpoint copies only the newest version of each
// page, and a log that starts over keeps old frames past its new end); with
// secure_delete the database file holds only zeros where they were.
//
// It runs on the writer while the store holds the writer for itself, so no
// write of this process is in progress; another process's writer, a reader
// still on an older snapshot or the background checkpoint can still make
// it busy, so it tries again until purgeTimeout.
func (c checkpointer) purge(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, purgeTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		var busy, frames, done int
		err := c.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done)
		switch {
		case err == nil && busy == 0:
			return nil
		case err == nil:
			err = errLogInUse
		case !isBusy(err):
			return fmt.Errorf("truncate the write-ahead log: %w", err)
		}
		wait := time.Duration(min(attempt, 10)) * 20 * time.Millisecond
		c.log.DebugContext(ctx, "truncating checkpoint busy; trying again", "attempt", attempt, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("truncate the write-ahead log after %d attempts: %w (%w)", attempt, err, ctx.Err())
		case <-t.C:
		}
	}
}
