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
	// checkpointMaxFrames bounds the log: 128 MiB of 4 KiB pages, about
	// four seconds of writes at 1,000 messages per second, so that finishing
	// a checkpoint on the writer (a few milliseconds of fsync) delays well
	// under 1% of the messages.
	checkpointMaxFrames = 32768
	// purgeTimeout bounds a purge, which holds every write of the process
	// back while it waits for readers to leave the log.
	purgeTimeout = 15 * time.Second
)

// checkpointer copies the write-ahead log into the database file in the
// background. A log only starts over once a checkpoint has caught up with
// it before the next write; under sustained writes a background checkpoint
// rarely does, so when the log grows past maxFrames the checkpointer
// finishes the job on the writer connection, between two writes.
type checkpointer struct {
	background *sql.DB
	writer     *sql.DB
	log        *slog.Logger
	every      time.Duration
	maxFrames  int
}

func (c checkpointer) run(ctx context.Context, _ func(topics ...string)) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		frames, err := checkpoint(ctx, c.background)
		if err == nil && frames > c.maxFrames {
			_, err = checkpoint(ctx, c.writer)
		}
		if err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "checkpoint failed", "err", err)
		}
	}
}

// checkpoint runs a passive checkpoint and returns the log's size in frames.
func checkpoint(ctx context.Context, db *sql.DB) (frames int, err error) {
	var busy, done int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	return frames, err
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
