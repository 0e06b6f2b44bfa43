// Command relevo-bench is the load benchmark of the Relevo server. It starts
// a server in-process (fresh SQLite file, chat model played by a fake of
// fixed latency) or targets one with --server, and drives simulated users
// through the gRPC API the way a channel adapter does: HandleMessage for
// each user message, and the channel's outbound stream, acked, for the
// bot's replies.
//
// Phases, in one invocation:
//
//  1. conversations, single worker (--workers 1, the original design), for
//     --single-duration;
//  2. conversations, default configuration (--workers-default workers),
//     each of --users users sending --messages messages (or for --duration),
//     their first messages spread over --ramp; the throughput ratio to
//     phase 1 is printed;
//  3. accept: --accept-rate messages per second for --accept-duration over
//     --accept-conversations conversations, open loop, on --replicas
//     servers sharing the database; the replies delivered meanwhile are
//     counted against those the server produced;
//  4. ingest (with --ingest-duration): signed WhatsApp webhooks with unique
//     message ids from --ingest-concurrency loops, to a bare net/http
//     handler and then to the WhatsApp adapter in front of the server; the
//     ratio of their requests per second is printed, and the replies the
//     adapter delivered to a fake Graph API against those produced.
//
// --database runs the in-process servers on PostgreSQL instead of SQLite.
//
// One answer of the default profile in llm mode costs three chat
// completions (Triage hands off; Knowledge searches; Knowledge answers), so
// "reply − model" is the reply latency minus 3 × --latency: the time the
// server itself adds. --model-calls changes the 3.
//
//	go run ./bench/cmd/relevo-bench                 # text tables on stdout
//	go run ./bench/cmd/relevo-bench -o json         # one JSON object per phase
//	go run ./bench/cmd/relevo-bench --users 0 --accept-rate 3000 \
//		--database 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' --replicas 2
//	go run ./bench/cmd/relevo-bench --users 0 --accept-rate 0 --ingest-duration 10s
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	users          int
	messages       int
	duration       time.Duration
	latency        time.Duration
	modelCalls     int
	workersDefault int
	singleDuration time.Duration
	replyTimeout   time.Duration
	ramp           time.Duration

	acceptRate          int
	acceptDuration      time.Duration
	acceptConversations int
	replicas            int

	ingestDuration    time.Duration
	ingestConcurrency int
	whatsappAdapter   string

	database string

	server       string
	token        string
	output       string
	logLevel     string
	cpuProfile   string
	blockProfile string
	trace        string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("relevo-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.users, "users", 200, "simulated users (concurrent conversations); 0 skips the conversations phases")
	fs.IntVar(&o.messages, "messages", 5, "messages each user sends, one after the other's reply")
	fs.DurationVar(&o.duration, "duration", 0, "run the default configuration for this long instead of until every user sent --messages (given both, --messages caps each user)")
	fs.DurationVar(&o.latency, "latency", 500*time.Millisecond, "latency of the fake model, added to every chat completion (in-process only)")
	fs.IntVar(&o.modelCalls, "model-calls", 3, "chat completions one answer costs; reply−model subtracts model-calls × latency")
	fs.IntVar(&o.workersDefault, "workers-default", 256, "workers of the default configuration (the server's --workers default)")
	fs.DurationVar(&o.singleDuration, "single-duration", 15*time.Second, "how long the single-worker configuration runs; 0 skips it")
	fs.DurationVar(&o.ramp, "ramp", 0, "spread the users' first messages over this time (default: one answer's model time, model-calls × latency)")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", time.Minute, "a user waiting longer than this for a reply counts it lost and stops")
	fs.IntVar(&o.acceptRate, "accept-rate", 1000, "messages per second of the accept phase; 0 skips it")
	fs.DurationVar(&o.acceptDuration, "accept-duration", 10*time.Second, "length of the accept phase")
	fs.IntVar(&o.acceptConversations, "accept-conversations", 1000, "conversations the accept phase spreads its messages over")
	fs.DurationVar(&o.ingestDuration, "ingest-duration", 0, "length of each half of the ingest phase (a bare net/http handler, then the WhatsApp adapter in front of the server, under the same signed webhooks); 0 skips it")
	fs.IntVar(&o.ingestConcurrency, "ingest-concurrency", 64, "webhook POSTs in flight in the ingest phase")
	fs.StringVar(&o.whatsappAdapter, "whatsapp-adapter", "", "WhatsApp adapter executable for the ingest phase (default: go build ./adapters/whatsapp of this module)")
	fs.IntVar(&o.replicas, "replicas", 1, "in-process servers sharing the --database (PostgreSQL) in the accept phase; its messages go to them in turn")
	fs.StringVar(&o.database, "database", "", "database of the in-process servers: empty for a fresh SQLite file per configuration, or a postgres:// URL (each configuration gets a schema of its own, dropped afterwards)")
	fs.StringVar(&o.server, "server", "", "host:port of a running server to target instead of an in-process one (its model latency is whatever it has)")
	fs.StringVar(&o.token, "token", "", "API key for --server (adapter role); default $RELEVO_TOKEN")
	fs.StringVar(&o.output, "o", "text", "output: text, or json (one summary object per line; logs stay on stderr)")
	fs.StringVar(&o.logLevel, "log-level", "warn", "log level of the benchmark and the in-process server: debug, info, warn, error")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (server included when in-process) to this file")
	fs.StringVar(&o.blockProfile, "blockprofile", "", "write a profile of where goroutines waited (locks, channels, the database pool) to this file")
	fs.StringVar(&o.trace, "trace", "", "write an execution trace of the accept phase (server included when in-process) to this file, for go tool trace")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.duration > 0 && !isSet(fs, "messages") {
		o.messages = math.MaxInt // the duration alone ends the run
	}
	if !isSet(fs, "ramp") {
		o.ramp = time.Duration(o.modelCalls) * o.latency
	}
	if o.token == "" {
		o.token = os.Getenv("RELEVO_TOKEN")
	}
	switch {
	case o.users < 0:
		return o, fmt.Errorf("--users: %d is negative", o.users)
	case o.messages < 1:
		return o, fmt.Errorf("--messages: %d is less than 1", o.messages)
	case o.duration < 0 || o.singleDuration < 0 || o.acceptDuration < 0 || o.latency < 0 || o.ramp < 0:
		return o, errors.New("durations must not be negative")
	case o.modelCalls < 0:
		return o, fmt.Errorf("--model-calls: %d is negative", o.modelCalls)
	case o.workersDefault < 1:
		return o, fmt.Errorf("--workers-default: %d is less than 1", o.workersDefault)
	case o.replyTimeout <= 0:
		return o, errors.New("--reply-timeout: must be positive")
	case o.acceptRate < 0:
		return o, fmt.Errorf("--accept-rate: %d is negative", o.acceptRate)
	case o.acceptRate > 0 && o.acceptConversations < 1:
		return o, fmt.Errorf("--accept-conversations: %d is less than 1", o.acceptConversations)
	case o.ingestDuration < 0:
		return o, errors.New("--ingest-duration: must not be negative")
	case o.ingestDuration > 0 && (o.ingestConcurrency < 1 || o.acceptConversations < 1):
		return o, errors.New("--ingest-concurrency and --accept-conversations must be at least 1")
	case o.replicas < 1:
		return o, fmt.Errorf("--replicas: %d is less than 1", o.replicas)
	case o.replicas > 1 && !isPostgres(o.database):
		return o, errors.New("--replicas: more than one needs a postgres:// --database")
	case o.database != "" && !isPostgres(o.database):
		return o, fmt.Errorf("--database: %q is not a postgres:// URL (leave it empty for SQLite)", o.database)
	case o.output != "text" && o.output != "json":
		return o, fmt.Errorf("-o: %q is not text or json", o.output)
	}
	switch o.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return o, fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.logLevel)
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "relevo-bench:", err)
		return 2
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(o.logLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "relevo-bench: --cpuprofile:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "relevo-bench: --cpuprofile:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	if o.blockProfile != "" {
		runtime.SetBlockProfileRate(int(10 * time.Microsecond))
		defer func() {
			runtime.SetBlockProfileRate(0)
			if err := writeProfile("block", o.blockProfile); err != nil {
				fmt.Fprintln(stderr, "relevo-bench: --blockprofile:", err)
			}
		}()
	}

	b := &bench{o: o, log: log, stderr: stderr, runID: newRunID()}
	summaries, err := b.all(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "relevo-bench:", err)
		return 1
	}
	if o.output == "json" {
		err = writeJSON(stdout, summaries)
	} else {
		err = writeText(stdout, summaries)
	}
	if err != nil {
		fmt.Fprintln(stderr, "relevo-bench: write results:", err)
		return 1
	}
	return 0
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startTrace starts an execution trace into path, when one is asked for,
// and returns what stops it. Only the accept phase is traced: the trace of
// a whole run is too large to read, and the accept phase is where the
// latency targets are.
func startTrace(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--trace: %w", err)
	}
	return func() error {
		trace.Stop()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		return nil
	}, nil
}

