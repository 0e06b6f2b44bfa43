package api

import (
	"context"
	"log/slog"
	"time"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

type conversationServer struct {
	relevov1.UnimplementedConversationServiceServer
	st  store.Store
	kb  Knowledge
	log *slog.Logger
}

var conversationStateFilter = map[relevov1.ConversationState]string{
	relevov1.ConversationState_CONVERSATION_STATE_UNSPECIFIED: "",
	relevov1.ConversationState_CONVERSATION_STATE_BOT:         "bot",
	relevov1.ConversationState_CONVERSATION_STATE_TICKET_OPEN: "ticket_open",
	relevov1.ConversationState_CONVERSATION_STATE_PAUSED:      "paused",
}

func (s *conversationServer) ListConversations(ctx context.Context, req *relevov1.ListConversationsRequest) (*relevov1.ListConversationsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	state, ok := conversationStateFilter[req.GetState()]
	if !ok {
		return nil, toStatus(ctx, s.log, invalid("state", "unknown state %d", req.GetState()))
	}
	if req.GetChannel() != "" && !channelName.MatchString(req.GetChannel()) {
		return nil, toStatus(ctx, s.log, invalid("channel", "must match %s", channelName))
	}
	list, next, err := s.st.ListConversations(ctx, store.ConversationFilter{Channel: req.GetChannel(), State: state, Limit: n, Cursor: req.GetPageToken()})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	now := time.Now()
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
		return nil, toStatus(ctx, s.log, err)
	}
	conv, err := s.find(ctx, req.GetConversationId(), req.GetContact())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	msgs, err := s.st.ListMessages(ctx, conv.ID, n)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	runs, err := s.st.ListRuns(ctx, conv.ID, n)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &relevov1.GetConversationResponse{Conversation: conversationPB(conv, time.Now())}
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
		return nil, toStatus(ctx, s.log, err)
	}
	r, err := s.st.GetRun(ctx, req.GetRunId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.GetRunResponse{Run: runPB(r, true)}, nil
}

func (s *conversationServer) PauseConversation(ctx context.Context, req *relevov1.PauseConversationRequest) (*relevov1.PauseConversationResponse, error) {
	if err := requireID("conversation_id", req.GetConversationId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	d := 24 * time.Hour
	if req.GetDuration() != nil {
		if !req.GetDuration().IsValid() || req.GetDuration().AsDuration() <= 0 || req.GetDuration().AsDuration() > 365*24*time.Hour {
			return nil, toStatus(ctx, s.log, invalid("duration", "must be between 0 and one year"))
		}
		d = req.GetDuration().AsDuration()
	}
	c, err := s.st.SetPausedUntil(ctx, req.GetConversationId(), time.Now().Add(d))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.PauseConversationResponse{Conversation: conversationPB(c, time.Now())}, nil
}

func (s *conversationServer) ResumeConversation(ctx context.Context, req *relevov1.ResumeConversationRequest) (*relevov1.ResumeConversationResponse, error) {
	if err := requireID("conversation_id", req.GetConversationId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	c, err := s.st.SetPausedUntil(ctx, req.GetConversationId(), time.Time{})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.ResumeConversationResponse{Conversation: conversationPB(c, time.Now())}, nil
}

func (s *conversationServer) EraseContact(ctx context.Context, req *relevov1.EraseContactRequest) (*relevov1.EraseContactResponse, error) {
	if err := validateContact("contact", req.GetContact()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.st.EraseContact(ctx, req.GetContact().GetChannel(), req.GetContact().GetAddress())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if e.Entries > 0 {
		// As DeleteEntry does: once the call returns, no answer cites an
		// entry learned from the contact. Other replicas follow the change
		// log on their own.
		if err := s.kb.Refresh(ctx); err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
	}
	// The address is the one thing the log must not keep: it names whom the
	// erasure was about. The counts are the record that it happened.
	s.log.InfoContext(ctx, "contact erased", "channel", req.GetContact().GetChannel(),
		"conversations", e.Conversations, "messages", e.Messages, "runs", e.Runs, "tickets", e.Tickets, "entries", e.Entries)
	return &relevov1.EraseContactResponse{
		ConversationsDeleted: int32(e.Conversations),
		MessagesDeleted:      int32(e.Messages),
		RunsDeleted:          int32(e.Runs),
		TicketsDeleted:       int32(e.Tickets),
		EntriesDeleted:       int32(e.Entries),
	}, nil
}
