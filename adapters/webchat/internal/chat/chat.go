// Package chat is the web chat adapter's HTTP side: the widget script, the
// browser API (a session with a signed visitor cookie, messages in by POST,
// replies out by Server-Sent Events, history, "seen" receipts) and the
// delivery of the server's outbound messages to the visitor's open tabs.
package chat

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/adapters/webchat/internal/hub"
	"github.com/relevo/relevo/adapters/webchat/internal/visitor"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Channel is the channel name the adapter speaks for.
const Channel = "webchat"

// MaxTabs bounds the event streams one visitor may hold open at once.
const MaxTabs = 8

// CookieName is the visitor cookie.
const CookieName = "relevo_webchat"

//go:embed widget.js
var widgetJS []byte

// Channels is the part of ChannelService the browser side calls.
type Channels interface {
	HandleMessage(ctx context.Context, in *relevov1.HandleMessageRequest, opts ...grpc.CallOption) (*relevov1.HandleMessageResponse, error)
	ReportDelivery(ctx context.Context, in *relevov1.ReportDeliveryRequest, opts ...grpc.CallOption) (*relevov1.ReportDeliveryResponse, error)
	GetChannelProfile(ctx context.Context, in *relevov1.GetChannelProfileRequest, opts ...grpc.CallOption) (*relevov1.GetChannelProfileResponse, error)
}

// History reads a visitor's conversation.
type History interface {
	GetConversation(ctx context.Context, in *relevov1.GetConversationRequest, opts ...grpc.CallOption) (*relevov1.GetConversationResponse, error)
}

// Widget is what the widget shows before the page overrides it with the
// script tag's data attributes. Company, Language and Welcome left empty
// come from the company profile on the server.
type Widget struct {
	Company   string `json:"company"`
	Language  string `json:"language"`
	Color     string `json:"color"`
	TextColor string `json:"text_color"`
	Welcome   string `json:"welcome,omitempty"`
	MaxChars  int    `json:"max_chars"`
}

// Config configures the handler.
type Config struct {
	AllowedOrigins []string
	CookieSecret   []byte
	IdentitySecret []byte
	CookieTTL      time.Duration
	Widget         Widget
	RatePerMinute  float64
	Burst          int
	// AddressRatePerMinute and AddressBurst bound the messages of all the
	// visitors of one network address together: a new anonymous visitor is
	// one request away, so the bound per visitor alone bounds nobody.
	AddressRatePerMinute float64
	AddressBurst         int
	// ClientIPHeader names the header in which the proxy in front of the
	// adapter gives the browser's address (X-Forwarded-For: its last entry,
	// the one the nearest proxy added); empty: the connection's address.
	ClientIPHeader string
	// Heartbeat is how often an idle event stream gets a comment line, so
	// that proxies keep it open (default 20s).
	Heartbeat time.Duration
}

// Handler serves the browser side and delivers outbound messages.
type Handler struct {
	cfg      Config
	origins  map[string]bool
	signer   *visitor.Signer
	channels Channels
	history  History
	hub      *hub.Hub
	limits   *limiter
	// addressLimits bounds the messages of one network address.
	addressLimits *limiter
	profile       *widgetProfile
	log           *slog.Logger
	mux           *http.ServeMux
}

// New builds the handler.
func New(cfg Config, channels Channels, history History, log *slog.Logger) *Handler {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 20 * time.Second
	}
	h := &Handler{
		cfg:           cfg,
		origins:       map[string]bool{},
		signer:        visitor.NewSigner(cfg.CookieSecret, cfg.CookieTTL),
		channels:      channels,
		history:       history,
		hub:           hub.New(),
		limits:        newLimiter(rate.Limit(cfg.RatePerMinute/60), cfg.Burst),
		addressLimits: newLimiter(rate.Limit(cfg.AddressRatePerMinute/60), cfg.AddressBurst),
		profile:       &widgetProfile{configured: cfg.Widget, channels: channels},
		log:           log,
		mux:           http.NewServeMux(),
	}
	for _, o := range cfg.AllowedOrigins {
		h.origins[o] = true
	}
	h.mux.HandleFunc("GET /widget.js", h.serveWidget)
	h.mux.HandleFunc("OPTIONS /v1/", h.preflight)
	h.mux.HandleFunc("POST /v1/session", h.api(false, h.session))
	h.mux.HandleFunc("GET /v1/history", h.api(true, h.serveHistory))
	h.mux.HandleFunc("GET /v1/events", h.api(true, h.events))
	h.mux.HandleFunc("POST /v1/messages", h.api(true, h.message))
	h.mux.HandleFunc("POST /v1/seen", h.api(true, h.seen))
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ProviderID is the provider id an outbound message is acked with. It is
// derived from Relevo's id so that "seen" receipts need no state here.
func ProviderID(outboundID string) string { return "wc_" + outboundID }

