package api

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/pipeline"
	"github.com/relevo/relevo/server/internal/store"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func contactPB(c store.Contact) *relevov1.Contact {
	return &relevov1.Contact{Channel: c.Channel, Address: c.Address, DisplayName: c.DisplayName, Phone: c.Phone}
}

func contactFromPB(c *relevov1.Contact) store.Contact {
	return store.Contact{Channel: c.GetChannel(), Address: c.GetAddress(), DisplayName: c.GetDisplayName(), Phone: c.GetPhone()}
}

var inboundKinds = map[relevov1.InboundKind]string{
	relevov1.InboundKind_INBOUND_KIND_UNSPECIFIED: pipeline.KindText,
	relevov1.InboundKind_INBOUND_KIND_TEXT:        pipeline.KindText,
	relevov1.InboundKind_INBOUND_KIND_CHOICE:      pipeline.KindChoice,
	relevov1.InboundKind_INBOUND_KIND_MEDIA:       pipeline.KindMedia,
	relevov1.InboundKind_INBOUND_KIND_AUDIO:       pipeline.KindAudio,
	relevov1.InboundKind_INBOUND_KIND_LOCATION:    pipeline.KindLocation,
	relevov1.InboundKind_INBOUND_KIND_CONTACTS:    pipeline.KindContacts,
	relevov1.InboundKind_INBOUND_KIND_REACTION:    pipeline.KindReaction,
	relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED: pipeline.KindUnsupported,
}

var authors = map[store.Author]relevov1.Author{
	store.AuthorUser:  relevov1.Author_AUTHOR_USER,
	store.AuthorBot:   relevov1.Author_AUTHOR_BOT,
	store.AuthorHuman: relevov1.Author_AUTHOR_HUMAN,
}

var deliveryStatuses = map[store.DeliveryStatus]relevov1.DeliveryStatus{
	store.StatusPending:   relevov1.DeliveryStatus_DELIVERY_STATUS_PENDING,
	store.StatusInFlight:  relevov1.DeliveryStatus_DELIVERY_STATUS_IN_FLIGHT,
	store.StatusRetrying:  relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING,
	store.StatusSent:      relevov1.DeliveryStatus_DELIVERY_STATUS_SENT,
	store.StatusDelivered: relevov1.DeliveryStatus_DELIVERY_STATUS_DELIVERED,
	store.StatusRead:      relevov1.DeliveryStatus_DELIVERY_STATUS_READ,
	store.StatusFailed:    relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED,
}

func messagePB(m store.Message) *relevov1.ConversationMessage {
	pb := &relevov1.ConversationMessage{
		Id:               m.ID,
		ConversationId:   m.ConversationID,
		Author:           authors[m.Author],
		Text:             m.Text,
		ChannelMessageId: m.ChannelMessageID,
		CreatedAt:        ts(m.SentAt),
		AuthorName:       m.AuthorName,
		TicketId:         m.TicketID,
	}
	if m.Direction == store.Outbound {
		pb.DeliveryStatus = deliveryStatuses[m.Status]
		pb.FailureReason = m.FailureReason
		pb.Attempts = int32(m.Attempts)
	}
	return pb
}

// outboundPB renders an outbox message for an adapter.
func outboundPB(m store.Message, conv store.Conversation) *relevov1.OutboundMessage {
	pb := &relevov1.OutboundMessage{}
	if len(m.Payload) > 0 {
		// Buttons and templates travel in the payload.
		_ = protojson.Unmarshal(m.Payload, pb)
	}
	pb.Id = m.ID
	pb.ConversationId = m.ConversationID
	pb.To = contactPB(conv.Contact)
	pb.BusinessAddress = m.BusinessAddress
	if pb.BusinessAddress == "" {
		pb.BusinessAddress = conv.BusinessAddress
	}
	pb.Text = m.Text
	pb.ReplyToMessageId = m.ReplyTo
	pb.Attempt = int32(m.Attempts)
	pb.CreatedAt = ts(m.CreatedAt)
	switch m.Kind {
	case pipeline.KindTemplate:
		pb.Kind = relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE
	case pipeline.KindMarkRead:
		pb.Kind = relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ
	default:
		pb.Kind = relevov1.OutboundKind_OUTBOUND_KIND_TEXT
	}
	return pb
}

func conversationPB(c store.Conversation, now time.Time) *relevov1.Conversation {
	pb := &relevov1.Conversation{
		Id:              c.ID,
		Contact:         contactPB(c.Contact),
		BusinessAddress: c.BusinessAddress,
		OpenTicketId:    c.OpenTicketID,
		CreatedAt:       ts(c.CreatedAt),
		LastActivityAt:  ts(c.LastActivityAt),
		MessageCount:    int32(c.MessageCount),
	}
	switch {
	case c.Paused(now):
		pb.State = relevov1.ConversationState_CONVERSATION_STATE_PAUSED
		pb.PausedUntil = ts(c.PausedUntil)
	case c.State == store.StateTicketOpen:
		pb.State = relevov1.ConversationState_CONVERSATION_STATE_TICKET_OPEN
	default:
		pb.State = relevov1.ConversationState_CONVERSATION_STATE_BOT
	}
	return pb
}

