package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// TestCheckpointRestartsTheLog: past its bound the log is copied and the
// writer taken once, after which the next commit starts the log over; below
// it the writer is left alone.
func TestCheckpointRestartsTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	writer, err := openDB(path, "immediate", "wal_autocheckpoint(0)", "temp_store(MEMORY)")
	if err != nil {
		t.Fatal(err)
	}
	writer.SetMaxOpenConns(1)
	t.Cleanup(func() { writer.Close() })
	background, err := openDB(path, "deferred")
	if err != nil {
		t.Fatal(err)
	}
	background.SetMaxOpenConns(1)
	t.Cleanup(func() { background.Close() })
	if _, err := writer.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	insert := func(n int) {
		t.Helper()
		for range n {
			if _, err := writer.ExecContext(ctx, `INSERT INTO t (v) VALUES (randomblob(3000))`); err != nil {
				t.Fatal(err)
			}
		}
	}
	logFrames := func() int {
		t.Helper()
		frames, _, err := checkpoint(ctx, background)
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}

	c := checkpointer{background: background, writer: writer, log: slog.New(slog.DiscardHandler), restart: 64}
	taken := 0
	exclusive := func(ctx context.Context, fn func(ctx context.Context) error) error {
		taken++
		return fn(ctx)
	}

	insert(20)
	if err := c.step(ctx, exclusive); err != nil {
		t.Fatal(err)
	}
	if taken != 0 {
		t.Fatalf("writer taken %d times with the log under its bound", taken)
	}

	insert(200)
	if n := logFrames(); n <= c.restart {
		t.Fatalf("log of %d frames; the test needs more than %d", n, c.restart)
	}
	if err := c.step(ctx, exclusive); err != nil {
		t.Fatal(err)
	}
	if taken != 1 {
		t.Fatalf("writer taken %d times past the bound, want 1", taken)
	}
	insert(1)
	if n := logFrames(); n > 8 {
		t.Fatalf("log of %d frames after the step and one commit: it did not start over", n)
	}
	var rows int
	if err := background.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 221 {
		t.Fatalf("%d rows, want 221", rows)
	}
}
