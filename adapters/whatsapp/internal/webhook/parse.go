// Package webhook receives the WhatsApp Cloud API webhooks: it verifies
// them, turns Meta's payloads into ChannelService requests and sends those to
// the Relevo server before answering Meta.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/adapters/whatsapp/internal/mask"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Channel is the channel name the adapter uses with the server.
const Channel = "whatsapp"

// maxText is the longest text the server accepts in a message.
const maxText = 64 << 10

// ErrMalformed is returned by Parse for a body that is not a JSON object.
var ErrMalformed = errors.New("malformed webhook payload")

// Batch is what one webhook POST asks of the server, in payload order.
type Batch struct {
	// Messages are the users' messages, for HandleMessage.
	Messages []*relevov1.InboundMessage
	// Receipts are delivery statuses, for ReportDelivery.
	Receipts []*relevov1.ReportDeliveryRequest
	// HumanMessages are messages a person sent from the WhatsApp Business
	// app, for SendHumanMessage.
	HumanMessages []*relevov1.SendHumanMessageRequest
	// Notices are things worth logging that need no request: ignored
	// items, errors Meta reported, placeholders.
	Notices []Notice
}

// Notice is a log line produced while parsing.
type Notice struct {
	Level slog.Level
	Msg   string
	// Attrs are key-value pairs as for slog.Logger.Log.
	Attrs []any
}

func (b *Batch) notice(level slog.Level, msg string, attrs ...any) {
	b.Notices = append(b.Notices, Notice{Level: level, Msg: msg, Attrs: attrs})
}

// Parse reads a webhook body. Only a body that is not a JSON object is an
// error. Fields of an unexpected type are left empty with a notice and the
// rest is kept (an element missing what it needs is skipped), because
// rejecting the body would only make Meta re-deliver it for days.
func Parse(body []byte) (*Batch, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrMalformed
	}
	if b := parseRegular(trimmed); b != nil {
		return b, nil
	}
	if !json.Valid(trimmed) {
		return nil, ErrMalformed
	}
	return parseTolerant(trimmed), nil
}

// parseTolerant reads a valid JSON object one element at a time, so that
// an element of an unexpected shape costs that element only.
func parseTolerant(body []byte) *Batch {
	b := &Batch{}
	var env waEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		b.notice(slog.LevelWarn, "webhook envelope partly not understood", "err", err)
	}
	if env.Object != "" && env.Object != "whatsapp_business_account" {
		b.notice(slog.LevelWarn, "webhook for an unexpected object ignored", "object", env.Object)
		return b
	}
	for _, rawEntry := range env.Entry {
		var e waEntry
		if err := json.Unmarshal(rawEntry, &e); err != nil {
			b.notice(slog.LevelWarn, "webhook entry partly not understood", "err", err)
		}
		for _, rawChange := range e.Changes {
			var c waChange
			if err := json.Unmarshal(rawChange, &c); err != nil {
				b.notice(slog.LevelWarn, "webhook change partly not understood", "waba_id", e.ID, "err", err)
			}
			b.parseChange(e.ID, c)
		}
	}
	return b
}

// parseRegular is Parse in one pass of the decoder, for a body as Meta
// sends it: every field of its expected type, no key twice in an object.
// It returns nil for any other body (and for one that is not JSON), which
// the element-by-element reading takes, with its tolerance and its
// notices; for the bodies parseRegular reads, both give the same batch.
// Decoding each level of the payload from raw JSON scanned every message
// about a dozen times: the adapter's largest cost after net/http.
func parseRegular(body []byte) *Batch {
	var env regularEnvelope
	if json.Unmarshal(body, &env) != nil || !uniqueKeys(body) {
		return nil
	}
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			// A change without a value: the other reading notices it.
			if c.Value == nil && messagesField(c.Field) {
				return nil
			}
		}
	}
	b := &Batch{}
	if env.Object != "" && env.Object != "whatsapp_business_account" {
		b.notice(slog.LevelWarn, "webhook for an unexpected object ignored", "object", env.Object)
		return b
	}
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			if !b.readField(e.ID, c.Field) {
				continue
			}
			v := c.Value
			phoneNumberID := string(v.Metadata.PhoneNumberID)
			if !b.readPhoneNumberID(e.ID, c.Field, phoneNumberID) {
				continue
			}
			for _, we := range v.Errors {
				b.whatsappError(phoneNumberID, we)
			}
			for i := range v.Messages {
				b.message(phoneNumberID, v.Contacts, &v.Messages[i])
			}
			for i := range v.Statuses {
				b.status(phoneNumberID, &v.Statuses[i])
			}
			for i := range v.MessageEchoes {
				b.echo(phoneNumberID, &v.MessageEchoes[i])
			}
		}
	}
	return b
}

