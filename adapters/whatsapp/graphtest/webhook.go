package graphtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Sign returns the X-Hub-Signature-256 value Meta sends with body: the
// HMAC-SHA256 of the raw bytes keyed with the app secret, as sha256=<hex>.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// NewWebhookRequest builds a signed webhook POST of body to url, as Meta
// delivers it.
func NewWebhookRequest(url, appSecret string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", Sign(appSecret, body))
	return req, nil
}

// Business identifies the receiving business number of a webhook.
type Business struct {
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
}

// DefaultBusiness is Meta's documented dummy business.
var DefaultBusiness = Business{WABAID: "102290129340398", PhoneNumberID: "106540352242922", DisplayPhoneNumber: "15550783881"}

func envelope(b Business, field string, value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]string{"display_phone_number": b.DisplayPhoneNumber, "phone_number_id": b.PhoneNumberID}
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{
			"id":      b.WABAID,
			"changes": []any{map[string]any{"field": field, "value": value}},
		}},
	})
	return body
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// TextWebhook builds the compact webhook body of a text message from the
// user with phone number waID and profile name.
func TextWebhook(b Business, waID, name, wamid, text string, at time.Time) []byte {
	return envelope(b, "messages", map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]string{"name": name}, "wa_id": waID}},
		"messages": []any{map[string]any{
			"from": waID, "id": wamid, "timestamp": unix(at), "type": "text",
			"text": map[string]string{"body": text},
		}},
	})
}

// VoiceNoteWebhook builds the webhook body of a voice note, whose audio is
// downloadable by its media id (see Server.AddMedia).
func VoiceNoteWebhook(b Business, waID, name, wamid, mediaID, mimeType string, at time.Time) []byte {
	return envelope(b, "messages", map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]string{"name": name}, "wa_id": waID}},
		"messages": []any{map[string]any{
			"from": waID, "id": wamid, "timestamp": unix(at), "type": "audio",
			"audio": map[string]any{"id": mediaID, "mime_type": mimeType, "voice": true},
		}},
	})
}

// ButtonReplyWebhook builds the webhook body of a tap on a reply button.
func ButtonReplyWebhook(b Business, waID, name, wamid, buttonID, title string, at time.Time) []byte {
	return envelope(b, "messages", map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]string{"name": name}, "wa_id": waID}},
		"messages": []any{map[string]any{
			"from": waID, "id": wamid, "timestamp": unix(at), "type": "interactive",
			"interactive": map[string]any{
				"type":         "button_reply",
				"button_reply": map[string]string{"id": buttonID, "title": title},
			},
		}},
	})
}

// StatusWebhook builds the webhook body of a delivery status ("sent",
// "delivered", "read") of an outgoing message.
func StatusWebhook(b Business, wamid, status, recipientWaID string, at time.Time) []byte {
	return envelope(b, "messages", map[string]any{
		"statuses": []any{map[string]any{
			"id": wamid, "status": status, "timestamp": unix(at), "recipient_id": recipientWaID,
		}},
	})
}

// FailedStatusWebhook builds the webhook body of a failed outgoing message
// with a Cloud API error code.
func FailedStatusWebhook(b Business, wamid, recipientWaID string, code int, title, details string, at time.Time) []byte {
	return envelope(b, "messages", map[string]any{
		"statuses": []any{map[string]any{
			"id": wamid, "status": "failed", "timestamp": unix(at), "recipient_id": recipientWaID,
			"errors": []any{map[string]any{
				"code": code, "title": title, "message": title,
				"error_data": map[string]string{"details": details},
			}},
		}},
	})
}

// EchoWebhook builds the smb_message_echoes body of a text a person sent
// from the WhatsApp Business app to the user waID.
func EchoWebhook(b Business, waID, wamid, text string, at time.Time) []byte {
	return envelope(b, "smb_message_echoes", map[string]any{
		"message_echoes": []any{map[string]any{
			"from": b.DisplayPhoneNumber, "to": waID, "id": wamid, "timestamp": unix(at), "type": "text",
			"text": map[string]string{"body": text},
		}},
	})
}
