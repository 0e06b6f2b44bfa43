package api

import (
	"context"
	"log/slog"
	"time"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

// ConversationStore is what the conversation service needs of the store:
// conversations with their messages, runs and changes of owner, pausing the
// bot, erasing a contact, the resolution accounting and the replies'
// deliveries across conversations. store.Store is one.
type ConversationStore interface {
	GetConversation(ctx context.Context, id string) (store.Conversation, error)
	FindConversation(ctx context.Context, channel, address string) (store.Conversation, error)
	ListConversations(ctx context.Context, f store.ConversationFilter) (list []store.Conversation, next string, err error)
	ListMessages(ctx context.Context, conversationID string, limit int) ([]store.Message, error)
	ListRuns(ctx context.Context, conversationID string, limit int) ([]store.RunRecord, error)
	GetRun(ctx context.Context, id string) (store.RunRecord, error)
	ListTransitions(ctx context.Context, conversationID string, limit int) ([]store.Transition, error)
	SetPausedUntil(ctx context.Context, conversationID string, until time.Time) (store.Conversation, error)
	EraseContact(ctx context.Context, channel, address string) (store.Erasure, error)
	ListResolutions(ctx context.Context, f store.ResolutionFilter) (list []store.Resolution, next string, err error)
	CountResolutions(ctx context.Context, from, to time.Time) (map[store.Outcome]int, error)
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) (list []store.Delivery, next string, err error)
}

type conversationServer struct {
	relevov1.UnimplementedConversationServiceServer
	st  ConversationStore
	kb  Knowledge
	now func() time.Time
	log *slog.Logger
}

var conversationStateFilter = map[relevov1.ConversationState]string{
	relevov1.ConversationState_CONVERSATION_STATE_UNSPECIFIED: "",
	relevov1.ConversationState_CONVERSATION_STATE_BOT:         "bot",
	relevov1.ConversationState_CONVERSATION_STATE_TICKET_OPEN: "ticket_open",
	relevov1.ConversationState_CONVERSATION_STATE_PAUSED:      "paused",
}

// ownerFilter is the inverse of owners (convert.go).
var ownerFilter = func() map[relevov1.Owner]store.ConversationState {
	m := make(map[relevov1.Owner]store.ConversationState, len(owners))
	for st, o := range owners {
		m[o] = st
	}
	return m
}()

