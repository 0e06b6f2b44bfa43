package message

import (
	"reflect"
	"testing"
)

func TestNothingToCarryIsNoPayload(t *testing.T) {
	b, err := Details{}.Encode()
	if err != nil || b != nil {
		t.Fatalf("Encode of no details = %q, %v; want nil", b, err)
	}
	d, err := Decode(nil)
	if err != nil || !d.IsZero() {
		t.Fatalf("Decode(nil) = %+v, %v; want no details", d, err)
	}
}

func TestDetailsRoundTrip(t *testing.T) {
	for _, d := range []Details{
		{Choice: &Choice{ID: "relevo.feedback.yes", Title: "Sí, gracias"}},
		{Media: &Media{Type: "voice", ProviderID: "m-1", MIMEType: "audio/ogg; codecs=opus", Filename: "a.ogg", SHA256: "abc"}, Forwarded: true},
		{Reaction: &Reaction{MessageID: "wamid.1", Emoji: "👍"}, Referral: &Referral{SourceURL: "https://example.com", SourceType: "ad"}},
		{Buttons: []Button{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}},
		{Template: &Template{Name: "respuesta", Language: "es", BodyParams: []string{"uno"}}, FrequentlyForwarded: true},
	} {
		b, err := d.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil || !reflect.DeepEqual(got, d) {
			t.Errorf("round trip of %+v: %+v, %v (%s)", d, got, err, b)
		}
	}
}

// What the payload column held before: the contract's JSON form of the
// whole message, with the spaces its encoder adds at random, the text and
// contact beside the details and a voice note's bytes in base64.
func TestDecodeReadsTheContractsJSONForm(t *testing.T) {
	legacy := `{"contact":{"channel":"whatsapp", "address":"569"}, "channelMessageId":"wamid.1", "sentAt":"2025-03-01T12:00:00Z",` +
		` "kind":"INBOUND_KIND_AUDIO", "text":"", "media":{"type":"voice", "mediaId":"m-1", "mimeType":"audio/ogg", "data":"T2dnUw=="},` +
		` "forwarded":true}`
	d, err := Decode([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	want := Details{Media: &Media{Type: "voice", ProviderID: "m-1", MIMEType: "audio/ogg"}, Forwarded: true}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Decode = %+v, want %+v", d, want)
	}
}

func TestACorruptPayloadIsAnError(t *testing.T) {
	if _, err := Decode([]byte(`{"choice":`)); err == nil {
		t.Fatal("Decode of a truncated payload succeeded")
	}
}
