// Package sender delivers Relevo's outbound messages through the WhatsApp
// Cloud API and translates Cloud API errors into retryable or permanent
// delivery failures.
package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/relevo/relevo/adapters/whatsapp/internal/graph"
	"github.com/relevo/relevo/adapters/whatsapp/internal/mask"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Limits of the Cloud API for the messages the sender builds.
const (
	maxTextLen        = 4096
	maxInteractiveLen = 1024
	maxButtons        = 3
	maxButtonTitle    = 20
	maxButtonID       = 256
)

// Cloud API error codes the sender acts on.
const (
	codeAuthException    = 0
	codeTokenExpired     = 190
	codeReengagement     = 131047
	codeRateLimit        = 130429
	codePairRateLimit    = 131056
	maxPairRateLimitWait = 15 * time.Minute
)

// retryableCodes are errors Meta documents as temporary: throughput and
// pair rate limits, app and account rate limits, unknown or temporarily
// unavailable service, and maintenance mode.
var retryableCodes = map[int]bool{
	codeRateLimit: true, codePairRateLimit: true,
	1: true, 2: true, 4: true, 80007: true,
	131000: true, 131016: true, 131057: true,
}

// Graph is the part of the Cloud API client the sender uses.
type Graph interface {
	Send(ctx context.Context, phoneNumberID string, m *graph.Message) (string, error)
	MarkRead(ctx context.Context, phoneNumberID, messageID string, typing bool) error
}

// Config holds the sender's settings.
type Config struct {
	// FallbackTemplate is sent instead of a free-form message that Meta
	// refuses because the 24-hour customer service window is closed
	// (error 131047). Empty: such messages fail permanently.
	FallbackTemplate string
	// FallbackLanguage is the language code of FallbackTemplate.
	FallbackLanguage string
}

// Sender delivers outbound messages.
type Sender struct {
	graph Graph
	cfg   Config
	log   *slog.Logger
}

// New returns a sender that calls the Cloud API through g.
func New(g Graph, cfg Config, log *slog.Logger) *Sender {
	return &Sender{graph: g, cfg: cfg, log: log}
}

// Deliver sends one outbound message and returns the Cloud API id of what
// was sent. It is a relevo.OutboundHandler; its errors are
// *relevo.DeliveryError.
func (s *Sender) Deliver(ctx context.Context, m *relevov1.OutboundMessage) (string, error) {
	if m.GetBusinessAddress() == "" {
		return "", &relevo.DeliveryError{Code: "no_business_address", Reason: "outbound message has no business_address (phone_number_id) to send from"}
	}
	if m.GetTo().GetAddress() == "" && m.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ {
		return "", &relevo.DeliveryError{Code: "no_recipient", Reason: "outbound message has no recipient address"}
	}
	switch m.GetKind() {
	case relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ:
		return "", s.markRead(ctx, m)
	case relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE:
		t := m.GetTemplate()
		if t.GetName() == "" || t.GetLanguage() == "" {
			return "", &relevo.DeliveryError{Code: "invalid_template", Reason: "template message without name or language"}
		}
		id, err := s.graph.Send(ctx, m.GetBusinessAddress(), s.templateMessage(m.GetTo(), t.GetName(), t.GetLanguage(), t.GetBodyParams()))
		if err != nil {
			return "", s.classify(err, m)
		}
		return id, nil
	case relevov1.OutboundKind_OUTBOUND_KIND_TEXT, relevov1.OutboundKind_OUTBOUND_KIND_UNSPECIFIED:
		return s.sendText(ctx, m)
	default:
		return "", &relevo.DeliveryError{Code: "unsupported_kind", Reason: fmt.Sprintf("outbound kind %v is not supported on WhatsApp", m.GetKind())}
	}
}

// markRead marks the inbound message read with the typing indicator. It is
// best effort, so its failures are never retryable.
func (s *Sender) markRead(ctx context.Context, m *relevov1.OutboundMessage) error {
	if m.GetReplyToMessageId() == "" {
		return &relevo.DeliveryError{Code: "no_message_id", Reason: "mark-read without reply_to_message_id"}
	}
	if err := s.graph.MarkRead(ctx, m.GetBusinessAddress(), m.GetReplyToMessageId(), true); err != nil {
		de := s.classify(err, m)
		de.Retryable, de.RetryAfter = false, 0
		return de
	}
	return nil
}

