package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
)

// Kind says what Notion sent.
type Kind int

const (
	// KindVerification is the one-time handshake of an integration webhook
	// subscription: {"verification_token": "..."}.
	KindVerification Kind = iota + 1
	// KindAction is the body of a "Send webhook" action of a database
	// button or automation: {"source": {...}, "data": <page>}.
	KindAction
	// KindEvent is an integration webhook event (page.created,
	// page.properties_updated, ...).
	KindEvent
)

// Payload is what the adapter reads from a webhook body.
type Payload struct {
	Kind Kind
	// VerificationToken, for KindVerification.
	VerificationToken string
	// PageID is the page the payload is about ("" for events on other
	// entities).
	PageID string
	// DatabaseID is the page's database, when the payload says.
	DatabaseID string
	// Values are the page's properties; nil when the payload has none
	// (integration events, actions without properties).
	Values ticketdb.Values
	// UserID is who acted, when the payload says.
	UserID string
	// EventID and EventType, for KindEvent.
	EventID, EventType string
	// ByBotsOnly is true for events whose authors are all integrations
	// (e.g. the adapter's own updates).
	ByBotsOnly bool
}

// ErrUnrecognised is returned for JSON that is none of the known payloads.
var ErrUnrecognised = errors.New("unrecognised notion webhook payload")

// ParsePayload reads a webhook body. It never panics, whatever the input.
func ParsePayload(body []byte) (*Payload, error) {
	var raw struct {
		VerificationToken *string `json:"verification_token"`
		Source            *struct {
			Type   string `json:"type"`
			UserID string `json:"user_id"`
		} `json:"source"`
		Data   json.RawMessage `json:"data"`
		ID     string          `json:"id"`
		Type   string          `json:"type"`
		Entity *struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"entity"`
		Authors []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"authors"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrUnrecognised)
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnrecognised, err)
	}
	switch {
	case raw.Type != "" && raw.Entity != nil:
		p := &Payload{Kind: KindEvent, EventID: raw.ID, EventType: raw.Type, ByBotsOnly: len(raw.Authors) > 0}
		for _, a := range raw.Authors {
			if a.Type != "bot" {
				p.ByBotsOnly = false
				if p.UserID == "" {
					p.UserID = a.ID
				}
			}
		}
		if raw.Entity.Type == "page" {
			if !validID(raw.Entity.ID) {
				return nil, fmt.Errorf("%w: invalid page id %q", ErrUnrecognised, raw.Entity.ID)
			}
			p.PageID = raw.Entity.ID
		}
		return p, nil
	case raw.Source != nil && len(raw.Data) > 0:
		return parseAction(raw.Source.UserID, raw.Data)
	case raw.VerificationToken != nil && raw.Source == nil:
		if *raw.VerificationToken == "" {
			return nil, fmt.Errorf("%w: empty verification token", ErrUnrecognised)
		}
		return &Payload{Kind: KindVerification, VerificationToken: *raw.VerificationToken}, nil
	}
	return nil, ErrUnrecognised
}

// parseAction reads the page of a "Send webhook" action.
func parseAction(userID string, data json.RawMessage) (*Payload, error) {
	var page struct {
		Object string `json:"object"`
		ID     string `json:"id"`
		Parent struct {
			DatabaseID string `json:"database_id"`
		} `json:"parent"`
		LastEditedBy struct {
			ID string `json:"id"`
		} `json:"last_edited_by"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, fmt.Errorf("%w: data: %w", ErrUnrecognised, err)
	}
	if page.Object != "" && page.Object != "page" {
		return nil, fmt.Errorf("%w: data is a %q, not a page", ErrUnrecognised, page.Object)
	}
	if !validID(page.ID) {
		return nil, fmt.Errorf("%w: invalid page id %q", ErrUnrecognised, page.ID)
	}
	p := &Payload{Kind: KindAction, PageID: page.ID, DatabaseID: page.Parent.DatabaseID, UserID: userID}
	if p.UserID == "" {
		// Who pressed the button is not in the documented payload; the last
		// editor is the best record available.
		p.UserID = page.LastEditedBy.ID
	}
	if page.Properties != nil {
		p.Values = ticketdb.ParseValues(page.Properties)
	}
	return p, nil
}

// validID accepts Notion ids: 32 hex digits, with or without the dashes of
// a UUID. Nothing else reaches an API URL.
func validID(id string) bool {
	hex := strings.ReplaceAll(id, "-", "")
	if len(hex) != 32 || (len(id) != 32 && len(id) != 36) {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
