package channelkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// The desk side of the kit: a ticket desk adapter (Notion) follows
// StreamTicketEvents into its own items and turns a specialist's "send" into
// AnswerTicket. The fake server keeps a ticket log for it.

// deskState is the fake TicketService's data, guarded by Server.mu.
type deskState struct {
	tickets   map[string]*relevov1.Ticket
	events    []*relevov1.TicketEvent
	links     map[string][]string // ticket id → external refs linked, in order
	answers   []*relevov1.AnswerTicketRequest
	answer    gate // AnswerTicket
	eventSubs int
	eventBrk  chan struct{}
}

func (s *Server) desk() *deskState {
	if s.dsk == nil {
		s.dsk = &deskState{tickets: map[string]*relevov1.Ticket{}, links: map[string][]string{}, eventBrk: make(chan struct{})}
	}
	return s.dsk
}

// OpenTicket adds an open ticket and its CREATED event.
func (s *Server) OpenTicket(id, question string, contact *relevov1.Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.desk()
	now := timestamppb.Now()
	t := &relevov1.Ticket{Id: id, ConversationId: "conv-" + id, Contact: contact, Question: question,
		Status: relevov1.TicketStatus_TICKET_STATUS_OPEN, HandoffReason: "not in the knowledge base", CreatedAt: now, UpdatedAt: now}
	d.tickets[id] = t
	s.appendEvent(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, t)
}

// appendEvent logs an event; called with mu held.
func (s *Server) appendEvent(typ relevov1.TicketEventType, t *relevov1.Ticket) {
	d := s.desk()
	d.events = append(d.events, &relevov1.TicketEvent{Sequence: int64(len(d.events) + 1), Type: typ,
		Ticket: proto.Clone(t).(*relevov1.Ticket), CreatedAt: timestamppb.Now()})
	s.notify()
}

