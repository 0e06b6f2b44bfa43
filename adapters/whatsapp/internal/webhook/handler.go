package webhook

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/adapters/whatsapp/internal/mask"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Channels is the part of the Relevo ChannelService the webhook calls.
type Channels interface {
	HandleMessage(ctx context.Context, in *relevov1.HandleMessageRequest, opts ...grpc.CallOption) (*relevov1.HandleMessageResponse, error)
	ReportDelivery(ctx context.Context, in *relevov1.ReportDeliveryRequest, opts ...grpc.CallOption) (*relevov1.ReportDeliveryResponse, error)
	SendHumanMessage(ctx context.Context, in *relevov1.SendHumanMessageRequest, opts ...grpc.CallOption) (*relevov1.SendHumanMessageResponse, error)
}

// MediaFetcher downloads inbound media by id.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, mediaID string, limit int64) ([]byte, error)
}

// Config holds the webhook's settings.
type Config struct {
	// VerifyToken is the string configured in the Meta App Dashboard for
	// the GET handshake.
	VerifyToken string
	// AppSecret keys the X-Hub-Signature-256 HMAC.
	AppSecret string
	// SkipSignature accepts unsigned POSTs. Development only.
	SkipSignature bool
	// MaxBody is the largest body accepted, in bytes (default 4 MiB; Meta
	// sends up to 3 MB).
	MaxBody int64
	// MediaLimit is the largest voice note downloaded (default 16 MiB, the
	// server's limit).
	MediaLimit int64
	// MediaTimeout bounds one media download (default 15s).
	MediaTimeout time.Duration
	// RPCTimeout bounds the server calls of one POST (default 15s).
	RPCTimeout time.Duration
}

// Handler serves the webhook endpoint: GET for Meta's verification
// handshake, POST for notifications.
type Handler struct {
	cfg      Config
	channels Channels
	media    MediaFetcher
	log      *slog.Logger
	verifier *verifier
}

