package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/relevo/relevo/server/app"
	"github.com/relevo/relevo/server/openaitest"
)

// localServer is a Relevo server running in this process on a fresh
// database (an SQLite file, or a schema of its own in the PostgreSQL
// database of --database), with its chat model played by an openaitest
// fake of fixed latency.
type localServer struct {
	addr  string
	model *openaitest.Server
	dir   string
	// driver and dsn open the server's database for counting what it
	// stored; dropSchema removes a PostgreSQL schema afterwards.
	driver, dsn string
	dropSchema  func() error
	stop        context.CancelFunc
	done        chan error
}

// serverConfig is what startLocal needs.
type serverConfig struct {
	workers  int
	latency  time.Duration
	database string // empty: SQLite in a temporary directory; or a postgres:// URL
	// schemaURL, when set, is the database of another local server (a
	// PostgreSQL schema) that this one shares as a replica.
	schemaURL string
	logw      io.Writer
	logLevel  string
}

// startLocal assembles and starts a server.
func startLocal(ctx context.Context, sc serverConfig) (_ *localServer, err error) {
	dir, err := os.MkdirTemp("", "relevo-bench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	model := openaitest.NewServer(openaitest.WithLatency(sc.latency), openaitest.WithoutRecording())
	s := &localServer{model: model, dir: dir, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			model.Close()
			_ = os.RemoveAll(dir)
			if s.dropSchema != nil {
				_ = s.dropSchema()
			}
		}
	}()
	database := filepath.Join(dir, "relevo.db")
	s.driver, s.dsn = "sqlite", "file:"+database+"?mode=ro"
	switch {
	case sc.schemaURL != "":
		database = sc.schemaURL
		s.driver, s.dsn = "pgx", database
	case isPostgres(sc.database):
		database, s.dropSchema, err = freshSchema(ctx, sc.database)
		if err != nil {
			return nil, err
		}
		s.driver, s.dsn = "pgx", database
	}
	cfg, err := app.ParseConfig([]string{
		"--grpc-listen=127.0.0.1:0",
		"--http-listen=",
		"--database=" + database,
		"--workers=" + strconv.Itoa(sc.workers),
		"--shutdown-timeout=10s",
		// The questions are answered from the sample knowledge base; and
		// no RELEVO_* variable of the environment may change the set-up.
		"--sample-kb=true",
		"--api-keys=",
		"--profile=",
		"--embedding-model=",
		"--transcription-model=",
		"--log-level=" + sc.logLevel,
	}, sc.logw)
	if err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	log := app.NewLogger(sc.logw, cfg.LogLevel, cfg.LogFormat)
	a, err := app.New(ctx, cfg, log,
		app.WithLLM(model.BaseURL()),
		// Whatever variable the profile names for the key, the fake's key is
		// the answer.
		app.WithGetenv(func(string) string { return model.APIKey() }),
		// Each message is one turn: the bench measures the pipeline, not
		// how long customers take to finish typing.
		app.WithQuietWindow(0),
	)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.addr, s.stop = a.GRPCAddr(), stop
	go func() { s.done <- a.Run(runCtx) }()
	return s, nil
}

// Close stops the server gracefully, then the fake model, and removes the
// database.
func (s *localServer) Close() error {
	s.stop()
	err := <-s.done
	s.model.Close()
	if rerr := os.RemoveAll(s.dir); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if s.dropSchema != nil {
		err = errors.Join(err, s.dropSchema())
	}
	return err
}

// repliesCreated counts the bot's replies (outbound messages other than
// read receipts) the server stored in [from, to).
func (s *localServer) repliesCreated(ctx context.Context, from, to time.Time) (int, error) {
	db, err := sql.Open(s.driver, s.dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM messages
WHERE direction = 'out' AND kind <> 'mark_read' AND created_at >= $1 AND created_at < $2`,
		from.UnixMicro(), to.UnixMicro()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count replies: %w", err)
	}
	return n, nil
}

func isPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// freshSchema creates a schema of its own for one server in the database
// at base, and returns the URL that selects it and how to drop it.
func freshSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("--database: %w", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "relevo_bench_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, fmt.Errorf("--database: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("--database: create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() error {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	return u.String(), drop, nil
}
