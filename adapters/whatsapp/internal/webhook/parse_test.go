package webhook_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const seedNumber = "800000000000001"

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseToleratesVariantsOfThePayload(t *testing.T) {
	tests := []struct {
		name     string
		seed     string
		messages []*relevov1.InboundMessage
		receipts []*relevov1.ReportDeliveryRequest
		humans   []*relevov1.SendHumanMessageRequest
	}{
		{
			name: "a minimal text message with non-ASCII text is read as is",
			seed: "text_minimal.json",
			messages: []*relevov1.InboundMessage{{
				Contact: person("34600000001", "Ana"), ChannelMessageId: "wamid.seed.text", BusinessAddress: seedNumber,
				SentAt: ts(1760000000), Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "Hola, ¿a qué hora abrís?",
			}},
		},
		{
			name: "an unknown message type with numeric ids and unknown fields becomes unsupported",
			seed: "unknown_type_and_numbers.json",
			messages: []*relevov1.InboundMessage{{
				Contact: person("34600000001", "Ana"), ChannelMessageId: "wamid.seed.poll", BusinessAddress: seedNumber,
				SentAt: ts(1760000001), Kind: relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED,
			}},
		},
		{
			name: "garbled elements are skipped and a message with garbled content is still answered",
			seed: "garbled_content.json",
			messages: []*relevov1.InboundMessage{{
				Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "34600000002", Phone: "34600000002"},
				ChannelMessageId: "wamid.seed.garbled", BusinessAddress: seedNumber, Kind: relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED,
			}},
		},
		{
			name: "contacts are matched to messages by id, not by position, and keyed by business-scoped id without a phone",
			seed: "bsuid_contacts_out_of_order.json",
			messages: []*relevov1.InboundMessage{
				{
					Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "ES.100000000000000004", DisplayName: "@carlos"},
					ChannelMessageId: "wamid.seed.carlos", BusinessAddress: seedNumber, SentAt: ts(1760000004),
					Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "soy Carlos",
				},
				{
					Contact: person("34600000003", "Bea"), ChannelMessageId: "wamid.seed.bea", BusinessAddress: seedNumber, SentAt: ts(1760000005),
					Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "soy Bea",
				},
			},
		},
		{
			name: "echoes under the legacy field name become human messages, media rendered by file name",
			seed: "echoes_media_and_legacy_field.json",
			humans: []*relevov1.SendHumanMessageRequest{
				{
					Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "34600000001", Phone: "34600000001"},
					ChannelMessageId: "wamid.seed.echo.doc", BusinessAddress: seedNumber, Text: "[document: factura.pdf]", SentAt: ts(1760000006),
				},
				{
					Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "ES.100000000000000004"},
					ChannelMessageId: "wamid.seed.echo.text", BusinessAddress: seedNumber, Text: "Te escribo yo, Marta", SentAt: ts(1760000007),
				},
			},
		},
		{
			name: "statuses of one message are reported in order, error codes given as strings included",
			seed: "statuses_mixed.json",
			receipts: []*relevov1.ReportDeliveryRequest{
				{Channel: "whatsapp", ProviderMessageId: "wamid.seed.out1", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_SENT, Timestamp: ts(1760000010)},
				{Channel: "whatsapp", ProviderMessageId: "wamid.seed.out1", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED, Timestamp: ts(1760000011),
					ErrorCode: "131056", ErrorReason: "Pair rate limit hit"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := webhook.Parse(readSeed(t, tt.seed))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertProtos(t, "message", b.Messages, tt.messages)
			assertProtos(t, "receipt", b.Receipts, tt.receipts)
			assertProtos(t, "human message", b.HumanMessages, tt.humans)
		})
	}
}

func assertProtos[M proto.Message](t *testing.T, what string, got, want []M) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d %ss, want %d: %v", len(got), what, len(want), got)
		return
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s %d:\n got %v\nwant %v", what, i, got[i], want[i])
		}
	}
}

func TestParseRejectsBodiesThatAreNotJSONObjects(t *testing.T) {
	for _, body := range []string{"", "not json", "[]", `"text"`, `{"object":`, "null"} {
		t.Run(fmt.Sprintf("%q", body), func(t *testing.T) {
			if _, err := webhook.Parse([]byte(body)); !errors.Is(err, webhook.ErrMalformed) {
				t.Errorf("Parse(%q) error = %v, want ErrMalformed", body, err)
			}
		})
	}
}

func TestParseIgnoresOtherObjects(t *testing.T) {
	b, err := webhook.Parse([]byte(`{"object":"page","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"1","id":"x","type":"text","text":{"body":"hi"}}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 0 || len(b.Notices) == 0 {
		t.Errorf("a webhook for another object gave %d messages and %d notices, want none and a notice", len(b.Messages), len(b.Notices))
	}
}

func TestParseCutsOverlongTextOnACharacterBoundary(t *testing.T) {
	long := strings.Repeat("é", 40000) // 80,000 bytes
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"from":"3","id":"wamid.long","timestamp":"1","type":"text","text":{"body":%q}}]}}]}]}`, long)
	b, err := webhook.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 1 {
		t.Fatalf("got %d messages, want 1", len(b.Messages))
	}
	text := b.Messages[0].GetText()
	if len(text) > 64<<10 || len(text) < 64<<10-1 || !utf8.ValidString(text) || !strings.HasPrefix(long, text) {
		t.Errorf("text cut to %d bytes (valid UTF-8: %v), want a prefix of at most 65536 bytes", len(text), utf8.ValidString(text))
	}
}

// What a customer names (a document's file name, their profile name) can be
// longer than the contract allows: it is cut to fit, so that the server
// does not refuse the whole message, which would then go unanswered.
func TestParseFitsCustomerNamedFieldsToTheContract(t *testing.T) {
	name := strings.Repeat("ñ", 1000) // 2,000 bytes
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},`+
		`"contacts":[{"wa_id":"3","profile":{"name":%q}}],`+
		`"messages":[{"from":"3","id":"wamid.doc","timestamp":"1","type":"document","document":{"id":"m1","filename":%q,"mime_type":%q,"sha256":%q,"caption":"mira"}}]}}]}]}`,
		name, name+".pdf", "application/"+name, name)
	b, err := webhook.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 1 {
		t.Fatalf("got %d messages, want 1", len(b.Messages))
	}
	m := b.Messages[0]
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"contact.display_name", m.GetContact().GetDisplayName(), 1 << 10},
		{"media.filename", m.GetMedia().GetFilename(), 256},
		{"media.mime_type", m.GetMedia().GetMimeType(), 256},
		{"media.sha256", m.GetMedia().GetSha256(), 128},
	} {
		if len(f.v) > f.max || f.v == "" || !utf8.ValidString(f.v) {
			t.Errorf("%s: %d bytes (valid UTF-8: %v), want a prefix of at most %d", f.name, len(f.v), utf8.ValidString(f.v), f.max)
		}
	}
}