// messagesField reports whether a change's field carries messages.
func messagesField(field string) bool {
	switch field {
	case "messages", "smb_message_echoes", "message_echoes":
		return true
	}
	return false
}

// readField reports whether the change of field is read, noticing one
// that is not.
func (b *Batch) readField(wabaID, field string) bool {
	if !messagesField(field) {
		b.notice(slog.LevelDebug, "webhook field ignored", "field", field, "waba_id", wabaID)
		return false
	}
	return true
}

// readPhoneNumberID reports whether a change names the business number it
// is for, noticing one that does not.
func (b *Batch) readPhoneNumberID(wabaID, field, phoneNumberID string) bool {
	if phoneNumberID == "" {
		b.notice(slog.LevelWarn, "webhook change without metadata.phone_number_id; skipped", "field", field, "waba_id", wabaID)
		return false
	}
	return true
}

func (b *Batch) whatsappError(phoneNumberID string, e waError) {
	b.notice(slog.LevelWarn, "whatsapp reported an error", append([]any{"phone_number_id", phoneNumberID}, errorAttrs(e)...)...)
}

func (b *Batch) parseChange(wabaID string, c waChange) {
	if !b.readField(wabaID, c.Field) {
		return
	}
	var v waValue
	if err := json.Unmarshal(c.Value, &v); err != nil {
		b.notice(slog.LevelWarn, "webhook value partly not understood", "field", c.Field, "waba_id", wabaID, "err", err)
	}
	phoneNumberID := string(v.Metadata.PhoneNumberID)
	if !b.readPhoneNumberID(wabaID, c.Field, phoneNumberID) {
		return
	}
	for _, raw := range v.Errors {
		var e waError
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		b.whatsappError(phoneNumberID, e)
	}
	contacts := make([]waContact, 0, len(v.Contacts))
	for _, raw := range v.Contacts {
		var c waContact
		if json.Unmarshal(raw, &c) == nil {
			contacts = append(contacts, c)
		}
	}
	for _, raw := range v.Messages {
		b.parseMessage(phoneNumberID, contacts, raw)
	}
	for _, raw := range v.Statuses {
		b.parseStatus(phoneNumberID, raw)
	}
	for _, raw := range v.MessageEchoes {
		b.parseEcho(phoneNumberID, raw)
	}
}

func errorAttrs(e waError) []any {
	return []any{"code", int(e.Code), "title", e.Title, "details", e.ErrorData.Details}
}

func (b *Batch) parseMessage(phoneNumberID string, contacts []waContact, raw json.RawMessage) {
	var m waMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		// What did decode is kept: a message whose content has an unknown
		// shape still deserves a (polite) answer.
		b.notice(slog.LevelWarn, "message partly not understood", "phone_number_id", phoneNumberID, "wamid", m.ID, "type", m.Type, "err", err)
	}
	b.message(phoneNumberID, contacts, &m)
}

// message reads one decoded message.
func (b *Batch) message(phoneNumberID string, contacts []waContact, m *waMessage) {
	contact := messageContact(m, contacts)
	if m.ID == "" || contact.GetAddress() == "" {
		b.notice(slog.LevelWarn, "message without id or sender; skipped", "phone_number_id", phoneNumberID, "type", m.Type)
		return
	}
	for _, e := range m.Errors {
		b.notice(slog.LevelWarn, "message carries an error", append([]any{"wamid", m.ID, "type", m.Type}, errorAttrs(e)...)...)
	}

	msg := &relevov1.InboundMessage{
		Contact:          contact,
		ChannelMessageId: m.ID,
		BusinessAddress:  phoneNumberID,
		SentAt:           timestamp(m.Timestamp),
	}
	if c := m.Context; c != nil {
		msg.ReplyToMessageId = c.ID
		msg.Forwarded = c.Forwarded || c.FrequentlyForwarded
		msg.FrequentlyForwarded = c.FrequentlyForwarded
	}
	if r := m.Referral; r != nil {
		msg.Referral = &relevov1.Referral{SourceUrl: fit(r.SourceURL, 2<<10), SourceType: fit(r.SourceType, 32), SourceId: fit(r.SourceID, 256),
			Headline: fit(r.Headline, 1<<10), Body: fit(r.Body, 4<<10)}
	}

	if !b.fillContent(msg, m) {
		return
	}
	msg.Text = truncate(msg.Text, maxText)
	b.Messages = append(b.Messages, msg)
}