// NewHandler returns the webhook handler. media may be nil, in which case
// voice notes are passed on without their bytes.
func NewHandler(cfg Config, channels Channels, media MediaFetcher, log *slog.Logger) *Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.MediaLimit <= 0 {
		cfg.MediaLimit = 16 << 20
	}
	if cfg.MediaTimeout <= 0 {
		cfg.MediaTimeout = 15 * time.Second
	}
	if cfg.RPCTimeout <= 0 {
		cfg.RPCTimeout = 15 * time.Second
	}
	return &Handler{cfg: cfg, channels: channels, media: media, log: log, verifier: newVerifier(cfg.AppSecret)}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.notify(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers Meta's subscription handshake with the raw challenge.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || h.cfg.VerifyToken == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(h.cfg.VerifyToken)) != 1 {
		h.log.Warn("webhook verification refused", "mode", q.Get("hub.mode"))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	h.log.Info("webhook verified by Meta")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// notify checks, parses and forwards one notification. It answers 200 only
// when the server accepted everything in it, so that Meta re-delivers the
// rest; re-delivered messages are no-ops on the server.
func (h *Handler) notify(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.log.Warn("webhook body too large", "limit", h.cfg.MaxBody)
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !h.cfg.SkipSignature && !h.verifier.valid(body, r.Header.Get(SignatureHeader)) {
		h.log.Warn("webhook with a missing or wrong signature refused", "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	batch, err := Parse(body)
	if err != nil {
		h.log.Warn("malformed webhook refused", "err", err)
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	for _, n := range batch.Notices {
		h.log.Log(r.Context(), n.Level, n.Msg, n.Attrs...)
	}

	ctx := r.Context()
	if h.voiceNotesToFetch(batch.Messages) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.cfg.RPCTimeout+h.cfg.MediaTimeout)
		defer cancel()
		h.fetchVoiceNotes(ctx, batch.Messages)
	}
	if err := h.forward(ctx, batch); err != nil {
		h.log.Error("webhook not accepted by the server; Meta will retry", "err", err)
		http.Error(w, "server unavailable", http.StatusServiceUnavailable)
		return
	}
	h.log.Debug("webhook accepted", "messages", len(batch.Messages), "receipts", len(batch.Receipts), "human_messages", len(batch.HumanMessages))
	w.WriteHeader(http.StatusOK)
}

// voiceNotesToFetch reports whether fetchVoiceNotes has anything to
// download; only then does a POST need the time of the downloads on top of
// that of the server calls.
func (h *Handler) voiceNotesToFetch(msgs []*relevov1.InboundMessage) bool {
	if h.media == nil {
		return false
	}
	for _, m := range msgs {
		if m.GetKind() == relevov1.InboundKind_INBOUND_KIND_AUDIO && m.GetMedia().GetMediaId() != "" {
			return true
		}
	}
	return false
}

// fetchVoiceNotes downloads audio so that the server can transcribe it. A
// failed download leaves the message without bytes rather than losing it.
func (h *Handler) fetchVoiceNotes(ctx context.Context, msgs []*relevov1.InboundMessage) {
	if h.media == nil {
		return
	}
	for _, m := range msgs {
		if m.GetKind() != relevov1.InboundKind_INBOUND_KIND_AUDIO || m.GetMedia().GetMediaId() == "" {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, h.cfg.MediaTimeout)
		data, err := h.media.FetchMedia(dctx, m.GetMedia().GetMediaId(), h.cfg.MediaLimit)
		cancel()
		if err != nil {
			h.log.Warn("voice note not downloaded; passing it on without audio", "wamid", m.GetChannelMessageId(), "media_id", m.GetMedia().GetMediaId(), "err", err)
			continue
		}
		m.Media.Data = data
	}
}

// forward sends the batch to the server and stops at the first failure
// that a retry may fix. The messages of one contact go in payload order,
// one after the other; different contacts' go at once, so that the server
// stores them in one commit.
func (h *Handler) forward(ctx context.Context, b *Batch) error {
	rctx, cancel := context.WithTimeout(ctx, h.cfg.RPCTimeout)
	defer cancel()
	if err := h.forwardMessages(rctx, b.Messages); err != nil {
		return err
	}
	for _, hm := range b.HumanMessages {
		_, err := h.channels.SendHumanMessage(rctx, hm)
		if err := h.check(err, "SendHumanMessage", hm.GetChannelMessageId()); err != nil {
			return err
		}
		h.log.Info("message from the WhatsApp Business app recorded", "wamid", hm.GetChannelMessageId(), "to", mask.Address(hm.GetContact().GetAddress()))
	}
	for _, rcpt := range b.Receipts {
		resp, err := h.channels.ReportDelivery(rctx, rcpt)
		if err := h.check(err, "ReportDelivery", rcpt.GetProviderMessageId()); err != nil {
			return err
		}
		h.log.Debug("receipt reported", "wamid", rcpt.GetProviderMessageId(), "status", rcpt.GetStatus().String(), "matched", resp.GetMatched())
	}
	return nil
}

// forwardConcurrency is how many contacts' messages one webhook forwards
// at once.
const forwardConcurrency = 16

// forwardMessages hands msgs to the server, each contact's in order.
func (h *Handler) forwardMessages(ctx context.Context, msgs []*relevov1.InboundMessage) error {
	var byContact [][]*relevov1.InboundMessage
	index := map[string]int{}
	for _, m := range msgs {
		k := m.GetContact().GetAddress()
		i, ok := index[k]
		if !ok {
			i = len(byContact)
			index[k] = i
			byContact = append(byContact, nil)
		}
		byContact[i] = append(byContact[i], m)
	}
	send := func(ctx context.Context, ms []*relevov1.InboundMessage) error {
		for _, m := range ms {
			resp, err := h.channels.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: m})
			if err := h.check(err, "HandleMessage", m.GetChannelMessageId()); err != nil {
				return err
			}
			if h.log.Enabled(ctx, slog.LevelDebug) {
				h.log.Debug("message handed to the server", "wamid", m.GetChannelMessageId(), "from", mask.Address(m.GetContact().GetAddress()),
					"kind", m.GetKind().String(), "duplicate", resp.GetDuplicate())
			}
		}
		return nil
	}
	if len(byContact) <= 1 {
		for _, ms := range byContact {
			return send(ctx, ms)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	// A webhook may carry many contacts' messages: a few calls at a time
	// fill the server's group commit without one POST holding a stream
	// per contact.
	g.SetLimit(forwardConcurrency)
	for _, ms := range byContact {
		g.Go(func() error { return send(gctx, ms) })
	}
	return g.Wait()
}

// check decides whether an RPC error fails the webhook. The server
// rejecting a request as invalid will not change on re-delivery, so that is
// logged and skipped; anything else (unreachable, overloaded, unauthorised)
// is worth Meta's retry.
func (h *Handler) check(err error, rpc, id string) error {
	if err == nil {
		return nil
	}
	if status.Code(err) == codes.InvalidArgument {
		h.log.Error("server rejected a webhook item; skipped", "rpc", rpc, "wamid", id, "err", err)
		return nil
	}
	return fmt.Errorf("%s %s: %w", rpc, id, err)
}