func (h *Handler) serveWidget(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(widgetJS)
}

// allowOrigin answers CORS for an allowed origin and refuses any other: the
// browser API is only for pages of the company's own sites.
func (h *Handler) allowOrigin(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if o == "" || !h.origins[o] {
		h.log.Warn("request from an origin not allowed", "origin", o, "path", r.URL.Path)
		httpError(w, http.StatusForbidden, "origin not allowed")
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", o)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	return true
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if !h.allowOrigin(w, r) {
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type apiFunc func(w http.ResponseWriter, r *http.Request, subject string)

// api wraps a browser endpoint: origin check, and unless it opens the
// session, a valid visitor cookie.
func (h *Handler) api(needVisitor bool, f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.allowOrigin(w, r) {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		subject := ""
		if c, err := r.Cookie(CookieName); err == nil {
			subject, _ = h.signer.Check(c.Value)
		}
		if needVisitor && subject == "" {
			httpError(w, http.StatusUnauthorized, "no visitor session: POST /v1/session first")
			return
		}
		f(w, r, subject)
	}
}

type sessionRequest struct {
	UserID   string `json:"user_id"`
	UserHash string `json:"user_hash"`
}

type sessionResponse struct {
	Identified bool   `json:"identified"`
	Widget     Widget `json:"widget"`
}

// session starts or resumes a visitor: a verified company user, the
// visitor of a valid cookie, or a new anonymous visitor.
func (h *Handler) session(w http.ResponseWriter, r *http.Request, subject string) {
	var req sessionRequest
	if !readJSON(w, r, 4096, &req) {
		return
	}
	if req.UserID != "" {
		s, err := visitor.VerifyUser(h.cfg.IdentitySecret, req.UserID, req.UserHash)
		if err != nil {
			h.log.Warn("identity not verified", "err", err)
			httpError(w, http.StatusForbidden, "identity not verified: "+err.Error())
			return
		}
		subject = s
	} else if subject == "" {
		subject = visitor.NewAnonymous()
	}
	cookie := &http.Cookie{
		Name: CookieName, Value: h.signer.Issue(subject), Path: "/", HttpOnly: true,
		MaxAge: int(h.cfg.CookieTTL / time.Second), SameSite: http.SameSiteLaxMode,
	}
	// A widget on another site than the adapter's needs a cross-site
	// cookie, which browsers only keep over HTTPS.
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		cookie.SameSite, cookie.Secure = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, cookie)
	writeJSON(w, http.StatusOK, sessionResponse{Identified: strings.HasPrefix(subject, visitor.UserPrefix), Widget: h.profile.widget(r.Context())})
}

// HistoryMessage is one message of the conversation as the widget shows it.
type HistoryMessage struct {
	ID        string   `json:"id"`
	Author    string   `json:"author"` // "user", "bot" or "human"
	Text      string   `json:"text"`
	Buttons   []Button `json:"buttons,omitempty"`
	CreatedAt string   `json:"created_at"`
	// Status is the delivery state of the business's messages: "sent",
	// "delivered", "read", "failed" or "pending".
	Status string `json:"status,omitempty"`
}

// Button is a reply button.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (h *Handler) serveHistory(w http.ResponseWriter, r *http.Request, subject string) {
	resp, err := h.history.GetConversation(r.Context(), &relevov1.GetConversationRequest{
		Contact:      &relevov1.Contact{Channel: Channel, Address: subject},
		MessageLimit: 200,
	})
	if status.Code(err) == codes.NotFound {
		writeJSON(w, http.StatusOK, map[string]any{"messages": []HistoryMessage{}})
		return
	}
	if err != nil {
		h.log.Error("history not read", "err", err)
		httpError(w, http.StatusBadGateway, "history unavailable")
		return
	}
	out := []HistoryMessage{}
	for _, m := range resp.GetMessages() {
		hm := HistoryMessage{ID: m.GetId(), Text: m.GetText(), CreatedAt: m.GetCreatedAt().AsTime().UTC().Format(time.RFC3339Nano)}
		switch m.GetAuthor() {
		case relevov1.Author_AUTHOR_USER:
			hm.Author = "user"
		case relevov1.Author_AUTHOR_HUMAN:
			hm.Author = "human"
		default:
			hm.Author = "bot"
		}
		if hm.Author != "user" {
			hm.Status = deliveryStatus(m.GetDeliveryStatus())
		}
		out = append(out, hm)
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func deliveryStatus(s relevov1.DeliveryStatus) string {
	switch s {
	case relevov1.DeliveryStatus_DELIVERY_STATUS_SENT:
		return "sent"
	case relevov1.DeliveryStatus_DELIVERY_STATUS_DELIVERED:
		return "delivered"
	case relevov1.DeliveryStatus_DELIVERY_STATUS_READ:
		return "read"
	case relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED:
		return "failed"
	default:
		return "pending"
	}
}

// events streams the visitor's replies and typing indicators (SSE).
func (h *Handler) events(w http.ResponseWriter, r *http.Request, subject string) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	// Each open stream holds a connection; a visitor has no use for more
	// than a handful of tabs.
	if h.hub.Count(subject) >= MaxTabs {
		httpError(w, http.StatusTooManyRequests, fmt.Sprintf("at most %d open chats per visitor", MaxTabs))
		return
	}
	sub := h.hub.Subscribe(subject)
	defer h.hub.Unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The widget reloads the history when the stream opens, so "ready"
	// comes after the subscription: nothing sent from now on is missed.
	fmt.Fprint(w, "retry: 2000\nevent: ready\ndata: {}\n\n")
	flusher.Flush()
	tick := time.NewTicker(h.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Lagged:
			// Ending the stream makes the widget reconnect and reload.
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
		}
		flusher.Flush()
	}
}

type messageRequest struct {
	// ID is the widget's id of the message; a retry sends the same one.
	ID     string  `json:"id"`
	Text   string  `json:"text"`
	Choice *Button `json:"choice,omitempty"`
}

var clientID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// message accepts one message from the visitor and answers only once the
// server has stored it: a widget that gets no answer retries with the same
// id, which the server recognises.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, subject string) {
	var req messageRequest
	if !readJSON(w, r, int64(h.cfg.Widget.MaxChars)*4+4096, &req) {
		return
	}
	if !clientID.MatchString(req.ID) {
		httpError(w, http.StatusBadRequest, "id must be 1 to 64 letters, digits, - or _")
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Choice != nil {
		// The contract bounds both in bytes (relevo.v1.Choice).
		if req.Choice.ID == "" || len(req.Choice.ID) > 256 || len(req.Choice.Title) > 256 {
			httpError(w, http.StatusBadRequest, "choice needs an id and a title of at most 256 bytes each")
			return
		}
		if req.Text == "" {
			req.Text = req.Choice.Title
		}
	}
	if req.Text == "" {
		httpError(w, http.StatusBadRequest, "text is empty")
		return
	}
	if n := utf8.RuneCountInString(req.Text); n > h.cfg.Widget.MaxChars {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("text is %d characters, at most %d", n, h.cfg.Widget.MaxChars))
		return
	}
	// A message one limit refuses costs nothing of the other: the
	// visitor's token is given back when the address has none.
	giveBack, wait := h.limits.take(subject)
	ok := giveBack != nil
	if ok && h.cfg.AddressRatePerMinute > 0 {
		if _, wait = h.addressLimits.take(h.clientAddress(r)); wait > 0 {
			giveBack()
			ok = false
		}
	}
	if !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		httpError(w, http.StatusTooManyRequests, "too many messages; wait a moment")
		return
	}
	in := &relevov1.InboundMessage{
		Contact:          &relevov1.Contact{Channel: Channel, Address: subject},
		ChannelMessageId: subject + "/" + req.ID,
		SentAt:           timestamppb.Now(),
		Kind:             relevov1.InboundKind_INBOUND_KIND_TEXT,
		Text:             req.Text,
	}
	if req.Choice != nil {
		in.Kind = relevov1.InboundKind_INBOUND_KIND_CHOICE
		in.Choice = &relevov1.Choice{Id: req.Choice.ID, Title: req.Choice.Title}
	}
	resp, err := h.channels.HandleMessage(r.Context(), &relevov1.HandleMessageRequest{Message: in})
	if err != nil {
		h.log.Error("message not accepted", "err", err)
		code := http.StatusServiceUnavailable
		if status.Code(err) == codes.InvalidArgument {
			code = http.StatusBadRequest
		}
		httpError(w, code, "message not accepted; try again")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message_id": resp.GetMessageId(), "duplicate": resp.GetDuplicate()})
}