func (s *conversationServer) ListConversations(ctx context.Context, req *relevov1.ListConversationsRequest) (*relevov1.ListConversationsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	state, ok := conversationStateFilter[req.GetState()]
	if !ok {
		return nil, invalid("state", "unknown state %d", req.GetState())
	}
	var owner store.ConversationState
	if o := req.GetOwner(); o != relevov1.Owner_OWNER_UNSPECIFIED {
		if owner, ok = ownerFilter[o]; !ok {
			return nil, invalid("owner", "unknown owner %d", o)
		}
	}
	if req.GetChannel() != "" && !channelName.MatchString(req.GetChannel()) {
		return nil, invalid("channel", "must match %s", channelName)
	}
	list, next, err := s.st.ListConversations(ctx, store.ConversationFilter{
		Channel: req.GetChannel(), State: state, Owner: owner, Limit: n, Cursor: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	resp := &relevov1.ListConversationsResponse{NextPageToken: next}
	for _, c := range list {
		resp.Conversations = append(resp.Conversations, conversationPB(c, now))
	}
	return resp, nil
}

func (s *conversationServer) find(ctx context.Context, id string, contact *relevov1.Contact) (store.Conversation, error) {
	if id != "" {
		return s.st.GetConversation(ctx, id)
	}
	if contact == nil {
		return store.Conversation{}, invalid("conversation_id", "required (or contact)")
	}
	if err := validateContact("contact", contact); err != nil {
		return store.Conversation{}, err
	}
	return s.st.FindConversation(ctx, contact.GetChannel(), contact.GetAddress())
}

func (s *conversationServer) GetConversation(ctx context.Context, req *relevov1.GetConversationRequest) (*relevov1.GetConversationResponse, error) {
	n, err := pageSize("message_limit", req.GetMessageLimit(), 100, 1000)
	if err != nil {
		return nil, err
	}
	conv, err := s.find(ctx, req.GetConversationId(), req.GetContact())
	if err != nil {
		return nil, err
	}
	msgs, err := s.st.ListMessages(ctx, conv.ID, n)
	if err != nil {
		return nil, err
	}
	runs, err := s.st.ListRuns(ctx, conv.ID, n)
	if err != nil {
		return nil, err
	}
	trs, err := s.st.ListTransitions(ctx, conv.ID, n)
	if err != nil {
		return nil, err
	}
	resp := &relevov1.GetConversationResponse{Conversation: conversationPB(conv, s.now())}
	for _, t := range trs {
		resp.Transitions = append(resp.Transitions, transitionPB(t))
	}
	for _, m := range msgs {
		if m.Kind == "mark_read" {
			continue
		}
		resp.Messages = append(resp.Messages, messagePB(m))
	}
	for _, r := range runs {
		resp.Runs = append(resp.Runs, runPB(r, true))
	}
	return resp, nil
}

func (s *conversationServer) GetRun(ctx context.Context, req *relevov1.GetRunRequest) (*relevov1.GetRunResponse, error) {
	if err := requireID("run_id", req.GetRunId()); err != nil {
		return nil, err
	}
	r, err := s.st.GetRun(ctx, req.GetRunId())
	if err != nil {
		return nil, err
	}
	return &relevov1.GetRunResponse{Run: runPB(r, true)}, nil
}

func (s *conversationServer) PauseConversation(ctx context.Context, req *relevov1.PauseConversationRequest) (*relevov1.PauseConversationResponse, error) {
	if err := requireID("conversation_id", req.GetConversationId()); err != nil {
		return nil, err
	}
	d := 24 * time.Hour
	if req.GetDuration() != nil {
		if !req.GetDuration().IsValid() || req.GetDuration().AsDuration() <= 0 || req.GetDuration().AsDuration() > 365*24*time.Hour {
			return nil, invalid("duration", "must be between 0 and one year")
		}
		d = req.GetDuration().AsDuration()
	}
	c, err := s.st.SetPausedUntil(ctx, req.GetConversationId(), s.now().Add(d))
	if err != nil {
		return nil, err
	}
	return &relevov1.PauseConversationResponse{Conversation: conversationPB(c, s.now())}, nil
}

func (s *conversationServer) ResumeConversation(ctx context.Context, req *relevov1.ResumeConversationRequest) (*relevov1.ResumeConversationResponse, error) {
	if err := requireID("conversation_id", req.GetConversationId()); err != nil {
		return nil, err
	}
	c, err := s.st.SetPausedUntil(ctx, req.GetConversationId(), time.Time{})
	if err != nil {
		return nil, err
	}
	return &relevov1.ResumeConversationResponse{Conversation: conversationPB(c, s.now())}, nil
}

func (s *conversationServer) EraseContact(ctx context.Context, req *relevov1.EraseContactRequest) (*relevov1.EraseContactResponse, error) {
	if err := validateContact("contact", req.GetContact()); err != nil {
		return nil, err
	}
	e, err := s.st.EraseContact(ctx, req.GetContact().GetChannel(), req.GetContact().GetAddress())
	if err != nil {
		return nil, err
	}
	if e.Entries > 0 {
		// As DeleteEntry does: once the call returns, no answer cites an
		// entry learned from the contact. Other replicas follow the change
		// log on their own.
		if err := s.kb.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	// The address is the one thing the log must not keep: it names whom the
	// erasure was about. The counts are the record that it happened.
	s.log.InfoContext(ctx, "contact erased", "channel", req.GetContact().GetChannel(),
		"conversations", e.Conversations, "messages", e.Messages, "media", e.Media, "runs", e.Runs, "tickets", e.Tickets, "entries", e.Entries)
	return &relevov1.EraseContactResponse{
		ConversationsDeleted: int32(e.Conversations),
		MessagesDeleted:      int32(e.Messages),
		RunsDeleted:          int32(e.Runs),
		TicketsDeleted:       int32(e.Tickets),
		EntriesDeleted:       int32(e.Entries),
	}, nil
}

var outcomes = map[relevov1.ConversationOutcome]store.Outcome{
	relevov1.ConversationOutcome_CONVERSATION_OUTCOME_UNSPECIFIED:        "",
	relevov1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_BOT:    store.OutcomeResolvedByBot,
	relevov1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_PERSON: store.OutcomeResolvedByPerson,
	relevov1.ConversationOutcome_CONVERSATION_OUTCOME_ABANDONED:          store.OutcomeAbandoned,
}

// period reads an optional [from, to) period.
func period(from, to interface {
	IsValid() bool
	AsTime() time.Time
}, fromSet, toSet bool) (time.Time, time.Time, error) {
	var f, t time.Time
	if fromSet {
		if !from.IsValid() {
			return f, t, invalid("from", "not a valid time")
		}
		f = from.AsTime()
	}
	if toSet {
		if !to.IsValid() {
			return f, t, invalid("to", "not a valid time")
		}
		t = to.AsTime()
	}
	if !f.IsZero() && !t.IsZero() && !t.After(f) {
		return f, t, invalid("to", "must be after from")
	}
	return f, t, nil
}

func (s *conversationServer) ListResolutions(ctx context.Context, req *relevov1.ListResolutionsRequest) (*relevov1.ListResolutionsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	outcome, ok := outcomes[req.GetOutcome()]
	if !ok {
		return nil, invalid("outcome", "unknown outcome %d", req.GetOutcome())
	}
	from, to, err := period(req.GetFrom(), req.GetTo(), req.GetFrom() != nil, req.GetTo() != nil)
	if err != nil {
		return nil, err
	}
	list, next, err := s.st.ListResolutions(ctx, store.ResolutionFilter{Outcome: outcome, From: from, To: to, Limit: n, Cursor: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListResolutionsResponse{NextPageToken: next}
	for _, r := range list {
		resp.Resolutions = append(resp.Resolutions, resolutionPB(r))
	}
	return resp, nil
}

func (s *conversationServer) GetResolutionStats(ctx context.Context, req *relevov1.GetResolutionStatsRequest) (*relevov1.GetResolutionStatsResponse, error) {
	from, to, err := period(req.GetFrom(), req.GetTo(), req.GetFrom() != nil, req.GetTo() != nil)
	if err != nil {
		return nil, err
	}
	counts, err := s.st.CountResolutions(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return statsPB(counts), nil
}

func statsPB(counts map[store.Outcome]int) *relevov1.GetResolutionStatsResponse {
	resp := &relevov1.GetResolutionStatsResponse{
		ResolvedByBot:    int32(counts[store.OutcomeResolvedByBot]),
		ResolvedByPerson: int32(counts[store.OutcomeResolvedByPerson]),
		Abandoned:        int32(counts[store.OutcomeAbandoned]),
	}
	resp.Total = resp.ResolvedByBot + resp.ResolvedByPerson + resp.Abandoned
	if resp.Total > 0 {
		total := float64(resp.Total)
		resp.BotRate = float64(resp.ResolvedByBot) / total
		resp.PersonRate = float64(resp.ResolvedByPerson) / total
		resp.AbandonedRate = float64(resp.Abandoned) / total
	}
	return resp
}
