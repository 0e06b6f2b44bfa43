package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/rules"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// Button ids of the feedback offered after a knowledge-base answer. Channel
// adapters return them as Choice.id when the user taps a button.
const (
	ChoiceFeedbackYes   = "relevo.feedback.yes"
	ChoiceFeedbackHuman = "relevo.feedback.human"
)

// Run outcomes recorded in store.RunRecord.Outcome.
const (
	OutcomeFollowUp = "follow_up"
	OutcomeSilent   = "silent"
)

// decide computes the result for a claim. It reads the store but writes
// nothing; the caller commits the result.
func (e *Engine) decide(ctx context.Context, claim *store.Claim) (store.RunResult, error) {
	res, err := e.decideTurn(ctx, claim)
	res.Replies = e.withWindow(res.Replies)
	return res, err
}

func (e *Engine) decideTurn(ctx context.Context, claim *store.Claim) (store.RunResult, error) {
	conv := claim.Conversation
	msgs := claim.Messages
	now := e.cfg.Now()
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	run := store.RunRecord{ConversationID: conv.ID, MessageIDs: ids}
	last := msgs[len(msgs)-1]

	// The ownership state machine: a person's pause that ran out gives the
	// conversation back before this turn is taken; the customer's message
	// reopens a resolved conversation.
	var events []store.Event
	ticketOpen := conv.OpenTicketID != ""
	if conv.State == store.StateHuman && !conv.Paused(now) {
		events = append(events, store.Event{Cause: store.CauseTimeout, Actor: "system",
			Reason: "the person's pause ended at " + conv.PausedUntil.UTC().Format(time.RFC3339)})
		conv.State = store.Next(conv.State, store.CauseTimeout, ticketOpen)
	}
	events = append(events, store.Event{Cause: store.CauseCustomerMessage, Actor: "customer"})
	conv.State = store.Next(conv.State, store.CauseCustomerMessage, ticketOpen)
	botAnswer := append(slices.Clone(events), store.Event{Cause: store.CauseBotAnswer, Actor: "bot"})

	if conv.Paused(now) || conv.State == store.StateHuman {
		run.Outcome = OutcomeSilent
		run.Reason = fmt.Sprintf("a person is in charge: bot paused until %s", conv.PausedUntil.Format(time.RFC3339))
		return store.RunResult{Run: run, Events: events}, nil
	}

	if ticketOpen {
		res := store.RunResult{FollowUpTicketID: conv.OpenTicketID, Events: events}
		run.Outcome = OutcomeFollowUp
		run.TicketID = conv.OpenTicketID
		run.Reason = "ticket " + conv.OpenTicketID + " is open: messages attached to it"
		run.Agents = []string{e.profile.Human.Name}
		if now.Sub(conv.LastNoticeAt) >= e.profile.Human.NoticeInterval && e.profile.Human.WaitingMessage != "" {
			res.Replies = []store.OutboundDraft{e.reply(last, 0, e.profile.Human.WaitingMessage, e.profile.Human.Name, nil)}
			res.NoticeSent = true
			run.Reply = e.profile.Human.WaitingMessage
		}
		res.Run = run
		return res, nil
	}

	text, fixed, fixedReason := e.render(ctx, msgs)
	if fixed != "" {
		run.Outcome = string(agents.OutcomeSmalltalk)
		run.Reason = fixedReason
		run.Reply = fixed
		return store.RunResult{Run: run, Events: botAnswer, Replies: []store.OutboundDraft{e.reply(last, 0, fixed, e.profile.Triage.Name, nil)}}, nil
	}
	if text == "" {
		run.Outcome = OutcomeSilent
		run.Reason = "nothing to answer (reactions or empty messages)"
		return store.RunResult{Run: run, Events: events}, nil
	}

	history, err := e.history(ctx, conv.ID, ids)
	if err != nil {
		return store.RunResult{}, err
	}

	// The feedback buttons sent with an answer come back as choices; a
	// customer may also type the button's words.
	if c := choiceOf(last); c == ChoiceFeedbackYes || e.typedConfirmation(text, history) {
		run.Outcome = string(agents.OutcomeSmalltalk)
		run.Reason = "user confirmed the answer helped"
		run.Reply = e.profile.Messages.FeedbackThanks
		confirmed := append(slices.Clone(events), store.Event{Cause: store.CauseConfirmed, Actor: "customer", Reason: text})
		return store.RunResult{Run: run, Events: confirmed, Confirmation: text,
			Replies: []store.OutboundDraft{e.reply(last, 0, run.Reply, e.profile.Triage.Name, nil)}}, nil
	} else if c == ChoiceFeedbackHuman {
		question := lastUserQuestion(history)
		if question == "" {
			question = text
		}
		return e.escalate(run, last, history, question, "user asked for a person after the bot's answer", nil,
			append(events, store.Event{Cause: store.CauseAskHuman, Actor: "customer", Reason: text})), nil
	}

	// Frustration and loops go to a person before the agents answer again.
	if reason, detail := e.handOffTurn(text, history); reason != "" {
		question := text
		if reason == ReasonFrustration {
			if q := lastUserQuestion(history); q != "" {
				question = q + "\n" + text
			}
		}
		steps := []agents.Step{{Agent: e.profile.Human.Name, Kind: "decision", Detail: reason + ": " + detail}}
		res := e.escalate(run, last, history, question, reason, steps,
			append(events, store.Event{Cause: store.CauseHandoff, Actor: "bot", Reason: reason}))
		res.OpenTicket.Personal, _ = rules.Personal(question, "")
		return res, nil
	}

	in := agents.Input{
		ConversationID: conv.ID,
		Channel:        conv.Contact.Channel,
		ContactName:    conv.Contact.DisplayName,
		Text:           text,
		History:        turns(history),
	}
	r := e.chain.Run(ctx, in)
	run.Agents = r.Agents
	run.PromptTokens = r.Usage.PromptTokens
	run.CompletionTokens = r.Usage.CompletionTokens
	if trace, err := json.Marshal(r.Steps); err == nil {
		run.Trace = trace
	}
	if r.Outcome == agents.OutcomeEscalate {
		handoff := store.Event{Cause: store.CauseHandoff, Actor: "bot", Reason: r.HandoffReason}
		if rules.AsksForHuman(analysis.Words(text)) {
			handoff = store.Event{Cause: store.CauseAskHuman, Actor: "customer", Reason: r.HandoffReason}
		}
		res := e.escalate(run, last, history, r.TicketQuestion, r.HandoffReason, r.Steps, append(events, handoff))
		// One rule decides whether a ticket is personal, whatever route
		// the run took to a person (triage, a low-confidence search, a
		// failing model).
		res.OpenTicket.Personal, _ = rules.Personal(r.TicketQuestion, "")
		return res, nil
	}
	run.Outcome = string(r.Outcome)
	run.Reason = reasonOf(r)
	run.Reply = r.Reply
	agent := e.profile.Triage.Name
	var buttons []message.Button
	if r.Outcome == agents.OutcomeAnswer {
		agent = e.profile.Knowledge.Name
		if e.profile.Knowledge.OfferFeedback && e.profile.Messages.FeedbackQuestion != "" {
			buttons = []message.Button{
				{ID: ChoiceFeedbackYes, Title: e.profile.Messages.FeedbackYes},
				{ID: ChoiceFeedbackHuman, Title: e.profile.Messages.FeedbackHuman},
			}
		}
	}
	reply := r.Reply
	if len(buttons) > 0 {
		reply += "\n\n" + e.profile.Messages.FeedbackQuestion
	}
	if r.Outcome == agents.OutcomeAnswer {
		if detail, loop := e.repeatedAnswer(reply, history); loop {
			steps := append(slices.Clone(r.Steps), agents.Step{Agent: e.profile.Human.Name, Kind: "decision", Detail: ReasonLoop + ": " + detail})
			run.Trace = nil
			res := e.escalate(run, last, history, text, ReasonLoop, steps,
				append(events, store.Event{Cause: store.CauseHandoff, Actor: "bot", Reason: ReasonLoop}))
			res.OpenTicket.Personal, _ = rules.Personal(text, "")
			return res, nil
		}
	}
	return store.RunResult{Run: run, Events: botAnswer, Replies: []store.OutboundDraft{e.reply(last, 0, reply, agent, buttons)}}, nil
}

