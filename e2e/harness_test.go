//go:build e2e

// Package e2e runs Relevo's binaries as separate processes on loopback
// ports, against fakes of the outside services, and checks what a customer
// would: no message lost, none answered twice, replies in order, across
// crashes and replicas.
//
//	go test -tags e2e ./e2e/
//
// The PostgreSQL tests need RELEVO_TEST_POSTGRES_URL (they are skipped
// without it, and fail without it when CI=true).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/relevo/relevo/clients/relevo"
	"github.com/relevo/relevo/internal/pgtest"
)

// Timeouts of the harness: generous, because two cores are shared by every
// process a test starts; they bound a stuck test, they measure nothing.
const (
	buildTimeout = 5 * time.Minute
	startTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
	// logTail is how many lines of each process's output a failing test
	// prints.
	logTail = 400
)

// bins builds each main package once per test run; TestMain removes the
// binaries.
var bins = &binaries{built: map[string]*built{}}

func TestMain(m *testing.M) {
	code := m.Run()
	bins.remove()
	os.Exit(code)
}

type binaries struct {
	mu    sync.Mutex
	dir   string
	built map[string]*built
}

type built struct {
	once sync.Once
	path string
	err  error
}

// binary returns the path of the executable of the main package pkg (a
// path relative to the repository root, e.g. "./server"), building it on
// first use.
func binary(t testing.TB, pkg string) string {
	t.Helper()
	root := repoRoot(t)
	bins.mu.Lock()
	if bins.dir == "" {
		dir, err := os.MkdirTemp("", "relevo-e2e-bin-")
		if err != nil {
			bins.mu.Unlock()
			t.Fatalf("binaries directory: %v", err)
		}
		bins.dir = dir
	}
	b, ok := bins.built[pkg]
	if !ok {
		b = &built{}
		bins.built[pkg] = b
	}
	dir := bins.dir
	bins.mu.Unlock()

	b.once.Do(func() {
		name := strings.NewReplacer("/", "_", ".", "").Replace(strings.Trim(pkg, "./"))
		b.path = filepath.Join(dir, name)
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.path, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *binaries) remove() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// repoRoot walks up from the working directory to the directory of go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ProcSpec says how to run a process.
type ProcSpec struct {
	// Name labels the process in logs and failures, e.g. "server-a".
	Name string
	// Binary is the executable (see binary).
	Binary string
	Args   []string
	// Env is added to the test's environment, minus RELEVO_* variables,
	// which would otherwise configure the process behind the test's back.
	Env []string
}

// Proc is a process started by a test. It may be killed and started again;
// its output, across every incarnation, is kept and printed when the test
// fails. The test's cleanup stops it.
type Proc struct {
	spec ProcSpec
	logs *logSink

	mu          sync.Mutex
	cmd         *exec.Cmd
	incarnation int
	exited      chan struct{}
	exitErr     error
	// signalled is set when the harness killed or stopped the current
	// incarnation; an exit without it is a crash, and fails the test.
	signalled  bool
	unexpected []string
}

// startProc starts a process; the test's cleanup stops it and, when the
// test failed, prints the tail of its output.
func startProc(t testing.TB, spec ProcSpec) *Proc {
	t.Helper()
	p := &Proc{spec: spec, logs: &logSink{name: spec.Name}}
	t.Cleanup(func() {
		p.Stop(t)
		p.mu.Lock()
		for _, crash := range p.unexpected {
			t.Errorf("%s exited unexpectedly: %s", spec.Name, crash)
		}
		p.mu.Unlock()
		if t.Failed() {
			t.Logf("---- output of %s (last %d lines) ----\n%s", spec.Name, logTail, p.logs.tail(logTail))
		}
	})
	p.start(t, spec.Args)
	return p
}

func (p *Proc) start(t testing.TB, args []string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited != nil {
		select {
		case <-p.exited:
		default:
			t.Fatalf("%s: start while running", p.spec.Name)
		}
	}
	p.incarnation++
	inc := p.incarnation
	cmd := exec.Command(p.spec.Binary, args...)
	cmd.Env = append(environWithout("RELEVO_"), p.spec.Env...)
	out := &lineWriter{sink: p.logs, incarnation: inc}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.spec.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.exitErr, p.signalled = cmd, exited, nil, false
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		if !p.signalled {
			p.unexpected = append(p.unexpected, fmt.Sprintf("incarnation %d: %v", inc, err))
		}
		p.mu.Unlock()
		close(exited)
	}()
}

func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// Kill sends SIGKILL and waits for the process to be gone: nothing of it
// runs any more, no deferred cleanup, no graceful shutdown.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	if !p.signal(t, syscall.SIGKILL, stopTimeout) {
		t.Fatalf("%s still running %s after SIGKILL", p.spec.Name, stopTimeout)
	}
}

