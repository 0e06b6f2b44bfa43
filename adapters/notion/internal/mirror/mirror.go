// Package mirror keeps the Notion ticket database in step with Relevo's
// ticket events: a new ticket becomes a page, follow-ups are appended to
// it, answers and closings set its status, and an erased ticket's page goes
// to Notion's trash. It keeps no state: every
// action first looks at what exists (the ticket's external reference, the
// page found by ticket id, the blocks already on the page), so replaying
// the whole event log after a restart changes nothing that is already done.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jomei/notionapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Tickets is the part of Relevo's TicketService the mirror uses.
type Tickets interface {
	GetTicket(ctx context.Context, in *relevov1.GetTicketRequest, opts ...grpc.CallOption) (*relevov1.GetTicketResponse, error)
	LinkTicket(ctx context.Context, in *relevov1.LinkTicketRequest, opts ...grpc.CallOption) (*relevov1.LinkTicketResponse, error)
}

// Desk is the Notion ticket database; *ticketdb.DB implements it.
type Desk interface {
	Schema() ticketdb.Schema
	FindPage(ctx context.Context, ticketID string) (string, error)
	CreatePage(ctx context.Context, t *relevov1.Ticket) (string, error)
	Page(ctx context.Context, pageID string) (*ticketdb.Page, error)
	Update(ctx context.Context, pageID, statusLabel string, answer *string) error
	HasMessage(ctx context.Context, pageID, messageID string) (bool, error)
	Append(ctx context.Context, pageID string, blocks []notionapi.Block) error
	Archive(ctx context.Context, pageID string) error
}

// ErrorPrefix starts every error the mirror records on a ticket, so that it
// clears only its own errors once the ticket syncs again.
const ErrorPrefix = "notion: "

// Mirror applies ticket events to the Notion database.
type Mirror struct {
	tickets Tickets
	desk    Desk
	log     *slog.Logger
}

// New returns a Mirror.
func New(tickets Tickets, desk Desk, log *slog.Logger) *Mirror {
	return &Mirror{tickets: tickets, desk: desk, log: log}
}

// Handle applies one event. It returns an error only when trying again
// later may help (Relevo or Notion unavailable); permanent Notion failures
// are logged and recorded on the ticket instead, so that one bad ticket
// does not stall the stream.
func (m *Mirror) Handle(ctx context.Context, ev *relevov1.TicketEvent) error {
	switch ev.GetType() {
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED:
		return m.erase(ctx, ev.GetTicket())
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED,
		relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP,
		relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED,
		relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED:
	default:
		return nil // LINKED is our own doing.
	}
	id := ev.GetTicket().GetId()
	// The event carries the ticket as it was; act on it as it is now, so a
	// replay neither re-creates a linked page nor appends to a closed ticket.
	resp, err := m.tickets.GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: id})
	if status.Code(err) == codes.NotFound {
		m.log.WarnContext(ctx, "ticket of event not found; skipped", "ticket_id", id, "sequence", ev.GetSequence())
		return nil
	}
	if err != nil {
		return fmt.Errorf("get ticket %s: %w", id, err)
	}
	t := resp.GetTicket()
	pageID, err := m.ensurePage(ctx, t)
	if errors.Is(err, errErased) {
		return nil
	}
	if err == nil {
		switch ev.GetType() {
		case relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP:
			err = m.appendFollowUp(ctx, t, pageID, ev.GetFollowUp())
		case relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED, relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED:
			err = m.syncStatus(ctx, t, pageID)
		}
	}
	if err != nil {
		return m.failed(ctx, t, pageID, err)
	}
	if pageID != "" && strings.HasPrefix(t.GetLastError(), ErrorPrefix) {
		// Synced again: clear the error recorded earlier.
		return m.link(ctx, t.GetId(), pageID, "")
	}
	return nil
}

// ensurePage returns the ticket's page, creating and linking it when it
// does not exist. A page created by an earlier run that stopped before
// linking it is found by ticket id and linked, not created again.
func (m *Mirror) ensurePage(ctx context.Context, t *relevov1.Ticket) (string, error) {
	if ref := t.GetExternalRef(); ref != "" {
		return ref, nil
	}
	pageID, err := m.desk.FindPage(ctx, t.GetId())
	if err != nil {
		return "", err
	}
	if pageID != "" {
		m.log.InfoContext(ctx, "found unlinked ticket page; linking it", "ticket_id", t.GetId(), "page_id", pageID)
	} else {
		var createErr error
		pageID, createErr = m.desk.CreatePage(ctx, t)
		if pageID == "" {
			return "", createErr
		}
		if createErr != nil {
			// The page exists but part of the conversation is missing; link
			// it anyway so it is never created twice, and report the rest.
			m.log.ErrorContext(ctx, "ticket page created without all of its content",
				"ticket_id", t.GetId(), "page_id", pageID, "error", createErr)
		}
		m.log.InfoContext(ctx, "ticket page created", "ticket_id", t.GetId(), "page_id", pageID)
	}
	if err := m.link(ctx, t.GetId(), pageID, ""); err != nil {
		if status.Code(err) != codes.NotFound {
			return "", err
		}
		// The ticket was erased while its page was being made, and its
		// erased event carries no reference to this page: it must not
		// outlive the ticket.
		m.log.InfoContext(ctx, "ticket erased while its page was created; archiving the page", "ticket_id", t.GetId(), "page_id", pageID)
		if err := m.desk.Archive(ctx, pageID); err != nil {
			return "", fmt.Errorf("archive the page of erased ticket %s: %w", t.GetId(), err)
		}
		return "", errErased
	}
	t.ExternalRef = pageID
	return pageID, nil
}

