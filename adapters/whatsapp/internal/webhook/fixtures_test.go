package webhook_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/adapters/whatsapp/internal/graph"
	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const (
	testSecret = "fixture-secret"
	number1    = "106540352242922"
	number2    = "106540352242923"
	pywaNumber = "1122334455667"
)

func ts(sec int64) *timestamppb.Timestamp { return &timestamppb.Timestamp{Seconds: sec} }

func person(address, name string) *relevov1.Contact {
	return &relevov1.Contact{Channel: "whatsapp", Address: address, DisplayName: name, Phone: address}
}

var (
	sheena   = person("16505551234", "Sheena Nelson")
	pablo    = person("16505551234", "Pablo Morales")
	testName = person("972987654321", "Test Name")
)

func handle(m *relevov1.InboundMessage) call {
	return call{rpc: "HandleMessage", req: &relevov1.HandleMessageRequest{Message: m}}
}

func receipt(wamid string, st relevov1.ReceiptStatus, sec int64, code, reason string) call {
	return call{rpc: "ReportDelivery", req: &relevov1.ReportDeliveryRequest{
		Channel: "whatsapp", ProviderMessageId: wamid, Status: st, Timestamp: ts(sec), ErrorCode: code, ErrorReason: reason,
	}}
}

// outsideWindow marks a receipt as the closed customer-service window.
func outsideWindow(c call) call {
	c.req.(*relevov1.ReportDeliveryRequest).OutsideWindow = true
	return c
}

// voiceNote is what the fake Graph API serves for the voice note fixture.
var voiceNote = []byte("OggS\x00fake opus voice note")

