package webhook

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The types below mirror the parts of Meta's webhook payload the adapter
// reads. Lists are kept as raw JSON and decoded one element at a time, so
// that one element of an unexpected shape costs that element only.

type waEnvelope struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type waEntry struct {
	ID      string            `json:"id"`
	Changes []json.RawMessage `json:"changes"`
}

type waChange struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

type waValue struct {
	Metadata      waMetadata        `json:"metadata"`
	Contacts      []json.RawMessage `json:"contacts"`
	Messages      []json.RawMessage `json:"messages"`
	Statuses      []json.RawMessage `json:"statuses"`
	Errors        []json.RawMessage `json:"errors"`
	MessageEchoes []json.RawMessage `json:"message_echoes"`
}

type waMetadata struct {
	DisplayPhoneNumber flexString `json:"display_phone_number"`
	PhoneNumberID      flexString `json:"phone_number_id"`
}

// regularEnvelope is the payload with every list typed, as parseRegular
// decodes it in one pass.
type regularEnvelope struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string        `json:"field"`
			Value *regularValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type regularValue struct {
	Metadata      waMetadata  `json:"metadata"`
	Contacts      []waContact `json:"contacts"`
	Messages      []waMessage `json:"messages"`
	Statuses      []waStatus  `json:"statuses"`
	Errors        []waError   `json:"errors"`
	MessageEchoes []waEcho    `json:"message_echoes"`
}

type waContact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID   flexString `json:"wa_id"`
	UserID string     `json:"user_id"`
}

// waHeader is the part every message has, whatever its type.
type waHeader struct {
	From       flexString `json:"from"`
	FromUserID string     `json:"from_user_id"`
	ID         string     `json:"id"`
	Timestamp  flexString `json:"timestamp"`
	Type       string     `json:"type"`
}

type waMessage struct {
	waHeader
	Context     *waContext        `json:"context"`
	Referral    *waReferral       `json:"referral"`
	Text        *waText           `json:"text"`
	Image       *waMedia          `json:"image"`
	Video       *waMedia          `json:"video"`
	Document    *waMedia          `json:"document"`
	Sticker     *waMedia          `json:"sticker"`
	Audio       *waMedia          `json:"audio"`
	Voice       *waMedia          `json:"voice"`
	Location    *waLocation       `json:"location"`
	Contacts    []waSharedContact `json:"contacts"`
	Interactive *waInteractive    `json:"interactive"`
	Button      *waButton         `json:"button"`
	Reaction    *waReaction       `json:"reaction"`
	System      *waSystem         `json:"system"`
	Unsupported *struct {
		Type string `json:"type"`
	} `json:"unsupported"`
	Errors []waError `json:"errors"`
}

type waContext struct {
	From                string `json:"from"`
	ID                  string `json:"id"`
	Forwarded           bool   `json:"forwarded"`
	FrequentlyForwarded bool   `json:"frequently_forwarded"`
}

type waReferral struct {
	SourceURL  string `json:"source_url"`
	SourceID   string `json:"source_id"`
	SourceType string `json:"source_type"`
	Headline   string `json:"headline"`
	Body       string `json:"body"`
}

type waText struct {
	Body string `json:"body"`
}

type waMedia struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
}

type waLocation struct {
	Latitude  flexFloat `json:"latitude"`
	Longitude flexFloat `json:"longitude"`
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	URL       string    `json:"url"`
}

type waSharedContact struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Org struct {
		Company string `json:"company"`
	} `json:"org"`
	Phones []struct {
		Phone string `json:"phone"`
		Type  string `json:"type"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
}

type waInteractive struct {
	Type        string   `json:"type"`
	ButtonReply *waReply `json:"button_reply"`
	ListReply   *waReply `json:"list_reply"`
}

type waReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type waButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type waReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

type waSystem struct {
	Type string `json:"type"`
	Body string `json:"body"`
}

type waError struct {
	Code      flexInt `json:"code"`
	Title     string  `json:"title"`
	Message   string  `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type waStatus struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	Timestamp       flexString `json:"timestamp"`
	RecipientID     flexString `json:"recipient_id"`
	RecipientUserID string     `json:"recipient_user_id"`
	Errors          []waError  `json:"errors"`
}

type waEcho struct {
	From      flexString `json:"from"`
	To        flexString `json:"to"`
	ToUserID  string     `json:"to_user_id"`
	ID        string     `json:"id"`
	Timestamp flexString `json:"timestamp"`
	Type      string     `json:"type"`
	Text      *waText    `json:"text"`
	Image     *waMedia   `json:"image"`
	Video     *waMedia   `json:"video"`
	Document  *waMedia   `json:"document"`
	Audio     *waMedia   `json:"audio"`
	Sticker   *waMedia   `json:"sticker"`
}

// flexString accepts a JSON string or number: Meta documents timestamps and
// ids as strings, but numbers have been seen in the wild.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*s = flexString(n.String())
	}
	// Anything else (null, objects) reads as empty rather than failing the
	// whole element.
	return nil
}

// flexInt accepts a JSON number or a numeric string.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v, _ := strconv.Atoi(string(s))
	*n = flexInt(v)
	return nil
}

// flexFloat accepts a JSON number or a numeric string.
type flexFloat struct {
	Value float64
	Valid bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v, err := strconv.ParseFloat(string(s), 64)
	*f = flexFloat{Value: v, Valid: err == nil}
	return nil
}
