// Package openaitest holds a fake of the OpenAI-compatible HTTP API for
// tests and load benchmarks: chat completions with tool calling, embeddings
// and audio transcriptions, speaking the real wire format.
//
// Tests script it per request (a queue of replies, or a handler deciding
// from the decoded request) and assert on the requests it recorded. Without
// a script it behaves as a small deterministic model (see Simulation), with
// an optional artificial latency, so a load benchmark can stand in a "model
// of latency L" for the real provider.
package openaitest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the key the server accepts unless WithAPIKey says
// otherwise.
const DefaultAPIKey = "sk-openaitest"

// Request is one request the server accepted, decoded. Exactly one of Chat,
// Embeddings and Transcription is set.
type Request struct {
	Path          string
	Header        http.Header
	Chat          *ChatRequest
	Embeddings    *EmbeddingsRequest
	Transcription *TranscriptionRequest
}

// Stats counts what the server did since it started. Load benchmarks read
// it to report model calls and tokens.
type Stats struct {
	Chat             int64
	Embeddings       int64
	Transcriptions   int64
	Rejected         int64 // refused: bad key, malformed request
	Failed           int64 // scripted failures (Fault.Status >= 400)
	PromptTokens     int64
	CompletionTokens int64
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the key the server accepts, as "Authorization: Bearer
// <key>" (OpenAI) or "api-key: <key>" (Azure OpenAI).
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithLatency delays every response by d, the artificial latency of the
// fake model. A client giving up earlier gets no response.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithSimulation configures the deterministic model that answers requests
// nothing was scripted for.
func WithSimulation(sim Simulation) Option { return func(s *Server) { s.sim = sim.withDefaults() } }

// WithoutRecording stops the server from keeping requests, so a long load
// benchmark runs in constant memory. Stats still count.
func WithoutRecording() Option { return func(s *Server) { s.record = false } }

// WithEmbeddingDimensions sets the length of embedding vectors when the
// request does not ask for a size. The default is 256.
func WithEmbeddingDimensions(n int) Option { return func(s *Server) { s.dims = n } }

// Server is a running fake. Close stops it.
type Server struct {
	srv     *httptest.Server
	apiKey  string
	latency time.Duration
	sim     Simulation
	record  bool
	dims    int
	// closing releases handlers that wait (latency, Hang) so Close never
	// blocks on them.
	closing   chan struct{}
	closeOnce sync.Once
	ids       atomic.Int64

	mu             sync.Mutex
	requests       []Request
	chatQueue      []Reply
	chatHandler    ChatHandler
	transcripts    []Transcript
	transcriber    TranscriptionHandler
	embeddingFault []Fault

	chatN, embN, trN, rejected, failed, promptTok, complTok atomic.Int64
}

// NewServer starts a fake on a loopback port.
func NewServer(opts ...Option) *Server {
	s := &Server{
		apiKey:  DefaultAPIKey,
		record:  true,
		dims:    256,
		sim:     Simulation{}.withDefaults(),
		closing: make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /v1/audio/transcriptions", s.handleTranscription)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", "")
	})
	s.srv = httptest.NewServer(s.authenticate(mux))
	return s
}

// URL is the server's root, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.srv.URL }

// BaseURL is the API base to configure clients with: URL()+"/v1", as
// https://api.openai.com/v1 is for OpenAI.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// APIKey returns the key the server accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server, releasing requests that are still waiting.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// OnChat sets the handler that answers chat completions once the queue is
// empty, replacing the simulation.
func (s *Server) OnChat(h ChatHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatHandler = h
}

// QueueChat appends replies to give, in order, to the next chat completions.
func (s *Server) QueueChat(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatQueue = append(s.chatQueue, replies...)
}

// OnTranscription sets the handler that answers transcriptions once the
// queue is empty, replacing the simulation.
func (s *Server) OnTranscription(h TranscriptionHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transcriber = h
}

// QueueTranscription appends transcripts to give, in order, to the next
// transcription requests.
func (s *Server) QueueTranscription(ts ...Transcript) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transcripts = append(s.transcripts, ts...)
}

