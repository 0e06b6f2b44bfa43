// Package message holds what a conversation message carries besides its
// text: its kind, the customer's choice, a reference to its media, the
// buttons offered with it, the template sent in its place, and the encoding
// of those details in the store's payload column.
//
// The API decodes the wire contract into these types when a message comes
// in and encodes them back when one goes out; nothing past the API sees the
// contract. Media bytes are not part of the details: the store keeps them
// apart, read only by whoever needs them (store.Store.MessageMedia).
package message

import (
	"encoding/json"
	"fmt"
)

// Kind is what a message is: for inbound messages what the customer sent,
// for outbound ones what the channel delivers.
type Kind string

// Inbound kinds.
const (
	KindText        Kind = "text"
	KindChoice      Kind = "choice" // a button or list option tapped (Details.Choice)
	KindMedia       Kind = "media"  // an image, video, document or sticker (Details.Media)
	KindAudio       Kind = "audio"  // a voice note or audio file (Details.Media)
	KindLocation    Kind = "location"
	KindContacts    Kind = "contacts"
	KindReaction    Kind = "reaction" // Details.Reaction
	KindUnsupported Kind = "unsupported"
)

// Outbound kinds (KindText too: text, with Details.Buttons when offered).
const (
	KindTemplate Kind = "template" // Details.Template
	KindMarkRead Kind = "mark_read"
)

// Choice is the option a customer picked: the id of the button as it was
// sent, and its visible title.
type Choice struct {
	ID    string `json:"id,omitempty"`
	Title string `json:"title,omitempty"`
}

// Media describes an attachment; its bytes, when the channel downloaded
// them, are stored apart from the message.
type Media struct {
	// Type: image, video, document, sticker, audio or voice.
	Type string `json:"type,omitempty"`
	// ProviderID is the channel's id of the file, for a later download.
	ProviderID string `json:"mediaId,omitempty"`
	MIMEType   string `json:"mimeType,omitempty"`
	Filename   string `json:"filename,omitempty"`
	// SHA256 of the file as the channel reports it.
	SHA256 string `json:"sha256,omitempty"`
}

// Reaction is an emoji put on an earlier message (empty: removed).
type Reaction struct {
	MessageID string `json:"messageId,omitempty"` // the channel's id of the message reacted to
	Emoji     string `json:"emoji,omitempty"`
}

// Referral is how the customer reached the business (an ad, a post).
type Referral struct {
	SourceURL  string `json:"sourceUrl,omitempty"`
	SourceType string `json:"sourceType,omitempty"`
	SourceID   string `json:"sourceId,omitempty"`
	Headline   string `json:"headline,omitempty"`
	Body       string `json:"body,omitempty"`
}

// Button is a reply button offered with a text; a tap comes back as a
// Choice with its ID.
type Button struct {
	ID    string `json:"id,omitempty"`
	Title string `json:"title,omitempty"`
}

// Template is a message approved by the channel, sent where free text may
// not be (outside the customer-service window).
type Template struct {
	Name       string   `json:"name,omitempty"`
	Language   string   `json:"language,omitempty"`
	BodyParams []string `json:"bodyParams,omitempty"`
}

// Details is what a message carries besides its kind and text. The zero
// value carries nothing.
//
// Its encoding is JSON with the field names of the contract's JSON form,
// which is what the payload column held before these types existed: rows
// stored then read the same (their other fields, such as the contact or
// the text, are ignored).
type Details struct {
	// Inbound.
	Choice              *Choice   `json:"choice,omitempty"`
	Media               *Media    `json:"media,omitempty"`
	Reaction            *Reaction `json:"reaction,omitempty"`
	Referral            *Referral `json:"referral,omitempty"`
	Forwarded           bool      `json:"forwarded,omitempty"`
	FrequentlyForwarded bool      `json:"frequentlyForwarded,omitempty"`

	// Outbound.
	Buttons  []Button  `json:"buttons,omitempty"`
	Template *Template `json:"template,omitempty"`
}

// IsZero reports whether d carries nothing.
func (d Details) IsZero() bool {
	return d.Choice == nil && d.Media == nil && d.Reaction == nil && d.Referral == nil &&
		!d.Forwarded && !d.FrequentlyForwarded && len(d.Buttons) == 0 && d.Template == nil
}

// Encode returns the payload column's bytes for d: nil when d carries
// nothing.
func (d Details) Encode() ([]byte, error) {
	if d.IsZero() {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode message details: %w", err)
	}
	return b, nil
}

// Decode reads a payload column written by Encode, or by the versions that
// stored the contract's JSON form there. Empty means no details.
func Decode(b []byte) (Details, error) {
	var d Details
	if len(b) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return Details{}, fmt.Errorf("decode message details: %w", err)
	}
	return d, nil
}

// ChoiceID is the id of the option picked, "" when d holds no choice.
func (d Details) ChoiceID() string {
	if d.Choice == nil {
		return ""
	}
	return d.Choice.ID
}
