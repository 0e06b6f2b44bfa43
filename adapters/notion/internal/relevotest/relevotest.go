// Package relevotest is an in-process fake of Relevo's TicketService for
// the Notion adapter's tests: it keeps tickets and an event log, streams
// events like the server does (backlog, then live), enforces the answer
// rules of the contract, and records the calls it gets.
package relevotest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Server is the fake. Create it with Start.
type Server struct {
	relevov1.UnimplementedTicketServiceServer

	// Addr is the host:port the fake listens on.
	Addr string

	mu         sync.Mutex
	changed    chan struct{}
	tickets    map[string]*relevov1.Ticket
	events     []*relevov1.TicketEvent
	lastSeq    int64
	answers    []*relevov1.AnswerTicketRequest
	links      []*relevov1.LinkTicketRequest
	deliveries map[string]int
	failNext   map[string]codes.Code
}

// Start serves the fake on a loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		changed:    make(chan struct{}),
		tickets:    map[string]*relevov1.Ticket{},
		deliveries: map[string]int{},
		failNext:   map[string]codes.Code{},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("relevotest: listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	gs := grpc.NewServer()
	relevov1.RegisterTicketServiceServer(gs, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gs.Serve(ln)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-done
	})
	return s
}

// Open opens a ticket and logs its CREATED event.
func (s *Server) Open(t *relevov1.Ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = proto.Clone(t).(*relevov1.Ticket)
	t.Status = relevov1.TicketStatus_TICKET_STATUS_OPEN
	t.CreatedAt = timestamppb.Now()
	s.tickets[t.GetId()] = t
	s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, t, nil)
}

// FollowUp attaches a user message to an open ticket.
func (s *Server) FollowUp(ticketID, messageID, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	f := &relevov1.TicketFollowUp{MessageId: messageID, Text: text, CreatedAt: timestamppb.Now()}
	t.FollowUps = append(t.FollowUps, f)
	s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP, t, f)
}

// Close closes a ticket without an answer, as relevoctl would.
func (s *Server) Close(ticketID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	t.Status = relevov1.TicketStatus_TICKET_STATUS_CLOSED
	s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED, t, nil)
}

// Erase erases a ticket as ConversationService.EraseContact does: the
// ticket and its events are deleted and one ERASED event carries only its
// id, external reference and status.
func (s *Server) Erase(ticketID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	delete(s.tickets, ticketID)
	s.events = slices.DeleteFunc(s.events, func(ev *relevov1.TicketEvent) bool { return ev.GetTicket().GetId() == ticketID })
	s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
		&relevov1.Ticket{Id: ticketID, ExternalRef: t.GetExternalRef(), Status: t.GetStatus()}, nil)
}

// FailNext makes the next call of a method ("AnswerTicket", ...) fail with
// code.
func (s *Server) FailNext(method string, code codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = code
}

// Ticket returns a copy of a ticket, or nil.
func (s *Server) Ticket(id string) *relevov1.Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return nil
	}
	return proto.Clone(t).(*relevov1.Ticket)
}

// Answers returns the AnswerTicket requests received.
func (s *Server) Answers() []*relevov1.AnswerTicketRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answers)
}

// Links returns the LinkTicket requests received.
func (s *Server) Links() []*relevov1.LinkTicketRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.links)
}

// Deliveries returns how many times an answer of the ticket was sent to
// the user.
func (s *Server) Deliveries(ticketID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries[ticketID]
}

// WaitFor blocks until cond (which may call the Server's accessors) holds
// after some change, or ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("relevotest: condition not met: %w", ctx.Err())
		}
	}
}

// emit logs an event with a snapshot of the ticket; the caller holds mu.
func (s *Server) emit(typ relevov1.TicketEventType, t *relevov1.Ticket, f *relevov1.TicketFollowUp) {
	if typ != relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED {
		t.UpdatedAt = timestamppb.Now()
	}
	s.lastSeq++
	s.events = append(s.events, &relevov1.TicketEvent{
		Sequence:  s.lastSeq,
		Type:      typ,
		Ticket:    proto.Clone(t).(*relevov1.Ticket),
		FollowUp:  f,
		CreatedAt: timestamppb.Now(),
	})
	s.notify()
}

func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) injected(method string) error {
	if c, ok := s.failNext[method]; ok {
		delete(s.failNext, method)
		return status.Errorf(c, "injected failure of %s", method)
	}
	return nil
}

