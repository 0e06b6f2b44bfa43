package webhook_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
)

// batchBody builds one POST with n text messages from n users, the shape
// Meta uses when it batches updates.
func batchBody(n int) []byte {
	var contacts, messages []string
	for i := range n {
		wa := fmt.Sprintf("3460%07d", i)
		contacts = append(contacts, fmt.Sprintf(`{"profile":{"name":"User %d"},"wa_id":"%s"}`, i, wa))
		messages = append(messages, fmt.Sprintf(`{"from":"%s","id":"wamid.bench.%d","timestamp":"1760000000","type":"text","text":{"body":"Hola, necesito ayuda con mi pedido n\u00famero %d"}}`, wa, i, i))
	}
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"contacts":[` +
		strings.Join(contacts, ",") + `],"messages":[` + strings.Join(messages, ",") + `]}}]}]}`)
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1, 100} {
		body := batchBody(n)
		b.Run(fmt.Sprintf("%d_messages", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := webhook.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandler measures a signed single-message POST through signature
// check, parsing and an in-memory server call.
func BenchmarkHandler(b *testing.B) {
	body := batchBody(1)
	sig := graphtest.Sign(testSecret, body)
	h := webhook.NewHandler(webhook.Config{VerifyToken: "v", AppSecret: testSecret}, &recorder{}, nil, discardLogger())
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