// QueueEmbeddingFaults makes the next embedding requests fail (or wait) as
// described, in order. Successful embeddings need no script: they are
// deterministic.
func (s *Server) QueueEmbeddingFaults(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embeddingFault = append(s.embeddingFault, fs...)
}

// Requests returns the requests accepted so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ChatRequests returns the chat completion requests accepted so far.
func (s *Server) ChatRequests() []ChatRequest {
	var out []ChatRequest
	for _, r := range s.Requests() {
		if r.Chat != nil {
			out = append(out, *r.Chat)
		}
	}
	return out
}

// EmbeddingsRequests returns the embedding requests accepted so far.
func (s *Server) EmbeddingsRequests() []EmbeddingsRequest {
	var out []EmbeddingsRequest
	for _, r := range s.Requests() {
		if r.Embeddings != nil {
			out = append(out, *r.Embeddings)
		}
	}
	return out
}

// TranscriptionRequests returns the transcription requests accepted so far.
func (s *Server) TranscriptionRequests() []TranscriptionRequest {
	var out []TranscriptionRequest
	for _, r := range s.Requests() {
		if r.Transcription != nil {
			out = append(out, *r.Transcription)
		}
	}
	return out
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Chat:             s.chatN.Load(),
		Embeddings:       s.embN.Load(),
		Transcriptions:   s.trN.Load(),
		Rejected:         s.rejected.Load(),
		Failed:           s.failed.Load(),
		PromptTokens:     s.promptTok.Load(),
		CompletionTokens: s.complTok.Load(),
	}
}

func (s *Server) keep(r Request) {
	if !s.record {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// authenticate answers 401 as OpenAI does when the key is missing or wrong.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("api-key")
		if auth := r.Header.Get("Authorization"); auth != "" {
			var ok bool
			if key, ok = strings.CutPrefix(auth, "Bearer "); !ok {
				key = ""
			}
		}
		if key == "" {
			s.rejected.Add(1)
			writeError(w, http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", "")
			return
		}
		if subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
			s.rejected.Add(1)
			writeError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Fault describes a failure or a delay to inject into one response.
type Fault struct {
	// Status, when 400 or more, answers with an OpenAI error body.
	Status  int
	Message string
	// Type and Code fill the error object; defaults follow the status.
	Type string
	Code string
	// RetryAfter sets the Retry-After header (whole seconds).
	RetryAfter time.Duration
	// Body, when set, is sent verbatim (with Status, or 200) instead of
	// a well-formed response: for malformed responses.
	Body string
	// Delay waits before answering; the wait ends early if the client
	// gives up.
	Delay time.Duration
	// Hang never answers: the request ends when the client gives up or
	// the server closes. For deadline tests.
	Hang bool
}

// Fail returns a fault answering status with message.
func Fail(status int, message string) Fault { return Fault{Status: status, Message: message} }

// wait applies latency, delay and hang. It reports false when the request
// ended (client gone, server closing) before the response was due.
func (s *Server) wait(ctx context.Context, f Fault) bool {
	if f.Hang {
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		return false
	}
	d := s.latency + f.Delay
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// fail writes f when it is a failure and reports whether it did.
func (s *Server) fail(w http.ResponseWriter, f Fault) bool {
	if f.Status < 400 && f.Body == "" {
		return false
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 400 {
		s.failed.Add(1)
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	typ, code := f.Type, f.Code
	if typ == "" {
		typ = defaultErrorType(status)
	}
	if code == "" && status == http.StatusTooManyRequests {
		code = "rate_limit_exceeded"
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeError(w, status, msg, typ, code)
	return true
}

func defaultErrorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "requests"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// writeError writes OpenAI's error envelope.
func writeError(w http.ResponseWriter, status int, message, typ, code string) {
	body := map[string]any{"error": map[string]any{
		"message": message,
		"type":    typ,
		"param":   nil,
		"code":    nilIfEmpty(code),
	}}
	writeJSON(w, status, body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) nextID(prefix string) string {
	return fmt.Sprintf("%s-openaitest%06d", prefix, s.ids.Add(1))
}