// errErased: the ticket no longer exists in Relevo; its page was archived.
var errErased = errors.New("ticket erased")

// erase archives the page of an erased ticket. The event carries only the
// ticket id, its external reference and status. A ticket never linked may
// still have a page, made by a run that stopped before linking it: it is
// looked up by ticket id. Nothing can be recorded on the ticket any more, so
// a permanent Notion refusal is only logged.
func (m *Mirror) erase(ctx context.Context, t *relevov1.Ticket) error {
	pageID := t.GetExternalRef()
	if pageID == "" {
		found, err := m.desk.FindPage(ctx, t.GetId())
		if err != nil {
			return m.eraseFailed(ctx, t, "", err)
		}
		if found == "" {
			return nil
		}
		pageID = found
	}
	if err := m.desk.Archive(ctx, pageID); err != nil {
		return m.eraseFailed(ctx, t, pageID, err)
	}
	m.log.InfoContext(ctx, "ticket erased; its page is in Notion's trash", "ticket_id", t.GetId(), "page_id", pageID)
	return nil
}

func (m *Mirror) eraseFailed(ctx context.Context, t *relevov1.Ticket, pageID string, err error) error {
	if !ticketdb.Permanent(err) {
		return err
	}
	code, msg, _ := ticketdb.APIError(err)
	m.log.ErrorContext(ctx, "notion refused to archive the page of an erased ticket; archive it by hand",
		"ticket_id", t.GetId(), "page_id", pageID, "notion_code", code, "notion_message", msg, "error", err)
	return nil
}

func (m *Mirror) link(ctx context.Context, ticketID, pageID, lastError string) error {
	_, err := m.tickets.LinkTicket(ctx, &relevov1.LinkTicketRequest{TicketId: ticketID, ExternalRef: pageID, LastError: lastError})
	if err != nil {
		return fmt.Errorf("link ticket %s to page %s: %w", ticketID, pageID, err)
	}
	return nil
}

// appendFollowUp adds a follow-up message to the page of an open ticket
// unless a block already carries its message id.
func (m *Mirror) appendFollowUp(ctx context.Context, t *relevov1.Ticket, pageID string, f *relevov1.TicketFollowUp) error {
	if f == nil || t.GetStatus() != relevov1.TicketStatus_TICKET_STATUS_OPEN {
		return nil
	}
	if f.GetMessageId() != "" {
		has, err := m.desk.HasMessage(ctx, pageID, f.GetMessageId())
		if err != nil {
			return err
		}
		if has {
			return nil
		}
	}
	return m.desk.Append(ctx, pageID, ticketdb.FollowUpBlocks(f))
}

// syncStatus makes the page's status follow the ticket and, for answers
// that did not come from the page itself, fills in the answer. A page that
// already agrees is not written.
func (m *Mirror) syncStatus(ctx context.Context, t *relevov1.Ticket, pageID string) error {
	if t.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_OPEN {
		return nil
	}
	page, err := m.desk.Page(ctx, pageID)
	if err != nil {
		return err
	}
	s := m.desk.Schema()
	label := s.Labels.For(t.GetStatus())
	if s.StatusOf(page.Values) == label {
		label = ""
	}
	var answer *string
	if t.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		// Compare text only, so a formatted answer written in Notion is kept.
		if current, _ := s.AnswerOf(page.Values); strings.TrimSpace(current) != strings.TrimSpace(t.GetAnswer()) {
			answer = &t.Answer
		}
	}
	return m.desk.Update(ctx, pageID, label, answer)
}

// failed decides what a failure means: permanent Notion errors are logged
// with Notion's message and recorded on the ticket, anything else is
// returned so that the event is retried.
func (m *Mirror) failed(ctx context.Context, t *relevov1.Ticket, pageID string, err error) error {
	if !ticketdb.Permanent(err) {
		return err
	}
	code, msg, _ := ticketdb.APIError(err)
	m.log.ErrorContext(ctx, "notion refused a ticket change", "ticket_id", t.GetId(), "page_id", pageID,
		"notion_code", code, "notion_message", msg, "error", err)
	lastError := ErrorPrefix + code + ": " + msg
	if t.GetLastError() == lastError {
		return nil
	}
	// LinkTicket records the error; the server requires the page id, so
	// without a page the error can only be logged.
	if pageID == "" {
		pageID = t.GetExternalRef()
	}
	if pageID == "" {
		return nil
	}
	if lerr := m.link(ctx, t.GetId(), pageID, lastError); lerr != nil {
		m.log.WarnContext(ctx, "could not record the notion error on the ticket", "ticket_id", t.GetId(), "error", lerr)
	}
	return nil
}