var ticketStatuses = map[store.TicketStatus]relevov1.TicketStatus{
	store.TicketOpen:     relevov1.TicketStatus_TICKET_STATUS_OPEN,
	store.TicketAnswered: relevov1.TicketStatus_TICKET_STATUS_ANSWERED,
	store.TicketClosed:   relevov1.TicketStatus_TICKET_STATUS_CLOSED,
}

func ticketPB(t store.Ticket) *relevov1.Ticket {
	pb := &relevov1.Ticket{
		Id:               t.ID,
		ConversationId:   t.ConversationID,
		Contact:          contactPB(t.Contact),
		Question:         t.Question,
		Status:           ticketStatuses[t.Status],
		Answer:           t.Answer,
		AnsweredBy:       t.AnsweredBy,
		ExternalRef:      t.ExternalRef,
		HandoffReason:    t.HandoffReason,
		Personal:         t.Personal,
		LearnedEntryId:   t.LearnedEntryID,
		NotLearnedReason: t.NotLearnedReason,
		LastError:        t.LastError,
		CloseReason:      t.CloseReason,
		CreatedAt:        ts(t.CreatedAt),
		UpdatedAt:        ts(t.UpdatedAt),
		ResolvedAt:       ts(t.ResolvedAt),
	}
	for _, m := range t.Context {
		pb.Context = append(pb.Context, messagePB(m))
	}
	for _, m := range t.FollowUps {
		pb.FollowUps = append(pb.FollowUps, &relevov1.TicketFollowUp{MessageId: m.ID, Text: m.Text, CreatedAt: ts(m.SentAt)})
	}
	return pb
}

var ticketEventTypes = map[store.TicketEventType]relevov1.TicketEventType{
	store.EventCreated:  relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED,
	store.EventFollowUp: relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP,
	store.EventAnswered: relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED,
	store.EventClosed:   relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED,
	store.EventLinked:   relevov1.TicketEventType_TICKET_EVENT_TYPE_LINKED,
	store.EventErased:   relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
}

func documentPB(d store.Document) *relevov1.Document {
	return &relevov1.Document{
		Id: d.ID, Filename: d.Filename, MediaType: d.MediaType, Sha256: d.SHA256, SizeBytes: d.SizeBytes,
		Pages: int32(d.Pages), ChunkCount: int32(d.ChunkCount), CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.UpdatedAt),
	}
}

var entryStatuses = map[store.EntryStatus]relevov1.EntryStatus{
	store.EntryLive:     relevov1.EntryStatus_ENTRY_STATUS_LIVE,
	store.EntryPending:  relevov1.EntryStatus_ENTRY_STATUS_PENDING,
	store.EntryRejected: relevov1.EntryStatus_ENTRY_STATUS_REJECTED,
}

func entryPB(e store.Entry) *relevov1.Entry {
	return &relevov1.Entry{
		Id: e.ID, Question: e.Question, Answer: e.Answer, Source: e.Source, TicketId: e.TicketID,
		CreatedAt: ts(e.CreatedAt), UpdatedAt: ts(e.UpdatedAt), Learned: e.Learned,
		Status: entryStatuses[e.Status], AnsweredBy: e.AnsweredBy, LearnedAt: ts(e.LearnedAt), ReviewedAt: ts(e.ReviewedAt),
	}
}

var runOutcomes = map[string]relevov1.RunOutcome{
	string(agents.OutcomeSmalltalk): relevov1.RunOutcome_RUN_OUTCOME_SMALLTALK,
	string(agents.OutcomeAnswer):    relevov1.RunOutcome_RUN_OUTCOME_ANSWER,
	string(agents.OutcomeEscalate):  relevov1.RunOutcome_RUN_OUTCOME_ESCALATE,
	pipeline.OutcomeFollowUp:        relevov1.RunOutcome_RUN_OUTCOME_FOLLOW_UP,
	pipeline.OutcomeSilent:          relevov1.RunOutcome_RUN_OUTCOME_SILENT,
}

func runPB(r store.RunRecord, withSteps bool) *relevov1.Run {
	pb := &relevov1.Run{
		Id: r.ID, ConversationId: r.ConversationID, MessageIds: r.MessageIDs, Outcome: runOutcomes[r.Outcome],
		Reason: r.Reason, Agents: r.Agents, PromptTokens: int32(r.PromptTokens), CompletionTokens: int32(r.CompletionTokens),
		TicketId: r.TicketID, StartedAt: ts(r.StartedAt), Duration: durationpb.New(r.Duration), Reply: r.Reply,
	}
	if withSteps && len(r.Trace) > 0 {
		var steps []agents.Step
		if err := json.Unmarshal(r.Trace, &steps); err == nil {
			for _, s := range steps {
				st := &relevov1.RunStep{Agent: s.Agent, Kind: s.Kind, Detail: s.Detail}
				for _, p := range s.Passages {
					st.Passages = append(st.Passages, &relevov1.RunPassage{Source: p.Source, Page: int32(p.Page), Score: p.Score, Snippet: p.Snippet})
				}
				pb.Steps = append(pb.Steps, st)
			}
		}
	}
	return pb
}
