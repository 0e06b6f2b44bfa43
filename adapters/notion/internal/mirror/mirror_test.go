package mirror

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jomei/notionapi"
	"google.golang.org/grpc/codes"

	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/internal/relevotest"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/notiontest"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const dbID = "8c1e4f5a-2b3d-4e6f-9a1b-3c5d7e9f1a2b"

func newMirror(t *testing.T) (*Mirror, *notiontest.Server, *relevotest.Server) {
	t.Helper()
	fake := notiontest.New(t)
	fake.AddDatabase(dbID, notiontest.TicketSchema("select"))
	u, _ := url.Parse(fake.URL)
	api := notionapi.NewClient(notiontest.Token, notionapi.WithRetry(1),
		notionapi.WithHTTPClient(&http.Client{Transport: notionhttp.New(notionhttp.Options{BaseURL: u})}))
	desk, err := ticketdb.Open(context.Background(), api, dbID, ticketdb.DefaultNames(), ticketdb.DefaultLabels())
	if err != nil {
		t.Fatal(err)
	}
	tickets := relevotest.Start(t)
	client, err := relevo.Dial(context.Background(), tickets.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return New(client.Tickets, desk, slog.New(slog.NewTextHandler(io.Discard, nil))), fake, tickets
}

func event(typ relevov1.TicketEventType, id string, f *relevov1.TicketFollowUp) *relevov1.TicketEvent {
	return &relevov1.TicketEvent{Type: typ, Ticket: &relevov1.Ticket{Id: id}, FollowUp: f}
}

func TestHandleRecordsNotionsRefusalOnTheTicketAndClearsItOnceSynced(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿?"})
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err != nil {
		t.Fatal(err)
	}
	tickets.Close("T-1")
	fake.FailNext(notiontest.Failure{Method: http.MethodPatch, Path: "/v1/pages/*", Status: 400, Code: "validation_error",
		Message: "body failed validation: body.properties.Estado.select.name should be a string."})
	closed := event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED, "T-1", nil)
	if err := m.Handle(ctx, closed); err != nil {
		t.Fatalf("a permanent Notion error stalled the stream: %v", err)
	}
	if got := tickets.Ticket("T-1").GetLastError(); !strings.HasPrefix(got, ErrorPrefix+"validation_error") || !strings.Contains(got, "Estado") {
		t.Fatalf("last_error = %q, want Notion's code and message", got)
	}
	if err := m.Handle(ctx, closed); err != nil {
		t.Fatal(err)
	}
	page := tickets.Ticket("T-1").GetExternalRef()
	if got := fake.Text(page, "Estado"); got != "Cerrado" {
		t.Errorf("Estado = %q, want Cerrado", got)
	}
	if got := tickets.Ticket("T-1").GetLastError(); got != "" {
		t.Errorf("last_error = %q after a successful sync, want it cleared", got)
	}
}

func TestHandleReturnsRetryableErrors(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿?"})
	tickets.FailNext("GetTicket", codes.Unavailable)
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err == nil {
		t.Fatal("Handle swallowed an unavailable server; the event would be lost")
	}
	// A 500 on the create is not retried by the transport (it may have
	// created the page), so the mirror reports it and tries again later.
	fake.FailNext(notiontest.Failure{Method: http.MethodPost, Path: "/v1/pages", Status: 500})
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err == nil {
		t.Fatal("Handle swallowed a Notion outage")
	}
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err != nil {
		t.Fatal(err)
	}
	if got := fake.FindPages(dbID, "ID", "T-1"); len(got) != 1 {
		t.Errorf("pages = %v, want one", got)
	}
}

func TestFollowUpsOfTicketsNoLongerOpenAreSkipped(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿?"})
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err != nil {
		t.Fatal(err)
	}
	f := &relevov1.TicketFollowUp{MessageId: "m-9", Text: "¿hola?"}
	tickets.Close("T-1")
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP, "T-1", f)); err != nil {
		t.Fatal(err)
	}
	page := tickets.Ticket("T-1").GetExternalRef()
	for _, b := range fake.BlockTexts(page) {
		if strings.Contains(b, "¿hola?") {
			t.Fatal("a follow-up of a closed ticket was appended")
		}
	}
}

func TestErasedTicketsPageGoesToTheTrashOnce(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿Mi pedido 4711?"})
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err != nil {
		t.Fatal(err)
	}
	page := tickets.Ticket("T-1").GetExternalRef()
	tickets.Erase("T-1")
	erased := &relevov1.TicketEvent{Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
		Ticket: &relevov1.Ticket{Id: "T-1", ExternalRef: page, Status: relevov1.TicketStatus_TICKET_STATUS_OPEN}}
	if err := m.Handle(ctx, erased); err != nil {
		t.Fatal(err)
	}
	if !fake.Archived(page) {
		t.Fatal("the erased ticket's page is not archived")
	}
	// A replay after a restart reads the page and writes nothing.
	patches := fake.CountRequests(http.MethodPatch, "/v1/pages/")
	if err := m.Handle(ctx, erased); err != nil {
		t.Fatal(err)
	}
	if n := fake.CountRequests(http.MethodPatch, "/v1/pages/") - patches; n != 0 {
		t.Errorf("replaying the erased event patched the page %d more times", n)
	}
}

func TestErasedTicketNeverLinkedIsFoundByTicketID(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿Mi pedido 4711?"})
	// The page is made, then the link fails: the adapter stops here.
	tickets.FailNext("LinkTicket", codes.Unavailable)
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err == nil {
		t.Fatal("Handle swallowed an unavailable server")
	}
	pages := fake.FindPages(dbID, "ID", "T-1")
	if len(pages) != 1 {
		t.Fatalf("pages = %v, want the unlinked one", pages)
	}
	tickets.Erase("T-1")
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED, "T-1", nil)); err != nil {
		t.Fatal(err)
	}
	if !fake.Archived(pages[0]) {
		t.Error("the unlinked page of the erased ticket is not archived")
	}
}

func TestTicketErasedWhileItsPageIsMadeLeavesNoPage(t *testing.T) {
	m, fake, tickets := newMirror(t)
	ctx := context.Background()
	tickets.Open(&relevov1.Ticket{Id: "T-1", Question: "¿Mi pedido 4711?"})
	// Erased between GetTicket and LinkTicket: the link finds no ticket.
	tickets.FailNext("LinkTicket", codes.NotFound)
	if err := m.Handle(ctx, event(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, "T-1", nil)); err != nil {
		t.Fatalf("Handle = %v, want the event done", err)
	}
	if got := fake.PageIDs(dbID); len(got) != 0 {
		t.Errorf("pages left: %v, want the page archived", got)
	}
}

func TestErasedTicketWhosePageIsGoneIsDone(t *testing.T) {
	m, _, _ := newMirror(t)
	ev := &relevov1.TicketEvent{Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
		Ticket: &relevov1.Ticket{Id: "T-1", ExternalRef: "0f0e0d0c-0000-4000-8000-000000000000"}}
	if err := m.Handle(context.Background(), ev); err != nil {
		t.Fatalf("Handle = %v, want a page Notion no longer has to count as archived", err)
	}
}