// Pid is the process id of the current incarnation.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Stop asks the process to shut down gracefully (SIGTERM) and kills it if
// it has not exited in time. Stopping a stopped process does nothing.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if !p.signal(t, syscall.SIGTERM, stopTimeout) {
		t.Errorf("%s did not stop within %s of SIGTERM; killed", p.spec.Name, stopTimeout)
		p.signal(t, syscall.SIGKILL, stopTimeout)
	}
}

// signal sends sig and waits up to timeout for the exit; false on timeout.
func (p *Proc) signal(t testing.TB, sig syscall.Signal, timeout time.Duration) bool {
	t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.signalled = true
	p.mu.Unlock()
	if cmd == nil {
		return true
	}
	select {
	case <-exited:
		return true
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal %s to %s: %v", sig, p.spec.Name, err)
	}
	select {
	case <-exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Exited is closed when the current incarnation has exited.
func (p *Proc) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// ExitErr is how the current incarnation exited (nil: status 0); only
// meaningful once Exited is closed.
func (p *Proc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// Logs returns everything the process wrote, across incarnations.
func (p *Proc) Logs() string { return p.logs.tail(0) }

// waitLine waits until the current incarnation writes a line for which
// match is true, and returns it. It fails the test when the process exits
// first or nothing matches within timeout.
func (p *Proc) waitLine(t testing.TB, timeout time.Duration, what string, match func(line string) bool) string {
	t.Helper()
	p.mu.Lock()
	inc, exited := p.incarnation, p.exited
	p.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		line, changed := p.logs.find(inc, match)
		if line != "" {
			return line
		}
		select {
		case <-changed:
		case <-exited:
			if line, _ := p.logs.find(inc, match); line != "" {
				return line
			}
			p.mu.Lock()
			err := p.exitErr
			p.mu.Unlock()
			t.Fatalf("%s exited (%v) before %s", p.spec.Name, err, what)
		case <-deadline.C:
			t.Fatalf("%s: no %s within %s", p.spec.Name, what, timeout)
		}
	}
}

// logSink keeps the output lines of every incarnation of a process.
type logSink struct {
	name    string
	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced on every new line
}

type logLine struct {
	incarnation int
	text        string
}

func (s *logSink) add(incarnation int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, logLine{incarnation: incarnation, text: text})
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// find returns the first line of the incarnation that matches, or "" and a
// channel closed when the next line arrives.
func (s *logSink) find(incarnation int, match func(string) bool) (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if l.incarnation == incarnation && match(l.text) {
			return l.text, nil
		}
	}
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return "", s.changed
}

// tail returns the last n lines (all when n is 0).
func (s *logSink) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.lines
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "[%s#%d] %s\n", s.name, l.incarnation, l.text)
	}
	return b.String()
}

// lineWriter splits the output of one incarnation into lines.
type lineWriter struct {
	sink        *logSink
	incarnation int
	mu          sync.Mutex
	partial     []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.sink.add(w.incarnation, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(b), nil
}

// ServerConfig configures a Relevo server process.
type ServerConfig struct {
	// Name labels the process, e.g. "server" or "replica-a".
	Name string
	// Database is an SQLite path or a postgres:// URL.
	Database string
	// Profile is the company profile file; empty for the embedded one.
	Profile string
	// APIKeys are role:key pairs; none lets every loopback caller in.
	APIKeys []string
	// HTTP turns the REST gateway on (on a free loopback port).
	HTTP bool
	// Flags are further command-line flags, e.g. "--lease=3s".
	Flags []string
	// Env is added to the environment, e.g. the model API key the profile
	// names.
	Env []string
}

// Server is a running `go run ./server` process.
type Server struct {
	*Proc
	cfg ServerConfig
	// GRPCAddr and HTTPAddr are the bound addresses; a restart keeps them.
	GRPCAddr string
	HTTPAddr string
}

// startServer starts a server on free loopback ports and waits until its
// gRPC health check is SERVING. Logs are JSON at debug level.
func startServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "server"
	}
	s := &Server{cfg: cfg, GRPCAddr: "127.0.0.1:0"}
	if cfg.HTTP {
		s.HTTPAddr = "127.0.0.1:0"
	}
	env := cfg.Env
	if len(cfg.APIKeys) > 0 {
		// From the environment, as in production: arguments show in the
		// process list.
		env = append(env, "RELEVO_API_KEYS="+strings.Join(cfg.APIKeys, ","))
	}
	s.Proc = startProc(t, ProcSpec{Name: cfg.Name, Binary: binary(t, "./server"), Args: s.args(), Env: env})
	s.waitReady(t)
	return s
}