// typedConfirmation: the customer typed the words of the "it helped"
// button right after an answer of the knowledge base.
func (e *Engine) typedConfirmation(text string, history []store.Message) bool {
	yes := strings.Join(analysis.Words(e.profile.Messages.FeedbackYes), " ")
	if yes == "" || strings.Join(analysis.Words(text), " ") != yes {
		return false
	}
	for i := len(history) - 1; i >= 0; i-- {
		if m := history[i]; m.Direction == store.Outbound && m.Author == store.AuthorBot {
			return m.AuthorName == e.profile.Knowledge.Name
		}
	}
	return false
}

func reasonOf(r agents.Result) string {
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i].Kind == "reply" && r.Steps[i].Detail != "" {
			return r.Steps[i].Detail
		}
	}
	return string(r.Outcome)
}

func (e *Engine) escalate(run store.RunRecord, last store.Message, history []store.Message, question, reason string, steps []agents.Step, events []store.Event) store.RunResult {
	run.Outcome = string(agents.OutcomeEscalate)
	run.Reason = reason
	run.Reply = e.profile.Human.HandoffMessage
	if len(run.Agents) == 0 {
		run.Agents = []string{e.profile.Human.Name}
	}
	if len(run.Trace) == 0 && steps != nil {
		run.Trace, _ = json.Marshal(steps)
	}
	return store.RunResult{
		Run:        run,
		Replies:    []store.OutboundDraft{e.reply(last, 0, e.profile.Human.HandoffMessage, e.profile.Human.Name, nil)},
		OpenTicket: &store.TicketDraft{Question: question, HandoffReason: reason, Context: history},
		NoticeSent: true,
		Events:     events,
	}
}