type seenRequest struct {
	IDs []string `json:"ids"`
}

// seen reports that the visitor saw the business's messages.
func (h *Handler) seen(w http.ResponseWriter, r *http.Request, _ string) {
	var req seenRequest
	if !readJSON(w, r, 32<<10, &req) {
		return
	}
	if len(req.IDs) > 100 {
		httpError(w, http.StatusBadRequest, "at most 100 ids")
		return
	}
	for _, id := range req.IDs {
		if id == "" || len(id) > 128 {
			continue
		}
		h.reportRead(r.Context(), id)
	}
	w.WriteHeader(http.StatusNoContent)
}

// reportRead sends a READ receipt. The widget may see a message before the
// outbound stream's ack reached the server; an unmatched receipt is tried
// again for a moment.
func (h *Handler) reportRead(ctx context.Context, id string) {
	req := &relevov1.ReportDeliveryRequest{Channel: Channel, ProviderMessageId: ProviderID(id),
		Status: relevov1.ReceiptStatus_RECEIPT_STATUS_READ, Timestamp: timestamppb.Now()}
	for attempt := 0; attempt < 5; attempt++ {
		resp, err := h.channels.ReportDelivery(ctx, req)
		if err != nil {
			h.log.Warn("read receipt not reported", "id", id, "err", err)
			return
		}
		if resp.GetMatched() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond << attempt):
		}
	}
}

