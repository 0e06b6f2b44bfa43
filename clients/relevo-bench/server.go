package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/relevo/relevo/server/app"
	"github.com/relevo/relevo/server/openaitest"
)

// localServer is a Relevo server running in this process on a fresh SQLite
// file, with its chat model played by an openaitest fake of fixed latency.
type localServer struct {
	addr  string
	model *openaitest.Server
	dir   string
	stop  context.CancelFunc
	done  chan error
}

// startLocal assembles and starts a server with the given number of
// workers. Its logs go to logw at logLevel.
func startLocal(ctx context.Context, workers int, latency time.Duration, logw io.Writer, logLevel string) (_ *localServer, err error) {
	dir, err := os.MkdirTemp("", "relevo-bench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	model := openaitest.NewServer(openaitest.WithLatency(latency), openaitest.WithoutRecording())
	defer func() {
		if err != nil {
			model.Close()
			_ = os.RemoveAll(dir)
		}
	}()
	cfg, err := app.ParseConfig([]string{
		"--grpc-listen=127.0.0.1:0",
		"--http-listen=",
		"--database=" + filepath.Join(dir, "relevo.db"),
		"--workers=" + strconv.Itoa(workers),
		"--shutdown-timeout=10s",
		// The questions are answered from the sample knowledge base; and
		// no RELEVO_* variable of the environment may change the set-up.
		"--sample-kb=true",
		"--api-keys=",
		"--profile=",
		"--embedding-model=",
		"--transcription-model=",
		"--log-level=" + logLevel,
	}, logw)
	if err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	log := app.NewLogger(logw, cfg.LogLevel, cfg.LogFormat)
	a, err := app.New(ctx, cfg, log,
		app.WithLLM(model.BaseURL()),
		// Whatever variable the profile names for the key, the fake's key is
		// the answer.
		app.WithGetenv(func(string) string { return model.APIKey() }),
	)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &localServer{addr: a.GRPCAddr(), model: model, dir: dir, stop: stop, done: make(chan error, 1)}
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
	return err
}
