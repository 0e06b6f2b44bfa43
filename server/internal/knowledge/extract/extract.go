// Package extract reads uploaded files in a child process with CPU-time,
// address-space and wall-clock limits, so that a hostile file costs at
// most a bounded amount of time and memory and cannot take the server
// down: the child's death is an upload error, the server keeps serving.
//
// The child is the server binary itself run with a hidden subcommand
// (Command); it sets its own resource limits before it reads a byte of
// the file, reads one request on stdin and writes one response on stdout.
package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/relevo/relevo/server/internal/knowledge/ingest"
)

// Subcommand is the hidden argument that makes the server binary an
// extraction child.
const Subcommand = "__extract"

// Config says how the child runs.
type Config struct {
	// Command is the child's program and arguments before Subcommand's
	// own flags, e.g. {"/usr/bin/relevo", Subcommand}.
	Command []string
	// Timeout is the wall-clock time one file may take.
	Timeout time.Duration
	// CPU is the CPU time one file may use (RLIMIT_CPU, whole seconds).
	CPU time.Duration
	// Memory is the child's address space in bytes (RLIMIT_AS).
	Memory int64
	// Concurrency is how many children may run at once; more uploads wait.
	Concurrency int
	// Limits bound what the file may hold.
	Limits ingest.Limits
	Logger *slog.Logger
}

// Isolated parses files in child processes.
type Isolated struct {
	cfg Config
	sem chan struct{}
}

