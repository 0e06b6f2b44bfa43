package api

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/tickets"
)

// TicketStore is what the ticket service needs of the store besides the
// desk: reading, closing and linking tickets, and following their event
// log. store.Store is one.
type TicketStore interface {
	GetTicket(ctx context.Context, id string) (store.Ticket, error)
	ListTickets(ctx context.Context, f store.TicketFilter) (list []store.Ticket, next string, err error)
	CloseTicket(ctx context.Context, id, reason string) (store.Ticket, error)
	LinkTicket(ctx context.Context, id, externalRef, lastError string) (store.Ticket, error)
	TicketEvents(ctx context.Context, afterSequence int64, limit int) ([]store.TicketEvent, error)
	Subscribe(ctx context.Context, topics ...string) <-chan string
}

type ticketServer struct {
	relevov1.UnimplementedTicketServiceServer
	st   TicketStore
	desk *tickets.Desk
	poll time.Duration
	log  *slog.Logger
	// drain closes when the server shuts down: streams end.
	drain <-chan struct{}
}

func pageSize(field string, n int32, def, maxN int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid(field, "must not be negative")
	case n == 0:
		return def, nil
	case int(n) > maxN:
		return 0, invalid(field, "at most %d", maxN)
	}
	return int(n), nil
}

func requireID(field, id string) error {
	if strings.TrimSpace(id) == "" {
		return invalid(field, "required")
	}
	return nil
}

var ticketStatusFilter = map[relevov1.TicketStatus]store.TicketStatus{
	relevov1.TicketStatus_TICKET_STATUS_UNSPECIFIED: "",
	relevov1.TicketStatus_TICKET_STATUS_OPEN:        store.TicketOpen,
	relevov1.TicketStatus_TICKET_STATUS_ANSWERED:    store.TicketAnswered,
	relevov1.TicketStatus_TICKET_STATUS_CLOSED:      store.TicketClosed,
}

