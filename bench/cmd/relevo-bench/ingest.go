package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
)

// The ingest phase puts two HTTP servers side by side under the same
// closed-loop load of signed WhatsApp webhooks, each with a message id of
// its own: a bare net/http handler that reads the body and answers 200 (the
// ceiling of this machine's HTTP), and the WhatsApp adapter (a process of
// its own) in front of the in-process server, which answers 200 only once
// the message is durably accepted. While the adapter runs, the server
// answers the messages and the adapter delivers the replies to a fake Graph
// API, which counts them.

const (
	ingestAppSecret   = "bench-app-secret"
	ingestAccessToken = "bench-access-token"
	ingestVersion     = "v24.0"
)

// ingestConfig shapes the ingest phase.
type ingestConfig struct {
	Questions     []string
	Duration      time.Duration // per target
	Concurrency   int           // webhook POSTs in flight
	Conversations int           // message i comes from contact i mod Conversations
}

// ingestResult is what one target measured.
type ingestResult struct {
	Sent, OK, Errors int
	Elapsed          time.Duration
	Latency          []time.Duration
	Start, End       time.Time
}

// postWebhooks sends signed text webhooks to url from cfg.Concurrency
// loops for cfg.Duration; every message has a unique id.
func postWebhooks(ctx context.Context, url, runID string, cfg ingestConfig, log *slog.Logger) ingestResult {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		next          atomic.Int64
		ok, errs, all atomic.Int64
		lat           durations
		wg            sync.WaitGroup
		logged        atomic.Bool
	)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for range cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				wa := strconv.Itoa(5_490_000_000 + int(i)%cfg.Conversations)
				body := graphtest.TextWebhook(graphtest.DefaultBusiness, wa, "Bench "+wa,
					fmt.Sprintf("wamid.%s-%d", runID, i), cfg.Questions[int(i)%len(cfg.Questions)], time.Now())
				req, err := graphtest.NewWebhookRequest(url, ingestAppSecret, body)
				if err != nil {
					errs.Add(1)
					continue
				}
				req = req.WithContext(ctx)
				t0 := time.Now()
				resp, err := client.Do(req)
				all.Add(1)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
						if logged.CompareAndSwap(false, true) {
							log.Warn("webhook failed (only the first failure is logged)", "url", url, "err", err)
						}
					}
					continue
				}
				lat.add(time.Since(t0))
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	end := time.Now()
	return ingestResult{
		Sent: int(all.Load()), OK: int(ok.Load()), Errors: int(errs.Load()),
		Elapsed: end.Sub(start), Latency: lat.take(), Start: start, End: end,
	}
}

// bareHandler is the anchor: what net/http alone does with a webhook.
func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
}

// fakeGraph answers the adapter's sends as the Cloud API does and counts
// the replies (read receipts apart).
type fakeGraph struct {
	sent    atomic.Int64
	replies atomic.Int64
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages") {
		http.Error(w, `{"error":{"message":"unsupported","code":100}}`, http.StatusBadRequest)
		return
	}
	n := g.sent.Add(1)
	w.Header().Set("Content-Type", "application/json")
	if bytes.Contains(body, []byte(`"status":"read"`)) {
		_, _ = io.WriteString(w, `{"success":true}`)
		return
	}
	g.replies.Add(1)
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.FAKE%d"}]}`, n)
}

// serveLocal serves h on a loopback port until the returned stop is called.
func serveLocal(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// freePort returns a loopback address nobody listens on, for a process
// that takes its listen address as a flag.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// adapterBinary returns the WhatsApp adapter's executable: --whatsapp-adapter,
// or one built from the module into dir.
func adapterBinary(ctx context.Context, given, dir string) (string, error) {
	if given != "" {
		return given, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module to build the adapter (or pass --whatsapp-adapter): %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	path := filepath.Join(dir, "whatsapp-adapter")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./adapters/whatsapp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./adapters/whatsapp: %w\n%s", err, out)
	}
	return path, nil
}

// startAdapter runs the WhatsApp adapter against the server at grpcAddr and
// the Graph API at graphURL, and waits until it is healthy.
func startAdapter(ctx context.Context, bin, grpcAddr, graphURL string, logw io.Writer) (url string, stop func() error, err error) {
	listen, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin,
		"--listen="+listen, "--server="+grpcAddr, "--token=",
		"--verify-token=bench", "--app-secret="+ingestAppSecret, "--access-token="+ingestAccessToken,
		"--graph-url="+graphURL, "--graph-version="+ingestVersion, "--log-level=warn")
	cmd.Env = append(os.Environ(), "RELEVO_WHATSAPP_TOKEN=")
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start the WhatsApp adapter: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
			return nil
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("the WhatsApp adapter did not stop on SIGINT; killed")
		}
	}
	base := "http://" + listen
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop, nil
			}
		}
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("the WhatsApp adapter exited: %v", err)
		case <-ctx.Done():
			_ = stop()
			return "", nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ingest runs the ingest phase: the bare handler, then the adapter in
