package webhook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/relevo/relevo/internal/sharedtest"
)

// sharedFixtures returns the directory of the Notion payload fixtures kept
// beside the repository, or skips the test.
func sharedFixtures(t *testing.T) string {
	t.Helper()
	return sharedtest.Dir(t, "fixtures", "notion", "payloads")
}

func TestParsePayloadReadsNotionsPayloads(t *testing.T) {
	dir := sharedFixtures(t)
	tests := []struct {
		file       string
		kind       Kind
		pageID     string
		answer     string
		hasAnswer  bool
		hasValues  bool
		eventType  string
		byBotsOnly bool
	}{
		{file: "send_webhook_button_ticket_respuesta_multipart.json", kind: KindAction, pageID: "1e4bdf9f-f5fd-802c-bb07-f9e0052a80f1",
			answer: "Los sábados atendemos de 9:00 a 14:00. Más detalles en nuestra web.", hasAnswer: true, hasValues: true},
		{file: "send_webhook_button_ticket_respuesta_empty.json", kind: KindAction, pageID: "1e4bdf9f-f5fd-8077-a1c2-d3e4f5a6b7c8",
			answer: "", hasAnswer: true, hasValues: true},
		{file: "send_webhook_automation_ticket_partial_properties.json", kind: KindAction, pageID: "1e4bdf9f-f5fd-80c9-b5d4-e3f2a1b0c9d8",
			hasAnswer: false, hasValues: true},
		{file: "integration_webhook_verification.json", kind: KindVerification},
		{file: "integration_webhook_page_created_ticket.json", kind: KindEvent, pageID: "1e4bdf9f-f5fd-8077-a1c2-d3e4f5a6b7c8",
			eventType: "page.created", byBotsOnly: true},
		{file: "integration_webhook_page_properties_updated_ticket.json", kind: KindEvent, pageID: "1e4bdf9f-f5fd-8077-a1c2-d3e4f5a6b7c8",
			eventType: "page.properties_updated"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePayload(body)
			if err != nil {
				t.Fatalf("ParsePayload: %v", err)
			}
			if p.Kind != tt.kind || p.PageID != tt.pageID || p.EventType != tt.eventType || p.ByBotsOnly != tt.byBotsOnly {
				t.Errorf("got kind %d page %q event %q bots %v, want %d %q %q %v",
					p.Kind, p.PageID, p.EventType, p.ByBotsOnly, tt.kind, tt.pageID, tt.eventType, tt.byBotsOnly)
			}
			if (p.Values != nil) != tt.hasValues {
				t.Errorf("values present = %v, want %v", p.Values != nil, tt.hasValues)
			}
			v, ok := p.Values["Respuesta"]
			if ok != tt.hasAnswer || v.Text != tt.answer {
				t.Errorf("Respuesta = %q (present %v), want %q (present %v)", v.Text, ok, tt.answer, tt.hasAnswer)
			}
			if tt.kind == KindVerification && p.VerificationToken == "" {
				t.Error("verification token not read")
			}
		})
	}
}

func TestParsePayloadReadsEveryPropertyType(t *testing.T) {
	body := `{"source":{"type":"automation","user_id":"u-1"},"data":{"object":"page","id":"1e4bdf9ff5fd802cbb07f9e0052a80f1",
	"properties":{
	  "Pregunta":{"id":"title","type":"title","title":[{"type":"text","text":{"content":"¿Hola?"},"plain_text":"¿Hola?"}]},
	  "Celular":{"id":"a","type":"phone_number","phone_number":null},
	  "ID":{"id":"b","type":"number","number":1042},
	  "Estado":{"id":"c","type":"select","select":{"name":"Enviado"}},
	  "Otro":{"id":"d","type":"place","place":{"lat":1}},
	  "Roto":{"id":"e"}
	}}}`
	p, err := ParsePayload([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Pregunta": "¿Hola?", "Celular": "", "ID": "1042", "Estado": "Enviado", "Otro": ""}
	for name, text := range want {
		if got, ok := p.Values[name]; !ok || got.Text != text {
			t.Errorf("%s = %+v, want %q", name, got, text)
		}
	}
	if _, ok := p.Values["Roto"]; ok {
		t.Error("a property without a type was kept")
	}
	if p.UserID != "u-1" {
		t.Errorf("user = %q, want the source's user_id", p.UserID)
	}
}

func TestParsePayloadRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"source":{}}`,
		`{"source":{},"data":{"id":"../../v1/users"}}`,
		`{"source":{},"data":{"object":"database","id":"1e4bdf9ff5fd802cbb07f9e0052a80f1"}}`,
		`{"verification_token":""}`,
		`{"type":"page.created","entity":{"type":"page","id":"x/y"}}`,
	} {
		if p, err := ParsePayload([]byte(body)); err == nil {
			t.Errorf("ParsePayload(%q) = %+v, want an error", body, p)
		}
	}
}

func FuzzParsePayload(f *testing.F) {
	for _, seed := range []string{
		`{"verification_token":"secret_x"}`,
		`{"source":{"type":"automation"},"data":{"object":"page","id":"1e4bdf9f-f5fd-802c-bb07-f9e0052a80f1","properties":{"Respuesta":{"type":"rich_text","rich_text":[{"plain_text":"a"},{"text":{"content":"b"}}]}}}}`,
		`{"source":{},"data":{"id":"1e4bdf9ff5fd802cbb07f9e0052a80f1","properties":{"X":{"type":"number","number":"NaN"},"Y":{"type":null}}}}`,
		`{"type":"page.properties_updated","entity":{"id":"1e4bdf9f-f5fd-8077-a1c2-d3e4f5a6b7c8","type":"page"},"authors":[{"id":"a","type":"bot"}]}`,
		`{"source":null,"data":[1,2]}`,
	} {
		f.Add([]byte(seed))
	}
	if seeds, err := os.ReadDir("testdata"); err == nil {
		for _, e := range seeds {
			if b, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePayload(body)
		if err == nil && p == nil {
			t.Fatal("nil payload without an error")
		}
		if err == nil && p.Kind == KindAction && !validID(p.PageID) {
			t.Fatalf("accepted invalid page id %q", p.PageID)
		}
	})
}

func BenchmarkParsePayload(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "action_partial.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePayload(body); err != nil {
			b.Fatal(err)
		}
	}
}