// TestFixturesBecomeTheExactRequests feeds every real webhook payload in the
// shared fixtures through the handler and compares the RPCs it makes with
// the exact requests expected.
func TestFixturesBecomeTheExactRequests(t *testing.T) {
	dir := sharedDir(t, "fixtures", "whatsapp")
	const (
		read      = relevov1.ReceiptStatus_RECEIPT_STATUS_READ
		delivered = relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED
		sent      = relevov1.ReceiptStatus_RECEIPT_STATUS_SENT
		failed    = relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED
	)
	tests := map[string][]call{
		"audio_voice_note.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_AUDIO,
			Media: &relevov1.Media{Type: "voice", MediaId: "1908647269898587", MimeType: "audio/ogg; codecs=opus",
				Sha256: "wvqXMe6n7n1W0zphvLPoLj+s/NtKqmr3zZ7YzTP7xFI=", Data: voiceNote},
		})},
		"batch_multiple_messages_and_numbers.json": {
			handle(&relevov1.InboundMessage{
				Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTAxQkFUQ0gwMDAwMDAwMDAxAA==", BusinessAddress: number1,
				SentAt: ts(1749416601), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Hello?",
			}),
			handle(&relevov1.InboundMessage{
				Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTAxQkFUQ0gwMDAwMDAwMDAyAA==", BusinessAddress: number1,
				SentAt: ts(1749416602), Kind: relevov1.InboundKind_INBOUND_KIND_MEDIA, Text: "This is the broken part",
				Media: &relevov1.Media{Type: "image", MediaId: "1003383421387257", MimeType: "image/jpeg", Sha256: "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="},
			}),
			handle(&relevov1.InboundMessage{
				Contact: person("16505559876", "Pablo Morales"), ChannelMessageId: "wamid.HBgLMTY1MDU1NTk4NzYVAgASGBQzQTAxQkFUQ0gwMDAwMDAwMDAzAA==", BusinessAddress: number1,
				SentAt: ts(1749416603), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Where is my refund?",
			}),
			handle(&relevov1.InboundMessage{
				Contact: person("16505554321", "Lucia Moreno"), ChannelMessageId: "wamid.HBgLMTY1MDU1NTQzMjEVAgASGBQzQTAxQkFUQ0gwMDAwMDAwMDA0AA==", BusinessAddress: number2,
				SentAt: ts(1749416605), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Is the store open today?",
			}),
			receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA", read, 1749416604, "", ""),
		},
		"button_quick_reply.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", BusinessAddress: number1,
			SentAt: ts(1750091045), Kind: relevov1.InboundKind_INBOUND_KIND_CHOICE, Text: "Unsubscribe",
			Choice:           &relevov1.Choice{Id: "Unsubscribe", Title: "Unsubscribe"},
			ReplyToMessageId: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
		})},
		"contacts.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_CONTACTS,
			Text: "👤 Barbara J. Johnson · Social Tsunami · +1 (415) 555-0829 (MOBILE)",
		})},
		"document.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_MEDIA, Text: "my receipt",
			Media: &relevov1.Media{Type: "document", MediaId: "622684793477189", MimeType: "application/pdf", Filename: "receipt.pdf",
				Sha256: "V5OPpLD/gEG6Xjg0MbmQDLFgcKsL+j5LfY4ny/pZ4MY="},
		})},
		"errors_value_level_rate_limit.json": nil,
		"image_with_caption.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_MEDIA, Text: "Taj Mahal",
			Media: &relevov1.Media{Type: "image", MediaId: "1003383421387256", MimeType: "image/jpeg", Sha256: "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="},
		})},
		"interactive_button_reply.json": {handle(&relevov1.InboundMessage{
			Contact: pablo, ChannelMessageId: "wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQThBREYwNzc2RDc2QjA1QTIwMgA=", BusinessAddress: number1,
			SentAt: ts(1714510003), Kind: relevov1.InboundKind_INBOUND_KIND_CHOICE, Text: "Change",
			Choice:           &relevov1.Choice{Id: "change-button", Title: "Change"},
			ReplyToMessageId: "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBJBM0Y4RUU0RUNFQkFDMjYzQUMA",
		})},
		"interactive_list_reply.json": {handle(&relevov1.InboundMessage{
			Contact: pablo, ChannelMessageId: "wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTZDMzFGRUFBQjlDMzIzMzlEQwA=", BusinessAddress: number1,
			SentAt: ts(1712595443), Kind: relevov1.InboundKind_INBOUND_KIND_CHOICE, Text: "Priority Mail Express",
			Choice:           &relevov1.Choice{Id: "priority_express", Title: "Priority Mail Express"},
			ReplyToMessageId: "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBIwMjg0RkMxOEMyMkNEQUFFRDgA",
		})},
		"interactive_with_value_level_errors.json": {handle(&relevov1.InboundMessage{
			Contact: testName, ChannelMessageId: "wamid.wegrchytvwcggt=", BusinessAddress: pywaNumber,
			SentAt: ts(1700505494), Kind: relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED, ReplyToMessageId: "wamid.gvwegfretge==",
		})},
		"location.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_LOCATION,
			Text: "📍 Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301 (37.44221496582, -122.16165924072) https://philzcoffee.com/",
		})},
		"reaction.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", BusinessAddress: number1,
			SentAt: ts(1749419544), Kind: relevov1.InboundKind_INBOUND_KIND_REACTION, Text: "😀",
			Reaction: &relevov1.Reaction{MessageId: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=", Emoji: "😀"},
		})},
		"reaction_removed.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", BusinessAddress: number1,
			SentAt: ts(1749419544), Kind: relevov1.InboundKind_INBOUND_KIND_REACTION,
			Reaction: &relevov1.Reaction{MessageId: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="},
		})},
		// Edits and deletions in the Business app do not change what the
		// human already said.
		"smb_message_echoes_edit.json":   nil,
		"smb_message_echoes_revoke.json": nil,
		"smb_message_echoes_text.json": {{rpc: "SendHumanMessage", req: &relevov1.SendHumanMessageRequest{
			Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "16505551234", Phone: "16505551234"},
			ChannelMessageId: "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBIyNDlBOEI5QUQ4NDc0N0FCNjMA", BusinessAddress: number1,
			Text: "Here's the info you requested! https://www.meta.com/quest/quest-3/", SentAt: ts(1739321024),
		}}},
		"status_delivered.json":                  {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA", delivered, 1750263773, "", "")},
		"status_delivered_bsuid_no_phone.json":   {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", delivered, 1750030073, "", "")},
		"status_delivered_bsuid_with_phone.json": {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", delivered, 1750030073, "", "")},
		"status_failed.json": {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA", failed, 1751142888, "131049",
			"This message was not delivered to maintain healthy ecosystem engagement: In order to maintain a healthy ecosystem engagement, the message failed to be delivered.")},
		"status_failed_131026_undeliverable.json": {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4QUI2QjE4MTNBRjE1Nzk0NzQA", failed, 1751229100, "131026",
			"Message undeliverable: Message Undeliverable.")},
		"status_failed_131047_reengagement.json": {outsideWindow(receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBIzRjQyQTk4NTZEQzY0RTAwMTkA", failed, 1751229000, "131047",
			"Re-engagement message: More than 24 hours have passed since the recipient last replied to the sender number."))},
		// A played voice message was read.
		"status_played_voice.json": {receipt("wamid.xyzxyz", read, 1689380458, "", "")},
		"status_read_v24.json":     {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", read, 1750030073, "", "")},
		"status_sent.json":         {receipt("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", sent, 1750030073, "", "")},
		"sticker.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_MEDIA,
			Media: &relevov1.Media{Type: "sticker", MediaId: "1908647269898587", MimeType: "image/webp", Sha256: "wvqXMe6n7n1W0zphvLPoLj+s/NtKqmr3zZ7YzTP7xFI="},
		})},
		"system_user_changed_number.json": nil,
		"text.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1749416383), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Does it come in another color?",
		})},
		"text_bsuid_username_no_phone.json": {handle(&relevov1.InboundMessage{
			Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "US.13491208655302741918", DisplayName: "Sheena Nelson"},
			ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1749416383), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Does it come in another color?",
		})},
		"text_click_to_whatsapp_ad_referral.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=", BusinessAddress: number1,
			SentAt: ts(1750275992), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Can I get more info about this?",
			Referral: &relevov1.Referral{SourceUrl: "https://fb.me/3cr4Wqqkv", SourceType: "ad", SourceId: "120226305854810726",
				Headline: "Chat with us", Body: "Summer Succulents are here!"},
		})},
		"text_frequently_forwarded.json": {handle(&relevov1.InboundMessage{
			Contact: testName, ChannelMessageId: "wamid.xyzxyz", BusinessAddress: pywaNumber,
			SentAt: ts(1697044968), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "text forwarded many times",
			Forwarded: true, FrequentlyForwarded: true,
		})},
		"text_message_business_button_referred_product.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=", BusinessAddress: number1,
			SentAt: ts(1750016800), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Is this still available?",
			ReplyToMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA",
		})},
		"text_reply_with_context.json": {handle(&relevov1.InboundMessage{
			Contact: testName, ChannelMessageId: "wamid.xyzxyz", BusinessAddress: pywaNumber,
			SentAt: ts(1697044746), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "replied text", ReplyToMessageId: "wamid.xyzxyz==",
		})},
		"text_second_phone_number_id.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQzc5RDE0QkE2NTAyQkE4RjE2MgA=", BusinessAddress: number2,
			SentAt: ts(1749416500), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Hi, I need help with my order",
		})},
		// The placeholder's wamid is re-used by the real message that
		// follows; forwarding it would get that message dropped as a
		// duplicate.
		"unsupported_message_unavailable_131060.json": nil,
		"unsupported_type.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", BusinessAddress: number1,
			SentAt: ts(1750090702), Kind: relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED,
		})},
		"video.json": {handle(&relevov1.InboundMessage{
			Contact: sheena, ChannelMessageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", BusinessAddress: number1,
			SentAt: ts(1744344496), Kind: relevov1.InboundKind_INBOUND_KIND_MEDIA, Text: "Timelapse of growth",
			Media: &relevov1.Media{Type: "video", MediaId: "731675419373506", MimeType: "video/mp4", Sha256: "vdGU5X4caz12KwFgYwpljlUNqMt1YnkH+5GkPc3mMnc="},
		})},
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := tests[filepath.Base(f)]; !ok {
			t.Errorf("fixture %s has no expected requests in this test", filepath.Base(f))
		}
	}

	fake := graphtest.New(t)
	fake.AddMedia("1908647269898587", "audio/ogg; codecs=opus", voiceNote)
	media := graph.New(fake.URL, fake.Version, fake.Token, nil)

	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			h := webhook.NewHandler(webhook.Config{VerifyToken: "v", AppSecret: testSecret}, rec, media, discardLogger())
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set(webhook.SignatureHeader, graphtest.Sign(testSecret, body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", w.Code, w.Body.String())
			}
			assertCalls(t, rec.Calls(), want)
		})
	}
}

