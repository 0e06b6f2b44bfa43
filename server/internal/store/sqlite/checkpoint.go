package sqlite

import (
	"context"
	"database/sql"
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