func (s *Server) args() []string {
	args := []string{
		"--grpc-listen=" + s.GRPCAddr,
		"--http-listen=" + s.HTTPAddr,
		"--database=" + s.cfg.Database,
		"--log-format=json",
		"--log-level=debug",
		"--shutdown-timeout=10s",
	}
	if s.cfg.Profile != "" {
		args = append(args, "--profile="+s.cfg.Profile)
	}
	return append(args, s.cfg.Flags...)
}

// Restart starts the server again on the same ports and database and waits
// until it serves. The previous incarnation must have exited (Kill, Stop).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.start(t, s.args())
	s.waitReady(t)
}

// waitReady reads the bound addresses from the start-up log line, then
// polls the gRPC health service until it reports SERVING.
func (s *Server) waitReady(t testing.TB) {
	t.Helper()
	var started struct {
		Msg  string `json:"msg"`
		GRPC string `json:"grpc"`
		HTTP string `json:"http"`
	}
	s.waitLine(t, startTimeout, "start-up log line", func(line string) bool {
		return json.Unmarshal([]byte(line), &started) == nil && started.Msg == "relevo server started"
	})
	s.GRPCAddr, s.HTTPAddr = started.GRPC, started.HTTP

	c, err := relevo.Dial(context.Background(), s.GRPCAddr)
	if err != nil {
		t.Fatalf("%s: %v", s.cfg.Name, err)
	}
	defer c.Close()
	health := healthpb.NewHealthClient(c.Conn())
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s at %s not SERVING within %s: %v %v", s.cfg.Name, s.GRPCAddr, startTimeout, resp.GetStatus(), err)
		}
		select {
		case <-s.Exited():
			t.Fatalf("%s exited while starting", s.cfg.Name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Dial returns a client of the server with the API key token ("" for
// none), closed by the test's cleanup. The connection survives restarts:
// calls fail while the server is down and work again once it is back.
func (s *Server) Dial(t testing.TB, token string) *relevo.Client {
	t.Helper()
	c, err := relevo.Dial(context.Background(), s.GRPCAddr, relevo.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// postgresURL returns a URL of a PostgreSQL schema of this test
// (pgtest.URL).
func postgresURL(t testing.TB) string {
	t.Helper()
	return pgtest.URL(t, "e2e")
}

// llmProfile writes a company profile whose Triage and Knowledge agents run
// in llm mode against the OpenAI-compatible server at baseURL, with the key
// in the environment variable keyEnv, and returns its path.
func llmProfile(t testing.TB, baseURL, keyEnv string) string {
	t.Helper()
	profile := fmt.Sprintf(`company:
  name: Relevo E2E
  language: es
  description: Empresa de prueba de los tests de extremo a extremo.
llm:
  base_url: %q
  api_key_env: %s
  model: gpt-4o-mini
  timeout: 20s
triage:
  name: Asistente Inicial
  mode: llm
  instructions: Responde saludos y preguntas triviales; transfiere lo demás.
knowledge:
  name: Especialista en Conocimiento
  mode: llm
  instructions: Responde solo con lo que encuentres en la base de conocimiento.
  answer_threshold: 0.3
human:
  name: Especialista Humano
  handoff_message: Un especialista te responderá por este chat.
  waiting_message: Tu consulta ya está con un especialista.
`, baseURL, keyEnv)
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventually polls cond every 50ms until it holds, and fails the test
// naming what it waited for when it does not within timeout. cond's error,
// if any, says why it does not hold yet and is reported on timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		case <-poll.C:
		}
	}
}