// sendText sends a text, split into several messages when it is longer
// than WhatsApp allows, the first one quoting reply_to_message_id and the
// last one carrying the buttons. It returns the id of the last message: a
// read receipt for it means the user has read them all.
func (s *Sender) sendText(ctx context.Context, m *relevov1.OutboundMessage) (string, error) {
	var parts []string
	buttons := s.buttons(m)
	if len(buttons) > 0 {
		// The text above buttons is limited to 1,024 characters: the end
		// of the text goes with the buttons, the rest before it as texts.
		head, tail := splitTail(m.GetText(), maxInteractiveLen)
		if tail == "" {
			return "", &relevo.DeliveryError{Code: "empty_text", Reason: "buttons without text; WhatsApp needs a text above them"}
		}
		parts = append(splitText(head, maxTextLen), tail)
	} else {
		parts = splitText(m.GetText(), maxTextLen)
	}
	if len(parts) == 0 {
		return "", &relevo.DeliveryError{Code: "empty_text", Reason: "text message without text"}
	}
	var id string
	for i, part := range parts {
		msg := s.base(m.GetTo())
		if i == 0 && m.GetReplyToMessageId() != "" {
			msg.Context = &graph.Context{MessageID: m.GetReplyToMessageId()}
		}
		if i == len(parts)-1 && len(buttons) > 0 {
			msg.Type = "interactive"
			msg.Interactive = &graph.Interactive{Type: "button", Body: graph.InteractiveBody{Text: part}, Action: graph.Action{Buttons: buttons}}
		} else {
			msg.Type = "text"
			msg.Text = &graph.Text{Body: part, PreviewURL: hasLink(part)}
		}
		sent, err := s.graph.Send(ctx, m.GetBusinessAddress(), msg)
		if err != nil {
			var ge *graph.Error
			if i == 0 && errors.As(err, &ge) && ge.Code == codeReengagement {
				return "", s.outsideWindow(ctx, m, ge)
			}
			if i > 0 {
				// A retry sends the whole text again; a duplicate first
				// part is better than a lost ending.
				s.log.Warn("long text only partly sent", "outbound_id", m.GetId(), "parts_sent", i, "parts", len(parts))
			}
			return "", s.classify(err, m)
		}
		id = sent
	}
	return id, nil
}

// outsideWindow reports a free-form message refused outside the 24-hour
// window: the server holds it until the user writes again (which reopens
// the window) and sends the profile's template meanwhile. A template
// configured here as well is sent at once, for servers whose profile has
// none.
func (s *Sender) outsideWindow(ctx context.Context, m *relevov1.OutboundMessage, cause *graph.Error) error {
	de := &relevo.DeliveryError{Code: strconv.Itoa(cause.Code), OutsideWindow: true, Err: cause,
		Reason: "outside the 24-hour customer service window (" + graphReason(cause) + "): held until the user writes again"}
	if s.cfg.FallbackTemplate == "" {
		return de
	}
	if _, err := s.graph.Send(ctx, m.GetBusinessAddress(), s.templateMessage(m.GetTo(), s.cfg.FallbackTemplate, s.cfg.FallbackLanguage, nil)); err != nil {
		s.log.Error("fallback template not sent", "outbound_id", m.GetId(), "template", s.cfg.FallbackTemplate, "err", err)
		return de
	}
	s.log.Info("outside the 24-hour window; fallback template sent", "outbound_id", m.GetId(),
		"to", mask.Address(m.GetTo().GetAddress()), "template", s.cfg.FallbackTemplate)
	return de
}

func (s *Sender) templateMessage(to *relevov1.Contact, name, lang string, params []string) *graph.Message {
	msg := s.base(to)
	msg.Type = "template"
	msg.Template = &graph.Template{Name: name, Language: graph.Language{Code: lang}}
	if len(params) > 0 {
		c := graph.Component{Type: "body"}
		for _, p := range params {
			c.Parameters = append(c.Parameters, graph.Parameter{Type: "text", Text: p})
		}
		msg.Template.Components = []graph.Component{c}
	}
	return msg
}