// Event payloads sent to the widget.
type liveMessage struct {
	ID        string   `json:"id"`
	Author    string   `json:"author"`
	Text      string   `json:"text"`
	Buttons   []Button `json:"buttons,omitempty"`
	CreatedAt string   `json:"created_at"`
}

// Deliver is the outbound handler: it shows a message in the visitor's open
// tabs and acks it. A visitor with no tab open gets it from the history
// when they come back, so it counts as sent either way.
func (h *Handler) Deliver(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
	subject := m.GetTo().GetAddress()
	switch m.GetKind() {
	case relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ:
		h.hub.Publish(subject, hub.Event{Type: "typing", Data: []byte(`{}`)})
		return "", nil
	case relevov1.OutboundKind_OUTBOUND_KIND_TEXT, relevov1.OutboundKind_OUTBOUND_KIND_UNSPECIFIED:
	default:
		return "", &relevo.DeliveryError{Code: "unsupported_kind", Reason: fmt.Sprintf("web chat cannot send %s messages", m.GetKind())}
	}
	if m.GetText() == "" {
		return "", &relevo.DeliveryError{Code: "empty", Reason: "empty text"}
	}
	lm := liveMessage{ID: m.GetId(), Author: "bot", Text: m.GetText(), CreatedAt: m.GetCreatedAt().AsTime().UTC().Format(time.RFC3339Nano)}
	for _, b := range m.GetButtons() {
		lm.Buttons = append(lm.Buttons, Button{ID: b.GetId(), Title: b.GetTitle()})
	}
	data, err := json.Marshal(lm)
	if err != nil {
		return "", &relevo.DeliveryError{Reason: "encode: " + err.Error(), Err: err}
	}
	n := h.hub.Publish(subject, hub.Event{Type: "message", Data: data})
	h.log.Debug("outbound message delivered", "outbound_id", m.GetId(), "tabs", n)
	return ProviderID(m.GetId()), nil
}

// Tabs returns how many event streams subject has open here.
func (h *Handler) Tabs(subject string) int { return h.hub.Count(subject) }

func readJSON(w http.ResponseWriter, r *http.Request, max int64, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", max))
			return false
		}
		httpError(w, http.StatusBadRequest, "body is not the expected JSON: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, reason string) {
	writeJSON(w, code, map[string]string{"error": reason})
}

// clientAddress is the browser's network address: the last entry of the
// configured proxy header, else the connection's host.
func (h *Handler) clientAddress(r *http.Request) string {
	if h.cfg.ClientIPHeader != "" {
		if v := r.Header.Values(h.cfg.ClientIPHeader); len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a := strings.TrimSpace(last); a != "" {
				return a
			}
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// limiter holds a token bucket per visitor; buckets idle for ten minutes
// are forgotten.
type limiter struct {
	mu      sync.Mutex
	r       rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{r: r, burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// take takes a token of key's bucket and returns how to give it back, or
// returns nil and how long until the bucket has one.
func (l *limiter) take(key string) (giveBack func(), wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.r, l.burst)}
		l.buckets[key] = b
	}
	b.last = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return nil, d
	}
	// Cancelled at the time it was taken: a reservation cancelled at a
	// later time than it acts gives nothing back.
	return func() { res.CancelAt(now) }, 0
}
