package api

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/message"
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

var inboundKinds = map[relevov1.InboundKind]message.Kind{
	relevov1.InboundKind_INBOUND_KIND_UNSPECIFIED: message.KindText,
	relevov1.InboundKind_INBOUND_KIND_TEXT:        message.KindText,
	relevov1.InboundKind_INBOUND_KIND_CHOICE:      message.KindChoice,
	relevov1.InboundKind_INBOUND_KIND_MEDIA:       message.KindMedia,
	relevov1.InboundKind_INBOUND_KIND_AUDIO:       message.KindAudio,
	relevov1.InboundKind_INBOUND_KIND_LOCATION:    message.KindLocation,
	relevov1.InboundKind_INBOUND_KIND_CONTACTS:    message.KindContacts,
	relevov1.InboundKind_INBOUND_KIND_REACTION:    message.KindReaction,
	relevov1.InboundKind_INBOUND_KIND_UNSUPPORTED: message.KindUnsupported,
}

// The contract is decoded here, once: what an inbound message carries
// besides its text becomes message.Details, its media bytes go to the
// store apart (store.InboundMessage.MediaData), and nothing past the API
// sees a wire type.

// inboundFromPB is the store's form of a validated inbound message.
func inboundFromPB(m *relevov1.InboundMessage) store.InboundMessage {
	text := m.GetText()
	if text == "" && m.GetChoice() != nil {
		text = m.GetChoice().GetTitle()
	}
	in := store.InboundMessage{
		Contact:          contactFromPB(m.GetContact()),
		ChannelMessageID: m.GetChannelMessageId(),
		BusinessAddress:  m.GetBusinessAddress(),
		Kind:             inboundKinds[m.GetKind()],
		Text:             text,
		Details:          detailsFromPB(m),
		MediaData:        m.GetMedia().GetData(),
		ReplyTo:          m.GetReplyToMessageId(),
	}
	if m.GetSentAt() != nil {
		in.SentAt = m.GetSentAt().AsTime()
	}
	return in
}

func detailsFromPB(m *relevov1.InboundMessage) message.Details {
	d := message.Details{Forwarded: m.GetForwarded(), FrequentlyForwarded: m.GetFrequentlyForwarded()}
	if c := m.GetChoice(); c != nil {
		d.Choice = &message.Choice{ID: c.GetId(), Title: c.GetTitle()}
	}
	if md := m.GetMedia(); md != nil {
		d.Media = &message.Media{Type: md.GetType(), ProviderID: md.GetMediaId(), MIMEType: md.GetMimeType(),
			Filename: md.GetFilename(), SHA256: md.GetSha256()}
	}
	if r := m.GetReaction(); r != nil {
		d.Reaction = &message.Reaction{MessageID: r.GetMessageId(), Emoji: r.GetEmoji()}
	}
	if r := m.GetReferral(); r != nil {
		d.Referral = &message.Referral{SourceURL: r.GetSourceUrl(), SourceType: r.GetSourceType(), SourceID: r.GetSourceId(),
			Headline: r.GetHeadline(), Body: r.GetBody()}
	}
	return d
}

func buttonsPB(bs []message.Button) []*relevov1.Button {
	if len(bs) == 0 {
		return nil
	}
	out := make([]*relevov1.Button, len(bs))
	for i, b := range bs {
		out[i] = &relevov1.Button{Id: b.ID, Title: b.Title}
	}
	return out
}

func templatePB(t *message.Template) *relevov1.Template {
	if t == nil {
		return nil
	}
	return &relevov1.Template{Name: t.Name, Language: t.Language, BodyParams: t.BodyParams}
}

var authors = map[store.Author]relevov1.Author{
	store.AuthorUser:  relevov1.Author_AUTHOR_USER,
	store.AuthorBot:   relevov1.Author_AUTHOR_BOT,
	store.AuthorHuman: relevov1.Author_AUTHOR_HUMAN,
}