// front of a fresh in-process server, under the same load.
func (b *bench) ingest(ctx context.Context) (_ []Summary, err error) {
	dir, err := os.MkdirTemp("", "relevo-bench-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := adapterBinary(ctx, b.o.whatsappAdapter, dir)
	if err != nil {
		return nil, err
	}
	srv, c, err := b.start(ctx, b.o.workersDefault, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, b.stop(srv, c)) }()
	qs, err := answerable(ctx, c.Knowledge, candidateQuestions, b.log)
	if err != nil {
		return nil, err
	}
	graph := &fakeGraph{}
	graphURL, stopGraph, err := serveLocal(graph)
	if err != nil {
		return nil, err
	}
	defer stopGraph()
	adapterURL, stopAdapter, err := startAdapter(ctx, bin, srv.addr, graphURL, b.stderr)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, stopAdapter()) }()
	bareURL, stopBare, err := serveLocal(bareHandler())
	if err != nil {
		return nil, err
	}
	defer stopBare()

	cfg := ingestConfig{Questions: qs, Duration: b.o.ingestDuration, Concurrency: b.o.ingestConcurrency, Conversations: b.o.acceptConversations}
	b.log.Info("phase started", "phase", "ingest", "target", "bare-handler")
	bare := postWebhooks(ctx, bareURL+"/webhook", b.runID+"-bare", cfg, b.log)

	b.log.Info("phase started", "phase", "ingest", "target", "whatsapp-adapter")
	stopMem := sampleMemory(250 * time.Millisecond)
	replies0 := graph.replies.Load()
	half := startHalf(cfg.Duration/2, graph.replies.Load)
	adapter := postWebhooks(ctx, adapterURL+"/webhook", b.runID+"-ingest", cfg, b.log)
	delivered := int(graph.replies.Load() - replies0)
	mid := half()
	mem := stopMem()

	summary := func(config string, r ingestResult) Summary {
		return Summary{
			Phase: "ingest", Config: config, Workers: b.o.workersDefault,
			ModelLatencyMS: ms(b.o.latency), ModelCallsPerReply: b.o.modelCalls, Questions: len(qs),
			Conversations: cfg.Conversations, Concurrency: cfg.Concurrency,
			ElapsedS: round(r.Elapsed.Seconds(), 3), Sent: r.Sent, Errors: r.Errors,
			RequestsPerSecond: perSecond(r.OK, r.Elapsed), Accept: summarize(r.Latency),
		}
	}
	sb, sa := summary("bare-handler", bare), summary("whatsapp-adapter", adapter)
	sa.Memory = &mem
	sa.Replies = delivered
	sa.RepliesPerSecond = perSecond(delivered, adapter.Elapsed)
	if produced, err := srv.repliesCreated(ctx, adapter.Start, adapter.End); err != nil {
		b.log.Warn("cannot count the replies the server produced", "err", err)
	} else {
		sa.RepliesProduced = produced
		sa.RepliesProducedPerSecond = perSecond(produced, adapter.Elapsed)
	}
	steady(ctx, &sa, srv, mid, adapter.End, int(graph.replies.Load()), b.log)
	if sb.RequestsPerSecond > 0 {
		sa.RatioToBare = round(sa.RequestsPerSecond/sb.RequestsPerSecond, 3)
	}
	return []Summary{sb, sa}, ctx.Err()
}

// halfMark is the count of delivered replies at the middle of a phase.
type halfMark struct {
	at    time.Time
	count int64
}

// startHalf reads count after d; the returned function waits for it.
func startHalf(d time.Duration, count func() int64) func() halfMark {
	ch := make(chan halfMark, 1)
	go func() {
		time.Sleep(d)
		ch <- halfMark{time.Now(), count()}
	}()
	return func() halfMark { return <-ch }
}

// steady sets the reply rates of the phase's second half, when the first
// replies have had time to come: from the start, replies are produced a
// model's answer (and delivered a little more) after their message, so a
// whole-phase count penalises delivery by its latency, not its rate.
func steady(ctx context.Context, s *Summary, srv *localServer, mid halfMark, end time.Time, deliveredAtEnd int, log *slog.Logger) {
	d := end.Sub(mid.at)
	if d <= 0 {
		return
	}
	s.SteadyDeliveredPerSecond = perSecond(deliveredAtEnd-int(mid.count), d)
	produced, err := srv.repliesCreated(ctx, mid.at, end)
	if err != nil {
		log.Warn("cannot count the replies the server produced", "err", err)
		return
	}
	s.SteadyProducedPerSecond = perSecond(produced, d)
}