// StreamTicketEvents implements TicketService.
func (s *Server) StreamTicketEvents(req *relevov1.StreamTicketEventsRequest, stream relevov1.TicketService_StreamTicketEventsServer) error {
	s.mu.Lock()
	d := s.desk()
	d.eventSubs++
	brk := d.eventBrk
	s.notify()
	s.mu.Unlock()
	next := req.GetAfterSequence()
	for {
		s.mu.Lock()
		var batch []*relevov1.TicketEvent
		for _, ev := range s.desk().events {
			if ev.GetSequence() > next {
				batch = append(batch, ev)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		for _, ev := range batch {
			if err := stream.Send(&relevov1.StreamTicketEventsResponse{Event: ev}); err != nil {
				return err
			}
			next = ev.GetSequence()
		}
		select {
		case <-ch:
		case <-brk:
			return status.Error(codes.Unavailable, "event stream broken on purpose by the conformance kit")
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}

// GetTicket implements TicketService.
func (s *Server) GetTicket(_ context.Context, req *relevov1.GetTicketRequest) (*relevov1.GetTicketResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.desk().tickets[req.GetTicketId()]
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	return &relevov1.GetTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// ListTickets implements TicketService (by external reference, as desks
// look their items up).
func (s *Server) ListTickets(_ context.Context, req *relevov1.ListTicketsRequest) (*relevov1.ListTicketsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &relevov1.ListTicketsResponse{}
	for _, t := range s.desk().tickets {
		if (req.GetExternalRef() == "" || t.GetExternalRef() == req.GetExternalRef()) &&
			(req.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_UNSPECIFIED || t.GetStatus() == req.GetStatus()) {
			resp.Tickets = append(resp.Tickets, proto.Clone(t).(*relevov1.Ticket))
		}
	}
	return resp, nil
}

// LinkTicket implements TicketService.
func (s *Server) LinkTicket(_ context.Context, req *relevov1.LinkTicketRequest) (*relevov1.LinkTicketResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.desk()
	t := d.tickets[req.GetTicketId()]
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	if t.GetExternalRef() != req.GetExternalRef() {
		d.links[t.GetId()] = append(d.links[t.GetId()], req.GetExternalRef())
	}
	t.ExternalRef, t.LastError = req.GetExternalRef(), req.GetLastError()
	s.appendEvent(relevov1.TicketEventType_TICKET_EVENT_TYPE_LINKED, t)
	return &relevov1.LinkTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// AnswerTicket implements TicketService.
func (s *Server) AnswerTicket(ctx context.Context, req *relevov1.AnswerTicketRequest) (*relevov1.AnswerTicketResponse, error) {
	s.mu.Lock()
	d := s.desk()
	s.mu.Unlock()
	if err := s.pass(ctx, &d.answer); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := d.tickets[req.GetTicketId()]
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	if t.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		if t.GetAnswer() == req.GetAnswer() {
			return &relevov1.AnswerTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket), AlreadyAnswered: true}, nil
		}
		return nil, status.Error(codes.FailedPrecondition, "ticket already answered with another text")
	}
	d.answers = append(d.answers, req)
	t.Status, t.Answer, t.AnsweredBy, t.ResolvedAt = relevov1.TicketStatus_TICKET_STATUS_ANSWERED, req.GetAnswer(), req.GetAnsweredBy(), timestamppb.Now()
	s.appendEvent(relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED, t)
	return &relevov1.AnswerTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// DeskDriver drives a ticket desk adapter through its desk side.
type DeskDriver interface {
	// Name of the adapter, for reports.
	Name() string
	// Start starts the adapter against the server at host:port.
	Start(ctx context.Context, server string) error
	// Stop stops the adapter and whatever Start started.
	Stop()
	// Items returns the desk's items (pages) for a ticket id.
	Items(ticketID string) []string
	// Submit does what a specialist does to send answer from item (writes
	// it and presses "Enviar") and returns the HTTP status the adapter
	// answered the desk's webhook with.
	Submit(ctx context.Context, item, answer string) (int, error)
}

// DeskChecks are the desk-side contract checks, in order.
var DeskChecks = []struct {
	Name string
	Run  func(ctx context.Context, k *deskKit) error
}{
	{"desk/ticket-becomes-one-linked-item", checkItem},
	{"desk/replay-after-break-creates-no-duplicate", checkReplay},
	{"desk/send-answered-only-after-accept", checkSubmit},
}

type deskKit struct {
	d    DeskDriver
	s    *Server
	item string
}

// RunDesk starts a desk adapter against a fresh fake server and runs the
// desk checks.
func RunDesk(ctx context.Context, d DeskDriver) ([]Result, error) {
	return runChecks(ctx, d, func(s *Server) *deskKit { return &deskKit{d: d, s: s} }, DeskChecks)
}

var kitContact = &relevov1.Contact{Channel: "whatsapp", Address: "56911112222", DisplayName: "Ana", Phone: "56911112222"}

// waitItem waits for the ticket's item and its link.
func (k *deskKit) waitItem(ctx context.Context, id string) (string, error) {
	var item string
	err := k.s.wait(ctx, "the desk item of "+id+" linked to the ticket", func() bool {
		t := k.s.desk().tickets[id]
		if t.GetExternalRef() == "" {
			return false
		}
		item = t.GetExternalRef()
		return true
	})
	if err != nil {
		return "", err
	}
	// The fake desk may record the item after the link; both must agree.
	for {
		items := k.d.Items(id)
		if len(items) == 1 && items[0] == item {
			return item, nil
		}
		if len(items) > 1 {
			return "", fmt.Errorf("%d desk items for one ticket", len(items))
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("ticket linked to %q, desk items %q", item, items)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func checkItem(ctx context.Context, k *deskKit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	k.s.OpenTicket("T-KIT001", "¿Tienen convenio con mi universidad?", kitContact)
	item, err := k.waitItem(ctx, "T-KIT001")
	if err != nil {
		return err
	}
	k.item = item
	return nil
}

func checkReplay(ctx context.Context, k *deskKit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.item == "" {
		return errors.New("no item: the first check failed")
	}
	k.s.mu.Lock()
	d := k.s.desk()
	subs := d.eventSubs
	close(d.eventBrk)
	d.eventBrk = make(chan struct{})
	k.s.mu.Unlock()
	if err := k.s.wait(ctx, "the event stream followed again", func() bool { return k.s.desk().eventSubs > subs }); err != nil {
		return err
	}
	// A ticket opened after the break shows the adapter is following
	// again, and that everything before it was handled.
	k.s.OpenTicket("T-KIT002", "¿Puedo pagar en cuotas?", kitContact)
	if _, err := k.waitItem(ctx, "T-KIT002"); err != nil {
		return err
	}
	if items := k.d.Items("T-KIT001"); len(items) != 1 {
		return fmt.Errorf("after the stream broke the first ticket has %d desk items, want 1", len(items))
	}
	k.s.mu.Lock()
	links := append([]string(nil), k.s.desk().links["T-KIT001"]...)
	k.s.mu.Unlock()
	if len(links) != 1 {
		return fmt.Errorf("the first ticket was linked to %q, want one item", links)
	}
	return nil
}

func checkSubmit(ctx context.Context, k *deskKit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.item == "" {
		return errors.New("no item: the first check failed")
	}
	answer := "Sí, con la Universidad de Chile hay un 20% de descuento."
	k.s.mu.Lock()
	d := k.s.desk()
	k.s.mu.Unlock()
	k.s.failNext(&d.answer, status.Error(codes.Unavailable, "the conformance kit's server is unavailable"))
	code, err := k.d.Submit(ctx, k.item, answer)
	if err != nil {
		return err
	}
	if ok2xx(code) {
		return fmt.Errorf("the desk webhook was answered %d although AnswerTicket failed: the specialist's answer is lost", code)
	}
	k.s.mu.Lock()
	in := d.answer.entered
	k.s.mu.Unlock()
	release := k.s.holdGate(&d.answer)
	defer release()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := k.d.Submit(ctx, k.item, answer)
		done <- result{code, err}
	}()
	if err := k.s.wait(ctx, "AnswerTicket called again", func() bool { return d.answer.entered > in }); err != nil {
		return err
	}
	select {
	case r := <-done:
		return fmt.Errorf("the desk webhook was answered %d %v while AnswerTicket had not returned", r.code, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	select {
	case r := <-done:
		if r.err != nil || !ok2xx(r.code) {
			return fmt.Errorf("after AnswerTicket returned the webhook was answered %d %v, want 2xx", r.code, r.err)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	if len(d.answers) != 1 || d.answers[0].GetTicketId() != "T-KIT001" || d.answers[0].GetAnswer() != answer {
		return fmt.Errorf("answers recorded: %v, want one for T-KIT001 with the specialist's text", d.answers)
	}
	return nil
}