var deliveryStatuses = map[store.DeliveryStatus]relevov1.DeliveryStatus{
	store.StatusPending:       relevov1.DeliveryStatus_DELIVERY_STATUS_PENDING,
	store.StatusInFlight:      relevov1.DeliveryStatus_DELIVERY_STATUS_IN_FLIGHT,
	store.StatusRetrying:      relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING,
	store.StatusSent:          relevov1.DeliveryStatus_DELIVERY_STATUS_SENT,
	store.StatusDelivered:     relevov1.DeliveryStatus_DELIVERY_STATUS_DELIVERED,
	store.StatusRead:          relevov1.DeliveryStatus_DELIVERY_STATUS_READ,
	store.StatusWaitingWindow: relevov1.DeliveryStatus_DELIVERY_STATUS_WAITING_FOR_WINDOW,
	store.StatusFailed:        relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED,
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
	pb := &relevov1.OutboundMessage{
		Id:               m.ID,
		ConversationId:   m.ConversationID,
		To:               contactPB(conv.Contact),
		BusinessAddress:  m.BusinessAddress,
		Text:             m.Text,
		Buttons:          buttonsPB(m.Details.Buttons),
		Template:         templatePB(m.Details.Template),
		ReplyToMessageId: m.ReplyTo,
		Attempt:          int32(m.Attempts),
		CreatedAt:        ts(m.CreatedAt),
	}
	if pb.BusinessAddress == "" {
		pb.BusinessAddress = conv.BusinessAddress
	}
	switch m.Kind {
	case message.KindTemplate:
		pb.Kind = relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE
	case message.KindMarkRead:
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
		Owner:           owners[c.Owner(now)],
		OwnerSince:      ts(c.OwnerSince),
		WindowUntil:     ts(c.WindowUntil),
	}
	if c.Owner(now) != c.State {
		// The pause ran out; the next run records the transition.
		pb.OwnerSince = ts(c.PausedUntil)
	}
	switch {
	case c.Paused(now):
		pb.State = relevov1.ConversationState_CONVERSATION_STATE_PAUSED
		pb.PausedUntil = ts(c.PausedUntil)
	case c.OpenTicketID != "":
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
				st := &relevov1.RunStep{Agent: s.Agent, Kind: s.Kind, Detail: s.Detail, Confidence: s.Confidence, Decision: answerDecisionPB(s.Check)}
				for _, p := range s.Passages {
					st.Passages = append(st.Passages, &relevov1.RunPassage{Source: p.Source, Page: int32(p.Page), Score: p.Score, Snippet: p.Snippet})
				}
				pb.Steps = append(pb.Steps, st)
			}
		}
	}
	return pb
}

func answerDecisionPB(c *agents.AnswerCheck) *relevov1.AnswerDecision {
	if c == nil {
		return nil
	}
	return &relevov1.AnswerDecision{
		Answer: c.Answer, AskedKind: c.Asked, KindHeld: c.Held, CoveredTerms: c.Covered, MissingTerms: c.Missing,
		RetrievalConfidence: c.Retrieval, Confidence: c.Confidence, Threshold: c.Threshold, Reason: c.Reason, Source: c.Source,
	}
}

var owners = map[store.ConversationState]relevov1.Owner{
	store.StateBot:             relevov1.Owner_OWNER_BOT,
	store.StateWaitingForHuman: relevov1.Owner_OWNER_WAITING_FOR_HUMAN,
	store.StateHuman:           relevov1.Owner_OWNER_HUMAN,
	store.StateResolved:        relevov1.Owner_OWNER_RESOLVED,
}

func transitionPB(t store.Transition) *relevov1.OwnershipTransition {
	return &relevov1.OwnershipTransition{
		From: owners[t.From], To: owners[t.To], Cause: string(t.Cause), Actor: t.Actor, Reason: t.Reason,
		RunId: t.RunID, TicketId: t.TicketID, At: ts(t.At),
	}
}

var outcomePBs = map[store.Outcome]relevov1.ConversationOutcome{
	store.OutcomeResolvedByBot:    relevov1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_BOT,
	store.OutcomeResolvedByPerson: relevov1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_PERSON,
	store.OutcomeAbandoned:        relevov1.ConversationOutcome_CONVERSATION_OUTCOME_ABANDONED,
}

func resolutionPB(r store.Resolution) *relevov1.Resolution {
	return &relevov1.Resolution{
		Id: r.ID, ConversationId: r.ConversationID, Outcome: outcomePBs[r.Outcome], Reason: r.Reason, RunIds: r.RunIDs,
		TicketId: r.TicketID, Confirmation: r.Confirmation, StartedAt: ts(r.StartedAt), ResolvedAt: ts(r.ResolvedAt),
		Channel: r.Channel,
	}
}