// fillContent sets kind, text and the kind's details. It returns false for
// messages that must not reach the server.
func (b *Batch) fillContent(msg *relevov1.InboundMessage, m *waMessage) bool {
	unsupported := func(why string) bool {
		b.notice(slog.LevelInfo, "message sent as unsupported", "wamid", m.ID, "type", m.Type, "why", why)
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED
		return true
	}
	switch m.Type {
	case "text":
		if m.Text == nil || m.Text.Body == "" {
			return unsupported("text message without text")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_TEXT
		msg.Text = m.Text.Body
	case "image", "video", "document", "sticker":
		md := map[string]*waMedia{"image": m.Image, "video": m.Video, "document": m.Document, "sticker": m.Sticker}[m.Type]
		if md == nil || md.ID == "" {
			return unsupported("media message without media")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_MEDIA
		msg.Text = md.Caption
		msg.Media = mediaOf(m.Type, md)
	case "audio", "voice":
		md := m.Audio
		if md == nil {
			md = m.Voice
		}
		if md == nil || md.ID == "" {
			return unsupported("audio message without audio")
		}
		typ := "audio"
		if md.Voice || m.Type == "voice" {
			typ = "voice"
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_AUDIO
		msg.Media = mediaOf(typ, md)
	case "location":
		if m.Location == nil || !(m.Location.Latitude.Valid && m.Location.Longitude.Valid) && m.Location.Name == "" && m.Location.Address == "" {
			return unsupported("location message without location")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_LOCATION
		msg.Text = renderLocation(m.Location)
	case "contacts":
		if len(m.Contacts) == 0 {
			return unsupported("contacts message without contacts")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_CONTACTS
		msg.Text = renderContacts(m.Contacts)
	case "interactive":
		var r *waReply
		if i := m.Interactive; i != nil {
			switch i.Type {
			case "button_reply":
				r = i.ButtonReply
			case "list_reply":
				r = i.ListReply
			}
		}
		if r == nil || r.ID == "" && r.Title == "" {
			return unsupported("interactive reply of an unknown kind")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_CHOICE
		msg.Choice = &relevov1.Choice{Id: fit(r.ID, 256), Title: fit(r.Title, 256)}
		msg.Text = r.Title
	case "button":
		if m.Button == nil || m.Button.Payload == "" && m.Button.Text == "" {
			return unsupported("button message without button")
		}
		id := m.Button.Payload
		if id == "" {
			id = m.Button.Text
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_CHOICE
		msg.Choice = &relevov1.Choice{Id: fit(id, 256), Title: fit(m.Button.Text, 256)}
		msg.Text = m.Button.Text
	case "reaction":
		if m.Reaction == nil || m.Reaction.MessageID == "" {
			return unsupported("reaction message without reaction")
		}
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_REACTION
		msg.Reaction = &relevov1.Reaction{MessageId: m.Reaction.MessageID, Emoji: m.Reaction.Emoji}
		msg.Text = m.Reaction.Emoji
	case "system":
		attrs := []any{"wamid", m.ID, "from", mask.Address(string(m.From))}
		if m.System != nil {
			attrs = append(attrs, "system_type", m.System.Type)
		}
		b.notice(slog.LevelInfo, "system message ignored", attrs...)
		return false
	case "request_welcome":
		// The user opened the chat for the first time without writing;
		// there is nothing to answer yet.
		b.notice(slog.LevelInfo, "welcome request ignored", "wamid", m.ID)
		return false
	case "unsupported":
		for _, e := range m.Errors {
			if e.Code == 131060 {
				// Meta sends the real message later with the same id, so
				// storing this placeholder would make the server drop it as
				// a duplicate.
				b.notice(slog.LevelInfo, "unavailable-message placeholder ignored; the message itself follows", "wamid", m.ID)
				return false
			}
		}
		why := "whatsapp cannot deliver this type"
		if m.Unsupported != nil && m.Unsupported.Type != "" {
			why += ": " + m.Unsupported.Type
		}
		return unsupported(why)
	default:
		return unsupported("unknown message type")
	}
	return true
}

func mediaOf(typ string, md *waMedia) *relevov1.Media {
	// The file name is the customer's; the id is Meta's and is kept whole,
	// since a cut one would fetch nothing.
	return &relevov1.Media{Type: typ, MediaId: md.ID, MimeType: fit(md.MimeType, 256), Filename: fit(md.Filename, 256), Sha256: fit(md.SHA256, 128)}
}

// messageContact finds the sender's contacts[] entry by id (never by
// position, which Meta does not guarantee) and keys the contact by wa_id, or
// by the business-scoped user id when the phone number is withheld.
func messageContact(m *waMessage, contacts []waContact) *relevov1.Contact {
	from := string(m.From)
	var found *waContact
	for i := range contacts {
		c := &contacts[i]
		if (from != "" && string(c.WaID) == from) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			found = c
			break
		}
	}
	waID, userID := from, m.FromUserID
	contact := &relevov1.Contact{Channel: Channel}
	if found != nil {
		if waID == "" {
			waID = string(found.WaID)
		}
		if userID == "" {
			userID = found.UserID
		}
		contact.DisplayName = fit(found.Profile.Name, 1<<10)
		if contact.DisplayName == "" {
			contact.DisplayName = fit(found.Profile.Username, 1<<10)
		}
	}
	contact.Address = waID
	if contact.Address == "" {
		contact.Address = userID
	}
	if isPhone(waID) {
		contact.Phone = waID
	}
	return contact
}

// isPhone reports whether s looks like a wa_id: digits only.
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

var receiptStatuses = map[string]relevov1.ReceiptStatus{
	"sent":      relevov1.ReceiptStatus_RECEIPT_STATUS_SENT,
	"delivered": relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED,
	"read":      relevov1.ReceiptStatus_RECEIPT_STATUS_READ,
	// A played voice message was necessarily read.
	"played": relevov1.ReceiptStatus_RECEIPT_STATUS_READ,
	"failed": relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED,
}

func (b *Batch) parseStatus(phoneNumberID string, raw json.RawMessage) {
	var s waStatus
	if err := json.Unmarshal(raw, &s); err != nil {
		b.notice(slog.LevelWarn, "status partly not understood", "phone_number_id", phoneNumberID, "err", err)
	}
	b.status(phoneNumberID, &s)
}

// status reads one decoded status.
func (b *Batch) status(phoneNumberID string, s *waStatus) {
	status, ok := receiptStatuses[s.Status]
	if !ok || s.ID == "" {
		b.notice(slog.LevelInfo, "status ignored", "wamid", s.ID, "status", s.Status)
		return
	}
	r := &relevov1.ReportDeliveryRequest{
		Channel:           Channel,
		ProviderMessageId: s.ID,
		Status:            status,
		Timestamp:         timestamp(s.Timestamp),
	}
	if len(s.Errors) > 0 {
		e := s.Errors[0]
		r.ErrorCode = strconv.Itoa(int(e.Code))
		r.ErrorReason = fit(errorReason(e), 1<<10)
		// Re-engagement: the 24-hour window closed before Meta delivered
		// the message; the server holds it until the user writes again.
		r.OutsideWindow = e.Code == 131047
		b.notice(slog.LevelWarn, "message delivery failed", append([]any{"wamid", s.ID, "status", s.Status}, errorAttrs(e)...)...)
	}
	b.Receipts = append(b.Receipts, r)
}

// errorReason renders an error as "title: details".
func errorReason(e waError) string {
	title := e.Title
	if title == "" {
		title = e.Message
	}
	switch d := e.ErrorData.Details; {
	case d == "" || d == title:
		return title
	case title == "":
		return d
	default:
		return strings.TrimRight(title, ". ") + ": " + d
	}
}

func (b *Batch) parseEcho(phoneNumberID string, raw json.RawMessage) {
	var e waEcho
	if err := json.Unmarshal(raw, &e); err != nil {
		b.notice(slog.LevelWarn, "message echo partly not understood", "phone_number_id", phoneNumberID, "err", err)
	}
	b.echo(phoneNumberID, &e)
}

// echo reads one decoded message echo.
func (b *Batch) echo(phoneNumberID string, e *waEcho) {
	to := string(e.To)
	contact := &relevov1.Contact{Channel: Channel, Address: to}
	if contact.Address == "" {
		contact.Address = e.ToUserID
	}
	if isPhone(to) {
		contact.Phone = to
	}
	if e.ID == "" || contact.Address == "" {
		b.notice(slog.LevelWarn, "message echo without id or recipient; skipped", "phone_number_id", phoneNumberID, "type", e.Type)
		return
	}
	var text string
	switch e.Type {
	case "edit", "revoke":
		// The first version already reached the server; a changed or
		// deleted copy on the user's phone does not change what a human
		// said there.
		b.notice(slog.LevelInfo, "message echo "+e.Type+" ignored", "wamid", e.ID, "to", mask.Address(contact.Address))
		return
	case "text":
		if e.Text == nil {
			b.notice(slog.LevelWarn, "text echo without text; skipped", "wamid", e.ID)
			return
		}
		text = e.Text.Body
	default:
		md := map[string]*waMedia{"image": e.Image, "video": e.Video, "document": e.Document, "audio": e.Audio, "sticker": e.Sticker}[e.Type]
		text = renderMediaEcho(e.Type, md)
	}
	b.HumanMessages = append(b.HumanMessages, &relevov1.SendHumanMessageRequest{
		Contact:          contact,
		ChannelMessageId: e.ID,
		BusinessAddress:  phoneNumberID,
		Text:             truncate(text, maxText),
		SentAt:           timestamp(e.Timestamp),
	})
}

// timestamp reads Meta's Unix seconds; nil lets the server use the time of
// arrival.
func timestamp(s flexString) *timestamppb.Timestamp {
	n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	return &timestamppb.Timestamp{Seconds: n}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fit cuts s to at most n bytes at a rune boundary: the contract bounds
// these fields, and a provider's long value must not make the server refuse
// the whole message.
func fit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
