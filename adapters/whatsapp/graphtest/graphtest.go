// Package graphtest is a fake WhatsApp Cloud API for tests: an
// httptest server that speaks the Graph API wire format for sending
// messages, marking them read and downloading media, records every request
// exactly as received, and answers with scripted errors when told to. It also
// builds and signs webhook payloads the way Meta does.
package graphtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Defaults used by New.
const (
	DefaultToken   = "test-access-token"
	DefaultVersion = "v24.0"
)

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the URL path, e.g. /v24.0/106540352242922/messages.
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// JSON decodes the body into a generic value, for comparisons that ignore
// key order and whitespace.
func (r Request) JSON() (map[string]any, error) {
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return nil, fmt.Errorf("request body is not a JSON object: %w", err)
	}
	return v, nil
}

// Response is a scripted answer to one messages call.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// ErrorResponse builds a Graph API error answer as Meta sends it, e.g.
// ErrorResponse(400, 131047, "Re-engagement message", "More than 24 hours...").
func ErrorResponse(httpStatus, code int, title, details string) Response {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message":    fmt.Sprintf("(#%d) %s", code, title),
		"type":       "OAuthException",
		"code":       code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "AFakeTraceId",
	}})
	return Response{Status: httpStatus, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

type media struct {
	mimeType string
	data     []byte
}

// Server is the fake Cloud API. Its zero value is not usable; call New.
type Server struct {
	// URL is the base URL to configure as the Graph URL.
	URL string
	// Token is the access token the fake accepts.
	Token string
	// Version is the API version the fake serves, e.g. v24.0.
	Version string

	srv      *httptest.Server
	mu       sync.Mutex
	requests []Request
	script   []Response
	media    map[string]media
	sent     int
	changed  chan struct{}
}

// Option configures New.
type Option func(*Server)

// WithToken sets the access token the fake accepts.
func WithToken(token string) Option { return func(s *Server) { s.Token = token } }

// WithVersion sets the API version the fake serves.
func WithVersion(v string) Option { return func(s *Server) { s.Version = v } }

// New starts a fake Cloud API and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Cloud API outside a test (the adapter conformance
// command); Close stops it.
func Start(opts ...Option) *Server {
	s := &Server{Token: DefaultToken, Version: DefaultVersion, media: map[string]media{}, changed: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// Queue scripts the answers of the next calls to POST .../messages (sends
// and read receipts), in order. Calls beyond the script succeed.
func (s *Server) Queue(responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, responses...)
}

// AddMedia makes a media id downloadable.
func (s *Server) AddMedia(id, mimeType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = media{mimeType: mimeType, data: data}
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// MessageRequests returns the POST .../messages requests received so far.
func (s *Server) MessageRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/messages") {
			out = append(out, r)
		}
	}
	return out
}

// WaitMessageRequests blocks until at least n POST .../messages requests
// arrived, or ctx ends.
func (s *Server) WaitMessageRequests(ctx context.Context, n int) ([]Request, error) {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if got := s.MessageRequests(); len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s.MessageRequests(), fmt.Errorf("waiting for %d message requests: %w", n, ctx.Err())
		}
	}
}

func (s *Server) record(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
	})
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.record(r, body)

	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		write(w, Response{Status: http.StatusUnauthorized, Body: `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"AFakeTraceId"}}`})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == s.Version && parts[2] == "messages":
		s.serveMessages(w, r, body)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == s.Version:
		s.serveMediaInfo(w, parts[1])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "media":
		s.serveMediaDownload(w, parts[1])
	default:
		write(w, ErrorResponse(http.StatusBadRequest, 100, "Unknown path components", "unsupported request: "+r.Method+" "+r.URL.Path))
	}
}

func (s *Server) serveMessages(w http.ResponseWriter, r *http.Request, body []byte) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		write(w, ErrorResponse(http.StatusBadRequest, 100, "Invalid parameter", "Content-Type must be application/json"))
		return
	}
	var req struct {
		MessagingProduct string `json:"messaging_product"`
		To               string `json:"to"`
		Recipient        string `json:"recipient"`
		Status           string `json:"status"`
		MessageID        string `json:"message_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MessagingProduct != "whatsapp" {
		write(w, ErrorResponse(http.StatusBadRequest, 100, "Invalid parameter", "messaging_product must be whatsapp"))
		return
	}
	s.mu.Lock()
	var scripted *Response
	if len(s.script) > 0 {
		scripted = &s.script[0]
		s.script = s.script[1:]
	}
	s.sent++
	n := s.sent
	s.mu.Unlock()
	if scripted != nil {
		write(w, *scripted)
		return
	}
	if req.Status == "read" {
		write(w, Response{Status: http.StatusOK, Body: `{"success":true}`})
		return
	}
	contact := map[string]string{"input": req.To, "wa_id": strings.TrimPrefix(req.To, "+")}
	if req.To == "" {
		contact = map[string]string{"input": req.Recipient, "user_id": req.Recipient}
	}
	resp, _ := json.Marshal(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{contact},
		"messages":          []any{map[string]string{"id": MessageID(n)}},
	})
	write(w, Response{Status: http.StatusOK, Body: string(resp)})
}

// MessageID is the id the fake gives to the n-th messages call (counting
// from 1, scripted answers included).
func MessageID(n int) string { return "wamid.FAKE" + strconv.Itoa(n) }

func (s *Server) serveMediaInfo(w http.ResponseWriter, id string) {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		write(w, ErrorResponse(http.StatusNotFound, 100, "Invalid parameter", "Unsupported get request. Object with ID '"+id+"' does not exist"))
		return
	}
	sum := sha256.Sum256(m.data)
	resp, _ := json.Marshal(map[string]any{
		"messaging_product": "whatsapp",
		"url":               s.URL + "/media/" + id,
		"mime_type":         m.mimeType,
		"sha256":            hex.EncodeToString(sum[:]),
		"file_size":         strconv.Itoa(len(m.data)),
		"id":                id,
	})
	write(w, Response{Status: http.StatusOK, Body: string(resp)})
}

func (s *Server) serveMediaDownload(w http.ResponseWriter, id string) {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", m.mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}

func write(w http.ResponseWriter, resp Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, resp.Body)
}