// buttons converts the reply buttons within WhatsApp's limits: three
// buttons, titles of 20 characters.
func (s *Sender) buttons(m *relevov1.OutboundMessage) []graph.ReplyButton {
	in := m.GetButtons()
	if len(in) > maxButtons {
		s.log.Warn("WhatsApp shows at most 3 reply buttons; the rest are dropped", "outbound_id", m.GetId(), "buttons", len(in))
		in = in[:maxButtons]
	}
	out := make([]graph.ReplyButton, 0, len(in))
	for _, b := range in {
		id := b.GetId()
		if id == "" {
			id = b.GetTitle()
		}
		out = append(out, graph.ReplyButton{Type: "reply", Reply: graph.Reply{ID: clip(id, maxButtonID), Title: clip(b.GetTitle(), maxButtonTitle)}})
	}
	return out
}

// base starts a message to the contact: by phone number when known,
// otherwise by business-scoped user id.
func (s *Sender) base(to *relevov1.Contact) *graph.Message {
	msg := &graph.Message{MessagingProduct: "whatsapp", RecipientType: "individual"}
	addr := strings.TrimPrefix(to.GetAddress(), "+")
	switch {
	case isPhone(addr):
		// With the '+', Meta never prepends the business number's country
		// code to a number it would otherwise read as national.
		msg.To = "+" + addr
	case isPhone(strings.TrimPrefix(to.GetPhone(), "+")):
		msg.To = "+" + strings.TrimPrefix(to.GetPhone(), "+")
	default:
		msg.Recipient = to.GetAddress()
	}
	return msg
}

// classify maps a Cloud API error to a delivery failure. Meta asks to act
// on the error code, using the HTTP status only as a fallback.
func (s *Sender) classify(err error, m *relevov1.OutboundMessage) *relevo.DeliveryError {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		// Network trouble or a timeout: Meta may not have seen the request.
		return &relevo.DeliveryError{Retryable: true, Code: "network", Reason: err.Error(), Err: err}
	}
	de := &relevo.DeliveryError{Code: strconv.Itoa(ge.Code), Reason: graphReason(ge), Err: err, RetryAfter: ge.RetryAfter}
	if ge.Code == 0 {
		de.Code = "http_" + strconv.Itoa(ge.HTTPStatus)
	}
	switch {
	case retryableCodes[ge.Code]:
		de.Retryable = true
		if ge.Code == codePairRateLimit && de.RetryAfter == 0 {
			de.RetryAfter = pairRateLimitWait(m.GetAttempt())
		}
	case ge.Code == codeTokenExpired || (ge.Code == codeAuthException && ge.HTTPStatus == 401):
		s.log.Error("WHATSAPP ACCESS TOKEN REJECTED: nothing can be sent until --access-token is renewed",
			"code", ge.Code, "subcode", ge.Subcode, "detail", ge.Message, "fbtrace_id", ge.FBTraceID)
	case ge.Code == codeReengagement:
		de.OutsideWindow = true
		de.Reason = "outside the 24-hour customer service window: " + de.Reason
	case ge.HTTPStatus >= 500 || ge.HTTPStatus == 429:
		de.Retryable = true
	}
	if !de.Retryable {
		de.RetryAfter = 0
	}
	return de
}

// pairRateLimitWait follows Meta's advice for the per-user rate limit
// (131056): wait 4^n seconds before the n-th retry.
func pairRateLimitWait(attempt int32) time.Duration {
	d := time.Second
	for i := int32(0); i < attempt && d < maxPairRateLimitWait; i++ {
		d *= 4
	}
	return min(d, maxPairRateLimitWait)
}

func graphReason(ge *graph.Error) string {
	switch {
	case ge.Details != "" && ge.Message != "" && ge.Details != ge.Message:
		return ge.Message + ": " + ge.Details
	case ge.Message != "":
		return ge.Message
	case ge.Details != "":
		return ge.Details
	default:
		return fmt.Sprintf("http %d", ge.HTTPStatus)
	}
}

func hasLink(s string) bool {
	return strings.Contains(s, "https://") || strings.Contains(s, "http://")
}

func isPhone(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