// reply builds an outbound text draft answering the inbound message last.
// The dedupe key ties it to that message, so a re-run after a crash cannot
// queue it twice.
func (e *Engine) reply(last store.Message, ordinal int, text, agent string, buttons []message.Button) store.OutboundDraft {
	return store.OutboundDraft{
		Kind:       message.KindText,
		Text:       text,
		Details:    message.Details{Buttons: buttons},
		AuthorName: agent,
		Author:     store.AuthorBot,
		DedupeKey:  fmt.Sprintf("reply:%s:%d", last.ID, ordinal),
	}
}

// render turns a burst of inbound messages into the text the agents answer.
// fixed is a canned reply for bursts the agents need not see (only
// unsupported media, voice notes without transcription).
func (e *Engine) render(ctx context.Context, msgs []store.Message) (text, fixed, reason string) {
	var parts []string
	unsupported, voice := 0, 0
	for _, m := range msgs {
		switch m.Kind {
		case message.KindReaction:
			continue
		case message.KindUnsupported:
			unsupported++
			continue
		case message.KindAudio:
			t, ok := e.transcribe(ctx, m)
			if !ok {
				voice++
				continue
			}
			parts = append(parts, t)
			continue
		case message.KindChoice:
			if c := choiceOf(m); c == ChoiceFeedbackYes || c == ChoiceFeedbackHuman {
				parts = append(parts, m.Text)
				continue
			}
		}
		if t := strings.TrimSpace(m.Text); t != "" {
			parts = append(parts, t)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "\n"), "", ""
	}
	switch {
	case voice > 0:
		return "", e.profile.Messages.VoiceNoteUnsupported, "voice note and no transcription configured"
	case unsupported > 0:
		return "", e.profile.Messages.Unsupported, "unsupported message type"
	}
	return "", "", ""
}

// transcribe reads the voice note's bytes, stored apart from the message,
// and turns them into text; false when there are none (the adapter did not
// download them) or the transcription failed.
func (e *Engine) transcribe(ctx context.Context, m store.Message) (string, bool) {
	if e.transcriber == nil || m.Details.Media == nil {
		return "", false
	}
	audio, err := e.st.MessageMedia(ctx, m.ID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			e.log.Warn("read voice note", "message", m.ID, "err", err)
		}
		return "", false
	}
	t, err := e.transcriber.Transcribe(ctx, audio, m.Details.Media.MIMEType)
	if err != nil {
		e.log.Warn("transcription failed", "message", m.ID, "err", err)
		return "", false
	}
	t = strings.TrimSpace(t)
	return t, t != ""
}

func choiceOf(m store.Message) string {
	if m.Kind != message.KindChoice {
		return ""
	}
	return m.Details.ChoiceID()
}

// history returns the conversation before the claimed messages, oldest first.
func (e *Engine) history(ctx context.Context, conversationID string, claimed []string) ([]store.Message, error) {
	all, err := e.st.ListMessages(ctx, conversationID, e.cfg.HistoryMessages+len(claimed)+8)
	if err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	skip := map[string]bool{}
	for _, id := range claimed {
		skip[id] = true
	}
	var out []store.Message
	for _, m := range all {
		if skip[m.ID] || m.Kind == message.KindMarkRead || strings.TrimSpace(m.Text) == "" {
			continue
		}
		out = append(out, m)
	}
	if len(out) > e.cfg.HistoryMessages {
		out = out[len(out)-e.cfg.HistoryMessages:]
	}
	return out, nil
}

func turns(msgs []store.Message) []agents.Turn {
	out := make([]agents.Turn, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, agents.Turn{Author: string(m.Author), Text: m.Text})
	}
	return out
}

// lastUserQuestion finds the user's most recent real question (not a button
// tap) in the history.
func lastUserQuestion(history []store.Message) string {
	for i := len(history) - 1; i >= 0; i-- {
		m := history[i]
		if m.Direction == store.Inbound && m.Kind != message.KindChoice && strings.TrimSpace(m.Text) != "" {
			return m.Text
		}
	}
	return ""
}
