package api

import (
	"net/http"
	"strings"
	"testing"
)

// A JSON body the contract cannot hold whole is refused, naming what was
// wrong, rather than taken with a part silently left at its default: a
// misspelled enum name would otherwise turn a receipt "read" into one of
// no status, or a voice note into text.
func TestRESTBodiesWithUnknownNamesAreRefusedNamingThem(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct{ name, path, body, want string }{
		{"an enum name", "/v1/messages",
			`{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-enum","kind":"INBOUND_KIND_TEXTO","text":"hola"}}`,
			"kind"},
		{"an enum name in snake case", "/v1/receipts",
			`{"channel":"whatsapp","provider_message_id":"wamid.1","status":"RECEIPT_STATUS_RED"}`,
			"status"},
		{"an unknown field", "/v1/messages",
			`{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-field","txt":"hola"}}`,
			"txt"},
		{"an unknown top-level field", "/v1/knowledge:search", `{"query":"hola","limt":3}`, "limt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := restCall(t, "POST", ts.httpURL+tc.path, "", tc.body)
			msg, _ := out["message"].(string)
			if code != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
				t.Fatalf("status %d %q, want 400 naming %q", code, msg, tc.want)
			}
		})
	}
	// Enum values by number and known names still pass.
	for _, body := range []string{
		`{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-ok1","kind":"INBOUND_KIND_TEXT","text":"hola"}}`,
		`{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-ok2","kind":1,"text":"hola"}}`,
	} {
		if code, out := restCall(t, "POST", ts.httpURL+"/v1/messages", "", body); code != http.StatusOK {
			t.Fatalf("%s: status %d %v, want 200", body, code, out)
		}
	}
}

// A JSON string escape that is half of a UTF-16 pair stands for no
// character: the caller is told which field holds it, not that the body
// ended early.
func TestRESTUnpairedSurrogatesAreRefusedNamingTheField(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct{ name, body, want string }{
		{"a high half at the end", `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-s1","text":"hola \ud800"}}`, "message.text"},
		{"a high half before text", `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-s2","text":"\ud800hola mundo"}}`, "message.text"},
		{"a low half alone", `{"message":{"contact":{"channel":"webchat","address":"u1","displayName":"\udc00"},"channelMessageId":"m-s3","text":"hola"}}`, "message.contact.displayName"},
		{"bytes that are not UTF-8", `{"message":{"contact":{"channel":"webchat","address":"u1","display_name":"` + "\xff\xfe" + `"},"channelMessageId":"m-s4","text":"hola"}}`, "message.contact.display_name"},
		{"two high halves", `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"\ud83d\ud83d","text":"hola"}}`, "message.channelMessageId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := restCall(t, "POST", ts.httpURL+"/v1/messages", "", tc.body)
			msg, _ := out["message"].(string)
			if code != http.StatusBadRequest || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "not valid UTF-8") {
				t.Fatalf("status %d %q, want 400 naming %s, not valid UTF-8", code, msg, tc.want)
			}
		})
	}
	// A pair is one character.
	body := `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-pair","text":"hola \ud83d\ude00"}}`
	if code, out := restCall(t, "POST", ts.httpURL+"/v1/messages", "", body); code != http.StatusOK {
		t.Fatalf("a surrogate pair: status %d %v, want 200", code, out)
	}
}
