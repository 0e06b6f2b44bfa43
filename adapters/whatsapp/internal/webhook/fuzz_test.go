package webhook_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// FuzzParse checks that no body, however odd, panics the parser, and that
// whatever it produces satisfies what the server requires.
//
//	go test -run '^$' -fuzz FuzzParse ./adapters/whatsapp/internal/webhook/
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.json"))
	if dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "..", "shared", "fixtures", "whatsapp")); err == nil {
		// The real payloads make the best seeds; they are read in place
		// when the reference material is present.
		more, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		seeds = append(seeds, more...)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":1},"messages":[{"from":1,"id":"x","type":"location","location":{"latitude":"1.5","longitude":null}}]}}]}]}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := webhook.Parse(body)
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) {
				t.Fatalf("Parse error %v is not ErrMalformed", err)
			}
			return
		}
		for _, m := range b.Messages {
			if m.GetChannelMessageId() == "" || m.GetContact().GetAddress() == "" || m.GetContact().GetChannel() != "whatsapp" || m.GetBusinessAddress() == "" {
				t.Fatalf("message without id, sender or business number: %v", m)
			}
			if m.GetKind() == relevov1.InboundKind_INBOUND_KIND_UNSPECIFIED {
				t.Fatalf("message without kind: %v", m)
			}
			if len(m.GetText()) > 64<<10 || !utf8.ValidString(m.GetText()) {
				t.Fatalf("message text of %d bytes, valid UTF-8 %v", len(m.GetText()), utf8.ValidString(m.GetText()))
			}
		}
		for _, r := range b.Receipts {
			if r.GetProviderMessageId() == "" || r.GetStatus() == relevov1.ReceiptStatus_RECEIPT_STATUS_UNSPECIFIED {
				t.Fatalf("receipt without id or status: %v", r)
			}
		}
		for _, h := range b.HumanMessages {
			if h.GetChannelMessageId() == "" || h.GetContact().GetAddress() == "" {
				t.Fatalf("human message without id or recipient: %v", h)
			}
		}
	})
}