func (s *ticketServer) ListTickets(ctx context.Context, req *relevov1.ListTicketsRequest) (*relevov1.ListTicketsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	st, ok := ticketStatusFilter[req.GetStatus()]
	if !ok {
		return nil, invalid("status", "unknown status %d", req.GetStatus())
	}
	list, next, err := s.st.ListTickets(ctx, store.TicketFilter{
		Status: st, ConversationID: req.GetConversationId(), ExternalRef: req.GetExternalRef(), Limit: n, Cursor: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListTicketsResponse{NextPageToken: next}
	for _, t := range list {
		resp.Tickets = append(resp.Tickets, ticketPB(t))
	}
	return resp, nil
}

func (s *ticketServer) GetTicket(ctx context.Context, req *relevov1.GetTicketRequest) (*relevov1.GetTicketResponse, error) {
	if err := requireID("ticket_id", req.GetTicketId()); err != nil {
		return nil, err
	}
	t, err := s.st.GetTicket(ctx, req.GetTicketId())
	if err != nil {
		return nil, err
	}
	return &relevov1.GetTicketResponse{Ticket: ticketPB(t)}, nil
}

var learnDecisions = map[relevov1.LearnDecision]tickets.Decision{
	relevov1.LearnDecision_LEARN_DECISION_UNSPECIFIED:  tickets.DecideByPolicy,
	relevov1.LearnDecision_LEARN_DECISION_LEARN:        tickets.Learn,
	relevov1.LearnDecision_LEARN_DECISION_DO_NOT_LEARN: tickets.DoNotLearn,
	relevov1.LearnDecision_LEARN_DECISION_NOT_APPROVED: tickets.NotApproved,
}

func (s *ticketServer) AnswerTicket(ctx context.Context, req *relevov1.AnswerTicketRequest) (*relevov1.AnswerTicketResponse, error) {
	if err := requireID("ticket_id", req.GetTicketId()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetAnswer()) == "" {
		return nil, invalid("answer", "required")
	}
	learn, ok := learnDecisions[req.GetLearn()]
	switch {
	case !ok:
		return nil, invalid("learn", "unknown decision %d", req.GetLearn())
	case req.GetSkipLearning() && learn != tickets.DecideByPolicy && learn != tickets.DoNotLearn:
		// Two contradicting instructions: guessing which one the caller
		// meant could put an answer in front of customers against their will.
		return nil, invalid("learn", "%s contradicts skip_learning; send one of them", req.GetLearn())
	}
	t, already, err := s.desk.Answer(ctx, tickets.AnswerInput{
		TicketID: req.GetTicketId(), Answer: req.GetAnswer(), AnsweredBy: req.GetAnsweredBy(),
		SkipLearning: req.GetSkipLearning(), Learn: learn,
	})
	if err != nil {
		return nil, err
	}
	return &relevov1.AnswerTicketResponse{Ticket: ticketPB(t), AlreadyAnswered: already}, nil
}

func (s *ticketServer) PreviewAnswer(ctx context.Context, req *relevov1.PreviewAnswerRequest) (*relevov1.PreviewAnswerResponse, error) {
	if err := requireID("ticket_id", req.GetTicketId()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetAnswer()) == "" {
		return nil, invalid("answer", "required")
	}
	learn, ok := learnDecisions[req.GetLearn()]
	if !ok {
		return nil, invalid("learn", "unknown decision %d", req.GetLearn())
	}
	p, err := s.desk.Preview(ctx, tickets.AnswerInput{
		TicketID: req.GetTicketId(), Answer: req.GetAnswer(), AnsweredBy: req.GetAnsweredBy(), Learn: learn,
	})
	if err != nil {
		return nil, err
	}
	return &relevov1.PreviewAnswerResponse{
		Learned: p.Reason == "", Question: p.Question, Answer: p.Answer,
		PendingReview: p.Status == store.EntryPending, NotLearnedReason: p.Reason,
	}, nil
}

func (s *ticketServer) CloseTicket(ctx context.Context, req *relevov1.CloseTicketRequest) (*relevov1.CloseTicketResponse, error) {
	if err := requireID("ticket_id", req.GetTicketId()); err != nil {
		return nil, err
	}
	t, err := s.st.CloseTicket(ctx, req.GetTicketId(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &relevov1.CloseTicketResponse{Ticket: ticketPB(t)}, nil
}

func (s *ticketServer) LinkTicket(ctx context.Context, req *relevov1.LinkTicketRequest) (*relevov1.LinkTicketResponse, error) {
	if err := requireID("ticket_id", req.GetTicketId()); err != nil {
		return nil, err
	}
	if req.GetExternalRef() == "" && req.GetLastError() == "" {
		return nil, invalid("external_ref", "required (or last_error alone, to record an integration error)")
	}
	t, err := s.st.LinkTicket(ctx, req.GetTicketId(), req.GetExternalRef(), req.GetLastError())
	if err != nil {
		if status.Code(mapError(ctx, s.log, err)) == codes.FailedPrecondition {
			return nil, status.Errorf(codes.AlreadyExists, "ticket %s is linked to another external reference", req.GetTicketId())
		}
		return nil, err
	}
	return &relevov1.LinkTicketResponse{Ticket: ticketPB(t)}, nil
}

// StreamTicketEvents sends the stored backlog after the requested sequence,
// then follows new events as they are committed (by any replica).
func (s *ticketServer) StreamTicketEvents(req *relevov1.StreamTicketEventsRequest, stream relevov1.TicketService_StreamTicketEventsServer) error {
	ctx := stream.Context()
	if req.GetAfterSequence() < 0 {
		return invalid("after_sequence", "must not be negative")
	}
	after := req.GetAfterSequence()
	notes := s.st.Subscribe(ctx, store.TopicTickets)
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	for {
		events, err := s.st.TicketEvents(ctx, after, 200)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, ev := range events {
			if ev.Type == store.EventErased {
				if err := stream.Send(&relevov1.StreamTicketEventsResponse{Event: erasedEventPB(ev)}); err != nil {
					return err
				}
				after = ev.Sequence
				continue
			}
			t, err := s.st.GetTicket(ctx, ev.TicketID)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) { // erased since
					after = ev.Sequence
					continue
				}
				return err
			}
			out := &relevov1.TicketEvent{Sequence: ev.Sequence, Type: ticketEventTypes[ev.Type], Ticket: ticketPB(t), CreatedAt: ts(ev.CreatedAt)}
			if ev.Type == store.EventFollowUp {
				for _, f := range t.FollowUps {
					if f.ID == ev.MessageID {
						out.FollowUp = &relevov1.TicketFollowUp{MessageId: f.ID, Text: f.Text, CreatedAt: ts(f.SentAt)}
					}
				}
			}
			if err := stream.Send(&relevov1.StreamTicketEventsResponse{Event: out}); err != nil {
				return err
			}
			after = ev.Sequence
		}
		if len(events) == 200 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.drain:
			return nil
		case <-notes:
		case <-poll.C:
		}
	}
}

// erasedEventPB is the event of an erased ticket, which no longer exists to
// be read: only what a desk needs to find its copy, nothing personal.
func erasedEventPB(ev store.TicketEvent) *relevov1.TicketEvent {
	return &relevov1.TicketEvent{
		Sequence: ev.Sequence,
		Type:     relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
		Ticket: &relevov1.Ticket{
			Id:          ev.TicketID,
			ExternalRef: ev.ExternalRef,
			Status:      ticketStatuses[ev.TicketStatus],
		},
		CreatedAt: ts(ev.CreatedAt),
	}
}
