package ticketdb

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/jomei/notionapi"

	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/notiontest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const dbID = "8c1e4f5a-2b3d-4e6f-9a1b-3c5d7e9f1a2b"

func TestSplitTextKeepsEveryPieceWithinNotionsLimit(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		parts int
	}{
		{"empty text has no pieces", "", 0},
		{"short text is one piece", "hola", 1},
		{"exactly the limit is one piece", strings.Repeat("a", MaxTextLen), 1},
		{"one over the limit is two pieces", strings.Repeat("a", MaxTextLen+1), 2},
		{"accented letters count once", strings.Repeat("á", MaxTextLen), 1},
		{"emoji count twice, as Notion counts them", strings.Repeat("😀", MaxTextLen/2+1), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitText(tt.in)
			if len(got) != tt.parts {
				t.Fatalf("%d pieces, want %d", len(got), tt.parts)
			}
			if strings.Join(got, "") != tt.in {
				t.Error("pieces do not join back to the text")
			}
			for i, p := range got {
				if n := len(utf16.Encode([]rune(p))); n > MaxTextLen {
					t.Errorf("piece %d has %d UTF-16 units", i, n)
				}
			}
		})
	}
}

func TestParagraphsSplitVeryLongMessagesIntoSeveralBlocks(t *testing.T) {
	text := strings.Repeat("x", MaxTextLen*MaxArrayLen+10) // 101 pieces + label + marker
	blocks := Paragraphs("Usuario", text, MessageMarker("m-1"))
	if len(blocks) != 2 {
		t.Fatalf("%d blocks, want 2", len(blocks))
	}
	var all strings.Builder
	for _, b := range blocks {
		rt := b.(*notionapi.ParagraphBlock).Paragraph.RichText
		if len(rt) > MaxArrayLen {
			t.Errorf("a block has %d rich text objects", len(rt))
		}
		all.WriteString(PlainText(rt))
	}
	if want := "Usuario: " + text + " " + MessageMarker("m-1"); all.String() != want {
		t.Error("blocks do not render the label, the whole text and the marker")
	}
}

func TestContactText(t *testing.T) {
	tests := []struct {
		name string
		in   *relevov1.Contact
		want string
	}{
		{"a known phone is shown in international form", &relevov1.Contact{Phone: "5215512345678", DisplayName: "Ana", Address: "x"}, "+5215512345678"},
		{"without a phone, the name and the address", &relevov1.Contact{Channel: "whatsapp", Address: "BSUID.1", DisplayName: "Ana"}, "Ana (whatsapp: BSUID.1)"},
		{"without a name, the address", &relevov1.Contact{Channel: "telegram", Address: "42"}, "telegram: 42"},
		{"no contact, nothing", nil, ""},
	}
	for _, tt := range tests {
		if got := ContactText(tt.in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func openFake(t *testing.T, schema notiontest.Schema, names Names) (*notiontest.Server, *DB, error) {
	t.Helper()
	fake := notiontest.New(t)
	fake.AddDatabase(dbID, schema)
	db, err := open(t, fake, names)
	return fake, db, err
}

// open opens the fake's ticket database.
func open(t *testing.T, fake *notiontest.Server, names Names) (*DB, error) {
	t.Helper()
	u, _ := url.Parse(fake.URL)
	api := notionapi.NewClient(notiontest.Token, notionapi.WithRetry(1),
		notionapi.WithHTTPClient(&http.Client{Transport: notionhttp.New(notionhttp.Options{BaseURL: u})}))
	return Open(context.Background(), api, dbID, names, DefaultLabels())
}

func TestOpenChecksTheDatabaseAgainstTheSettings(t *testing.T) {
	schema := notiontest.TicketSchema("status")
	withID := func(typ string) notiontest.Schema {
		s := notiontest.TicketSchema("status")
		s["ID"] = notiontest.Prop{Type: typ}
		return s
	}
	noSent := notiontest.TicketSchema("status")
	noSent["Estado"] = notiontest.Prop{Type: "status", Options: []string{"Pendiente", "Cerrado"}}
	renamed := DefaultNames()
	renamed.Answer = "Answer"
	without := DefaultNames()
	without.Contact, without.TicketID, without.Status = "", "", ""
	tests := []struct {
		name        string
		schema      notiontest.Schema
		names       Names
		wantSetting string
	}{
		{"the default database fits", schema, DefaultNames(), ""},
		{"a missing property names its setting", schema, renamed, SettingAnswer},
		{"a numeric ID column cannot hold ticket ids", withID("number"), DefaultNames(), SettingTicketID},
		{"a status property must have the labels as options", noSent, DefaultNames(), SettingStatus},
		{"optional properties may be left out", notiontest.Schema{"Pregunta": {Type: "title"}, "Respuesta": {Type: "rich_text"}}, without, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := openFake(t, tt.schema, tt.names)
			var se *SchemaError
			switch {
			case tt.wantSetting == "" && err != nil:
				t.Fatalf("Open: %v", err)
			case tt.wantSetting != "" && (!errors.As(err, &se) || se.Setting != tt.wantSetting):
				t.Fatalf("Open error = %v, want one naming %s", err, tt.wantSetting)
			}
		})
	}
}

func TestStatusIsWrittenAsTheDatabaseDefinesIt(t *testing.T) {
	for _, typ := range []string{"status", "select"} {
		t.Run(typ, func(t *testing.T) {
			fake, db, err := openFake(t, notiontest.TicketSchema(typ), DefaultNames())
			if err != nil {
				t.Fatal(err)
			}
			if db.Schema().StatusType != typ {
				t.Fatalf("detected %q, want %q", db.Schema().StatusType, typ)
			}
			ctx := context.Background()
			page, err := db.CreatePage(ctx, &relevov1.Ticket{Id: "T-1", Question: strings.Repeat("¿", 2500), Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
			if err != nil {
				t.Fatal(err)
			}
			answer := strings.Repeat("ok ", 1000)
			if err := db.Update(ctx, page, "Enviado", &answer); err != nil {
				t.Fatal(err)
			}
			p, err := db.Page(ctx, page)
			if err != nil {
				t.Fatal(err)
			}
			s := db.Schema()
			if got, _ := s.AnswerOf(p.Values); got != answer {
				t.Error("a 3,000-character answer did not round-trip")
			}
			if got := s.StatusOf(p.Values); got != "Enviado" {
				t.Errorf("status = %q, want Enviado", got)
			}
			if id, _ := s.TicketIDOf(p.Values); id != "T-1" {
				t.Errorf("ticket id = %q", id)
			}
			if found, err := db.FindPage(ctx, "T-1"); err != nil || found != page {
				t.Errorf("FindPage = %q, %v; want %q", found, err, page)
			}
			if found, err := db.FindPage(ctx, "T-2"); err != nil || found != "" {
				t.Errorf("FindPage of another ticket = %q, %v; want none", found, err)
			}
			if got := fake.Text(page, "Pregunta"); len([]rune(got)) != 2500 {
				t.Errorf("question kept %d characters, want 2500", len([]rune(got)))
			}
		})
	}
}

func TestPermanentTellsConfigurationErrorsFromOutages(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&notionapi.Error{Status: 400, Code: "validation_error"}, true},
		{&notionapi.Error{Status: 404, Code: "object_not_found"}, true},
		{&notionapi.Error{Status: 503, Code: "service_unavailable"}, false},
		{&notionapi.Error{Status: 409, Code: "conflict_error"}, false},
		{&notionapi.RateLimitedError{Message: "x"}, false},
		{errors.New("connection reset"), false},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