// GetTicket implements TicketService.
func (s *Server) GetTicket(_ context.Context, req *relevov1.GetTicketRequest) (*relevov1.GetTicketResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.injected("GetTicket"); err != nil {
		return nil, err
	}
	t, ok := s.tickets[req.GetTicketId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	return &relevov1.GetTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// ListTickets implements TicketService (filters only; one page).
func (s *Server) ListTickets(_ context.Context, req *relevov1.ListTicketsRequest) (*relevov1.ListTicketsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.injected("ListTickets"); err != nil {
		return nil, err
	}
	resp := &relevov1.ListTicketsResponse{}
	for _, t := range s.tickets {
		if req.GetExternalRef() != "" && t.GetExternalRef() != req.GetExternalRef() {
			continue
		}
		if req.GetStatus() != relevov1.TicketStatus_TICKET_STATUS_UNSPECIFIED && t.GetStatus() != req.GetStatus() {
			continue
		}
		resp.Tickets = append(resp.Tickets, proto.Clone(t).(*relevov1.Ticket))
	}
	return resp, nil
}

// AnswerTicket implements TicketService with the contract's rules: the same
// text again is a no-op, a different text on an answered ticket is refused.
func (s *Server) AnswerTicket(_ context.Context, req *relevov1.AnswerTicketRequest) (*relevov1.AnswerTicketResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, proto.Clone(req).(*relevov1.AnswerTicketRequest))
	s.notify()
	if err := s.injected("AnswerTicket"); err != nil {
		return nil, err
	}
	if req.GetAnswer() == "" {
		return nil, status.Error(codes.InvalidArgument, "answer is required")
	}
	t, ok := s.tickets[req.GetTicketId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	switch t.GetStatus() {
	case relevov1.TicketStatus_TICKET_STATUS_ANSWERED:
		if t.GetAnswer() == req.GetAnswer() {
			return &relevov1.AnswerTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket), AlreadyAnswered: true}, nil
		}
		return nil, status.Errorf(codes.FailedPrecondition, "ticket %s was already answered with a different text", t.GetId())
	case relevov1.TicketStatus_TICKET_STATUS_CLOSED:
		return nil, status.Errorf(codes.FailedPrecondition, "ticket %s is closed", t.GetId())
	}
	t.Status = relevov1.TicketStatus_TICKET_STATUS_ANSWERED
	t.Answer = req.GetAnswer()
	t.AnsweredBy = req.GetAnsweredBy()
	t.ResolvedAt = timestamppb.Now()
	s.deliveries[t.GetId()]++
	s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED, t, nil)
	return &relevov1.AnswerTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// LinkTicket implements TicketService.
func (s *Server) LinkTicket(_ context.Context, req *relevov1.LinkTicketRequest) (*relevov1.LinkTicketResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links = append(s.links, proto.Clone(req).(*relevov1.LinkTicketRequest))
	s.notify()
	if err := s.injected("LinkTicket"); err != nil {
		return nil, err
	}
	if req.GetExternalRef() == "" {
		return nil, status.Error(codes.InvalidArgument, "external_ref is required")
	}
	t, ok := s.tickets[req.GetTicketId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "ticket %s not found", req.GetTicketId())
	}
	if t.GetExternalRef() != "" && t.GetExternalRef() != req.GetExternalRef() {
		return nil, status.Errorf(codes.AlreadyExists, "ticket %s is linked to %s", t.GetId(), t.GetExternalRef())
	}
	changed := t.GetExternalRef() != req.GetExternalRef() || t.GetLastError() != req.GetLastError()
	t.ExternalRef = req.GetExternalRef()
	t.LastError = req.GetLastError()
	if changed {
		s.emit(relevov1.TicketEventType_TICKET_EVENT_TYPE_LINKED, t, nil)
	}
	return &relevov1.LinkTicketResponse{Ticket: proto.Clone(t).(*relevov1.Ticket)}, nil
}

// StreamTicketEvents implements TicketService: the backlog after the given
// sequence, then live events until the client goes away.
func (s *Server) StreamTicketEvents(req *relevov1.StreamTicketEventsRequest, stream grpc.ServerStreamingServer[relevov1.StreamTicketEventsResponse]) error {
	next := req.GetAfterSequence()
	for {
		s.mu.Lock()
		if err := s.injected("StreamTicketEvents"); err != nil {
			s.mu.Unlock()
			return err
		}
		// Sequences have gaps once a ticket is erased.
		i, _ := slices.BinarySearchFunc(s.events, next+1, func(ev *relevov1.TicketEvent, seq int64) int {
			return int(ev.GetSequence() - seq)
		})
		pending := slices.Clone(s.events[i:])
		ch := s.changed
		s.mu.Unlock()
		for _, ev := range pending {
			if err := stream.Send(&relevov1.StreamTicketEventsResponse{Event: ev}); err != nil {
				return err
			}
			next = ev.GetSequence()
		}
		select {
		case <-ch:
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}