// New returns a parser running cfg.Command as its children.
func New(cfg Config) (*Isolated, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("extract: no command")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	return &Isolated{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

type request struct {
	Filename  string        `json:"filename"`
	MediaType string        `json:"media_type"`
	Limits    ingest.Limits `json:"limits"`
	CPU       int64         `json:"cpu_seconds"`
	Memory    int64         `json:"memory_bytes"`
}

type response struct {
	Parsed *ingest.Parsed `json:"parsed,omitempty"`
	// Unreadable is the reason the file holds no usable text.
	Unreadable string `json:"unreadable,omitempty"`
}

// Exit codes of the child.
const (
	exitOK      = 0
	exitCPU     = 3
	exitRequest = 4
)

// Parse reads one file in a child process. A file the child finds
// unreadable, or one that makes it run out of time or memory, is an error
// wrapping ingest.ErrUnreadable with the reason; a child that cannot be
// started is another error.
func (x *Isolated) Parse(ctx context.Context, filename, mediaType string, data []byte) (*ingest.Parsed, error) {
	select {
	case x.sem <- struct{}{}:
		defer func() { <-x.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cpu := max(int64(x.cfg.CPU/time.Second), 1)
	req, err := json.Marshal(request{Filename: filename, MediaType: mediaType, Limits: x.cfg.Limits, CPU: cpu, Memory: x.cfg.Memory})
	if err != nil {
		return nil, err
	}
	runCtx := ctx
	if x.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, x.cfg.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, x.cfg.Command[0], x.cfg.Command[1:]...)
	cmd.Env = []string{"GOMAXPROCS=1", "GOTRACEBACK=none"}
	cmd.Stdin = io.MultiReader(bytes.NewReader(req), strings.NewReader("\n"), bytes.NewReader(data))
	// The response is bounded: the text limit, JSON escaping, and room.
	stdout := &capped{max: 8*int64(x.cfg.Limits.MaxChars) + 1<<20}
	stderr := &capped{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	start := time.Now()
	runErr := cmd.Run()
	x.logRun(cmd, filename, time.Since(start), runErr)
	if runErr == nil && !stdout.over {
		var resp response
		if err := json.Unmarshal(stdout.buf.Bytes(), &resp); err != nil {
			return nil, fmt.Errorf("extract %s: bad response from the reader: %w", filename, err)
		}
		if resp.Unreadable != "" {
			return nil, fmt.Errorf("%w: %s", ingest.ErrUnreadable, resp.Unreadable)
		}
		if resp.Parsed == nil {
			return nil, fmt.Errorf("extract %s: empty response from the reader", filename)
		}
		return resp.Parsed, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return nil, fmt.Errorf("extract %s: start the reader: %w", filename, runErr)
	}
	return nil, fmt.Errorf("%w: %s", ingest.ErrUnreadable, x.reason(runCtx, cmd, stdout, stderr))
}

// reason says why a child did not answer, in words for the uploader.
func (x *Isolated) reason(runCtx context.Context, cmd *exec.Cmd, stdout, stderr *capped) string {
	st := cmd.ProcessState
	var used time.Duration
	var ws syscall.WaitStatus
	if st != nil {
		used = st.UserTime() + st.SystemTime()
		ws, _ = st.Sys().(syscall.WaitStatus)
	}
	switch {
	case stdout.over:
		return "reading the file produced more text than allowed"
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("reading the file took longer than %s (the file is too complex or damaged)", x.cfg.Timeout)
	case st != nil && st.ExitCode() == exitCPU,
		ws.Signaled() && (ws.Signal() == syscall.SIGKILL || ws.Signal() == syscall.SIGXCPU) && used >= x.cfg.CPU-time.Second:
		return fmt.Sprintf("reading the file needed more than %s of CPU time (the file is too complex or damaged)", x.cfg.CPU)
	case strings.Contains(stderr.buf.String(), "out of memory") || strings.Contains(stderr.buf.String(), "cannot allocate memory"):
		return fmt.Sprintf("reading the file needed more than %d MiB of memory (the file is too complex or damaged)", x.cfg.Memory>>20)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr.buf.String()), "\n")
	if len(first) > 200 {
		first = first[:200]
	}
	if first == "" && st != nil {
		first = st.String()
	}
	return "the file could not be read: " + first
}

func (x *Isolated) logRun(cmd *exec.Cmd, filename string, took time.Duration, err error) {
	st := cmd.ProcessState
	if st == nil {
		return
	}
	var maxRSS int64
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss // KiB on Linux
	}
	x.cfg.Logger.Debug("document read", "file", filename, "took", took, "cpu", st.UserTime()+st.SystemTime(),
		"max_rss_kib", maxRSS, "exit", st.ExitCode(), "err", err)
}

// capped is a buffer that keeps at most max bytes and remembers whether
// more came.
type capped struct {
	buf  bytes.Buffer
	max  int64
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - int64(c.buf.Len()); int64(len(p)) > room {
		c.over = true
		c.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.buf.Write(p)
}

// Child is the child's side: it limits its own CPU time and address
// space, reads the request and the file from stdin and writes the
// response to stdout. It returns the process's exit code.
func Child(stdin io.Reader, stdout, stderr io.Writer) int {
	in := bufio.NewReaderSize(stdin, 64<<10)
	line, err := in.ReadSlice('\n')
	if err != nil {
		fmt.Fprintln(stderr, "extract: read request:", err)
		return exitRequest
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		fmt.Fprintln(stderr, "extract: bad request:", err)
		return exitRequest
	}
	if err := limitSelf(req.CPU, req.Memory); err != nil {
		fmt.Fprintln(stderr, "extract: limits:", err)
		return exitRequest
	}
	data, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintln(stderr, "extract: read file:", err)
		return exitRequest
	}
	var resp response
	p, err := ingest.ParseLimited(req.Filename, req.MediaType, data, req.Limits)
	switch {
	case errors.Is(err, ingest.ErrUnreadable):
		resp.Unreadable = strings.TrimPrefix(err.Error(), ingest.ErrUnreadable.Error()+": ")
	case err != nil:
		fmt.Fprintln(stderr, "extract:", err)
		return exitRequest
	default:
		resp.Parsed = p
	}
	data = nil
	if err := json.NewEncoder(stdout).Encode(resp); err != nil {
		fmt.Fprintln(stderr, "extract: write response:", err)
		return exitRequest
	}
	return exitOK
}

// Main runs Child on the process's standard streams and exits.
func Main() {
	os.Exit(Child(os.Stdin, os.Stdout, os.Stderr))
}