// newRunID makes ids unique to this invocation, so a run against an
// external server never collides with an earlier run's messages.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "b" + hex.EncodeToString(b)
}

// bench runs the phases.
type bench struct {
	o      options
	log    *slog.Logger
	stderr io.Writer
	runID  string
}

func (b *bench) all(ctx context.Context) ([]Summary, error) {
	if b.o.server != "" {
		return b.external(ctx)
	}
	var out []Summary
	if b.o.users > 0 {
		ss, err := b.bothConfigs(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if b.o.acceptRate > 0 {
		a, err := b.accept(ctx, "default", b.o.workersDefault)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if b.o.ingestDuration > 0 {
		ss, err := b.ingest(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, ctx.Err()
}

// bothConfigs runs the conversations phase with one worker, then with the
// default workers, and sets the ratio of their throughputs.
func (b *bench) bothConfigs(ctx context.Context) ([]Summary, error) {
	var out []Summary
	var single *Summary
	if b.o.singleDuration > 0 {
		s, err := b.conversations(ctx, "single-worker", 1, b.o.singleDuration)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		single = &out[len(out)-1]
	}
	s, err := b.conversations(ctx, "default", b.o.workersDefault, b.o.duration)
	if err != nil {
		return nil, err
	}
	if single != nil && single.RepliesPerSecond > 0 {
		s.SpeedupVsSingleWorker = round(s.RepliesPerSecond/single.RepliesPerSecond, 1)
	}
	return append(out, s), nil
}

// external runs the default-configuration phases against --server.
func (b *bench) external(ctx context.Context) ([]Summary, error) {
	c, err := relevo.Dial(ctx, b.o.server, relevo.WithToken(b.o.token))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []Summary
	if b.o.users > 0 {
		s, err := b.conversationsOn(ctx, c, "external", 0, b.o.duration, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if b.o.acceptRate > 0 {
		s, err := b.acceptOn(ctx, []*relevo.Client{c}, "external", 0, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, ctx.Err()
}

// conversations runs the closed-loop phase on a fresh in-process server.
func (b *bench) conversations(ctx context.Context, config string, workers int, window time.Duration) (Summary, error) {
	srv, c, err := b.start(ctx, workers, "")
	if err != nil {
		return Summary{}, err
	}
	s, err := b.conversationsOn(ctx, c, config, workers, window, srv)
	return s, errors.Join(err, b.stop(srv, c))
}

// accept runs the open-loop phase on fresh in-process servers: --replicas
// of them sharing one database.
func (b *bench) accept(ctx context.Context, config string, workers int) (_ Summary, err error) {
	srv, c, err := b.start(ctx, workers, "")
	if err != nil {
		return Summary{}, err
	}
	clients := []*relevo.Client{c}
	stops := []func() error{func() error { return b.stop(srv, c) }}
	defer func() {
		// Replicas first: the first server drops the shared schema.
		for i := len(stops) - 1; i >= 0; i-- {
			err = errors.Join(err, stops[i]())
		}
	}()
	for range b.o.replicas - 1 {
		rs, rc, err := b.start(ctx, workers, srv.dsn)
		if err != nil {
			return Summary{}, err
		}
		clients = append(clients, rc)
		stops = append(stops, func() error { return b.stop(rs, rc) })
	}
	if len(clients) > 1 {
		config = fmt.Sprintf("%s×%d", config, len(clients))
	}
	return b.acceptOn(ctx, clients, config, workers, srv)
}

func (b *bench) start(ctx context.Context, workers int, schemaURL string) (*localServer, *relevo.Client, error) {
	// Start each configuration from the same memory baseline.
	debug.FreeOSMemory()
	t0 := time.Now()
	srv, err := startLocal(ctx, serverConfig{
		workers: workers, latency: b.o.latency, database: b.o.database, schemaURL: schemaURL,
		logw: b.stderr, logLevel: b.o.logLevel,
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := relevo.Dial(ctx, srv.addr)
	if err != nil {
		_ = srv.Close()
		return nil, nil, err
	}
	b.log.Info("in-process server started", "workers", workers, "addr", srv.addr, "took", time.Since(t0).Round(time.Millisecond))
	return srv, c, nil
}

func (b *bench) stop(srv *localServer, c *relevo.Client) error {
	cerr := c.Close()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("stop in-process server: %w", err)
	}
	return cerr
}

// conversationsOn runs the closed-loop phase against c. srv is nil for an
// external server.
func (b *bench) conversationsOn(ctx context.Context, c *relevo.Client, config string, workers int, window time.Duration, srv *localServer) (Summary, error) {
	qs, err := answerable(ctx, c.Knowledge, candidateQuestions, b.log)
	if err != nil {
		return Summary{}, err
	}
	messages := b.o.messages
	b.log.Info("phase started", "phase", "conversations", "config", config, "workers", workers, "users", b.o.users, "messages", messages, "window", window)
	var chat0 int64
	if srv != nil {
		chat0 = srv.model.Stats().Chat
	}
	stopMem := sampleMemory(250 * time.Millisecond)
	modelTime := time.Duration(b.o.modelCalls) * b.o.latency
	r := runConversations(ctx, c.Channels, b.runID+"-"+config, convConfig{
		Questions: qs, Users: b.o.users, Messages: messages, Window: window,
		Ramp: b.o.ramp, ReplyTimeout: b.o.replyTimeout, ModelTime: modelTime,
	}, b.log)
	mem := stopMem()

	s := Summary{
		Phase: "conversations", Config: config, Workers: workers,
		ModelLatencyMS: ms(b.o.latency), ModelCallsPerReply: b.o.modelCalls,
		Questions: len(qs), Users: b.o.users, MessagesPerUser: messages, RampS: b.o.ramp.Seconds(), ElapsedS: round(r.Elapsed.Seconds(), 3),
		Sent: r.Sent, Errors: r.Errors, Replies: r.Replies, KBAnswers: r.KBAnswers, Lost: r.Lost,
		RepliesPerSecond: perSecond(r.Replies, r.Elapsed),
		Accept:           summarize(r.Accept),
	}
	reply, over := summarize(r.Reply), summarize(r.ReplyOverModel)
	s.Reply, s.ReplyMinusModel = &reply, &over
	if srv != nil {
		s.Memory = &mem
		if r.Replies > 0 {
			s.MeasuredModelCallsPerReply = round(float64(srv.model.Stats().Chat-chat0)/float64(r.Replies), 2)
		}
	}
	if r.Stray > 0 {
		b.log.Warn("outbound messages not matched to a waiting user", "count", r.Stray)
	}
	if r.KBAnswers < r.Replies {
		b.log.Warn("some replies were not knowledge-base answers (hand-offs cost other model calls)", "replies", r.Replies, "kb_answers", r.KBAnswers)
	}
	b.log.Info("phase done", "phase", "conversations", "config", config, "replies", r.Replies, "replies_per_s", s.RepliesPerSecond)
	return s, nil
}

// acceptOn runs the open-loop phase against c. srv is nil for an external
// server.
func (b *bench) acceptOn(ctx context.Context, cs []*relevo.Client, config string, workers int, srv *localServer) (Summary, error) {
	qs, err := answerable(ctx, cs[0].Knowledge, candidateQuestions, b.log)
	if err != nil {
		return Summary{}, err
	}
	b.log.Info("phase started", "phase", "accept", "config", config, "rate", b.o.acceptRate, "duration", b.o.acceptDuration)
	stopMem := sampleMemory(250 * time.Millisecond)
	channels := make([]relevov1.ChannelServiceClient, len(cs))
	for i, c := range cs {
		channels[i] = c.Channels
	}
	stopTrace, err := startTrace(b.o.trace)
	if err != nil {
		return Summary{}, err
	}
	r := runAccept(ctx, channels, b.runID+"-accept", acceptConfig{
		Questions: qs, Rate: b.o.acceptRate, Duration: b.o.acceptDuration,
		Conversations: b.o.acceptConversations, MaxOutstanding: 4096,
	}, b.log)
	if err := stopTrace(); err != nil {
		return Summary{}, err
	}
	mem := stopMem()
	lag := summarize(r.SendLag)
	s := Summary{
		Phase: "accept", Config: config, Workers: workers,
		ModelLatencyMS: ms(b.o.latency), ModelCallsPerReply: b.o.modelCalls,
		Questions: len(qs), Conversations: b.o.acceptConversations, ElapsedS: round(r.Elapsed.Seconds(), 3),
		Sent: r.Sent, Errors: r.Errors, Replies: int(r.Replies),
		TargetRate: float64(b.o.acceptRate), AcceptedPerSecond: perSecond(r.Accepted, r.Elapsed),
		SendLag: &lag, Accept: summarize(r.Accept),
		RepliesPerSecond: perSecond(int(r.Replies), r.Elapsed),
	}
	if srv != nil {
		s.Memory = &mem
		produced, err := srv.repliesCreated(ctx, r.Start, r.End)
		if err != nil {
			b.log.Warn("cannot count the replies the server produced", "err", err)
		} else {
			s.RepliesProduced = produced
			s.RepliesProducedPerSecond = perSecond(produced, r.Elapsed)
		}
		steady(ctx, &s, srv, r.Mid, r.End, int(r.Replies), b.log)
	}
	b.log.Info("phase done", "phase", "accept", "accepted_per_s", s.AcceptedPerSecond, "p99_ms", s.Accept.P99)
	return s, nil
}