// assertCalls compares the calls made with those expected. Messages of
// different contacts are handed over at once, so only each contact's own
// messages have an order to check.
func assertCalls(t *testing.T, got, want []call) {
	t.Helper()
	got, want = byContact(got), byContact(want)
	if len(got) != len(want) {
		t.Errorf("got %d calls, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			t.Errorf("call %d missing: want %s %s", i, want[i].rpc, prototext.Format(want[i].req))
		case i >= len(want):
			t.Errorf("unexpected call %d: %s %s", i, got[i].rpc, prototext.Format(got[i].req))
		case got[i].rpc != want[i].rpc || !proto.Equal(got[i].req, want[i].req):
			t.Errorf("call %d:\n got %s %s\nwant %s %s", i, got[i].rpc, prototext.Format(got[i].req), want[i].rpc, prototext.Format(want[i].req))
		}
	}
}

// byContact orders the HandleMessage calls by contact, stably, in the
// places they hold among the calls.
func byContact(calls []call) []call {
	calls = slices.Clone(calls)
	var at []int
	var msgs []call
	for i, c := range calls {
		if c.rpc == "HandleMessage" {
			at = append(at, i)
			msgs = append(msgs, c)
		}
	}
	address := func(c call) string {
		return c.req.(*relevov1.HandleMessageRequest).GetMessage().GetContact().GetAddress()
	}
	slices.SortStableFunc(msgs, func(a, b call) int { return strings.Compare(address(a), address(b)) })
	for j, i := range at {
		calls[i] = msgs[j]
	}
	return calls
}
