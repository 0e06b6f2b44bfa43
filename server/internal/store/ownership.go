package store

import "time"

// Owner states of the ownership state machine (Conversation.State). Every
// change is stored as a Transition; Next is the one table of them, applied
// by every implementation inside the transaction that causes the event.
const (
	StateBot             ConversationState = "bot"
	StateWaitingForHuman ConversationState = "waiting_for_human"
	StateHuman           ConversationState = "human"
	StateResolved        ConversationState = "resolved"
)

// States lists every owner state, for tables and tests.
var States = []ConversationState{StateBot, StateWaitingForHuman, StateHuman, StateResolved}

// Cause is an event of the ownership state machine.
type Cause string

const (
	// CauseCustomerMessage: a run took the customer's messages.
	CauseCustomerMessage Cause = "customer_message"
	// CauseBotAnswer: the bot replied (an answer or small talk).
	CauseBotAnswer Cause = "bot_answer"
	// CauseHandoff: the agents opened a ticket (no answer, frustration, a
	// loop, a failing model).
	CauseHandoff Cause = "handoff"
	// CauseAskHuman: the customer asked for a person ("Hablar con una
	// persona").
	CauseAskHuman Cause = "ask_human"
	// CauseTicketAnswered: a specialist answered the open ticket.
	CauseTicketAnswered Cause = "ticket_answered"
	// CauseTicketClosed: the open ticket was closed without an answer.
	CauseTicketClosed Cause = "ticket_closed"
	// CauseHumanMessage: a person wrote on the channel itself.
	CauseHumanMessage Cause = "human_message"
	// CausePause: the bot was paused through the API.
	CausePause Cause = "pause"
	// CauseResume: the bot was resumed through the API.
	CauseResume Cause = "resume"
	// CauseTimeout: a person's pause ran out; the bot comes back.
	CauseTimeout Cause = "timeout"
	// CauseConfirmed: the customer confirmed the bot's answer ("Sí,
	// gracias").
	CauseConfirmed Cause = "confirmed"
	// CauseSettled: the bot's answer met no further question within the
	// profile's resolution time.
	CauseSettled Cause = "settled"
)

// Causes lists every event, for tables and tests.
var Causes = []Cause{
	CauseCustomerMessage, CauseBotAnswer, CauseHandoff, CauseAskHuman, CauseTicketAnswered, CauseTicketClosed,
	CauseHumanMessage, CausePause, CauseResume, CauseTimeout, CauseConfirmed, CauseSettled,
}

// Next is the ownership state machine: the owner after event c in state
// from. ticketOpen says whether the conversation has an open ticket (a
// person's pause ending gives it back to the ticket, not to the bot). An
// event that does not apply leaves the state as it is.
func Next(from ConversationState, c Cause, ticketOpen bool) ConversationState {
	afterHuman := StateBot
	if ticketOpen {
		afterHuman = StateWaitingForHuman
	}
	switch c {
	case CauseHumanMessage, CausePause:
		// A person takes over from any state.
		return StateHuman
	}
	switch from {
	case StateBot:
		switch c {
		case CauseHandoff, CauseAskHuman:
			return StateWaitingForHuman
		case CauseConfirmed, CauseSettled:
			return StateResolved
		}
	case StateWaitingForHuman:
		switch c {
		case CauseTicketAnswered:
			return StateResolved
		case CauseTicketClosed:
			return StateBot
		}
	case StateHuman:
		switch c {
		case CauseResume, CauseTimeout:
			return afterHuman
		}
	case StateResolved:
		switch c {
		case CauseCustomerMessage:
			return StateBot
		case CauseHandoff, CauseAskHuman:
			return StateWaitingForHuman
		}
	}
	return from
}

// Transition is one stored change of owner.
type Transition struct {
	ConversationID string
	From, To       ConversationState
	Cause          Cause
	// Actor: "customer", "bot", a specialist's name, "api", "system".
	Actor    string
	Reason   string
	RunID    string
	TicketID string
	At       time.Time
}

// Event is an ownership event a run commits (RunResult.Events).
type Event struct {
	Cause  Cause
	Actor  string
	Reason string
}

// Outcome of a stretch of conversation (resolution accounting).
type Outcome string

const (
	OutcomeResolvedByBot    Outcome = "resolved_by_bot"
	OutcomeResolvedByPerson Outcome = "resolved_by_person"
	OutcomeAbandoned        Outcome = "abandoned"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeResolvedByBot, OutcomeResolvedByPerson, OutcomeAbandoned}

// Resolution is how a stretch of conversation ended, with its evidence.
type Resolution struct {
	ID             string
	ConversationID string
	Channel        string
	Outcome        Outcome
	Reason         string
	RunIDs         []string
	TicketID       string
	Confirmation   string
	StartedAt      time.Time
	ResolvedAt     time.Time
}

// ResolutionFilter selects resolutions: Outcome "" for any, resolved in
// [From, To) (zero bounds are open).
type ResolutionFilter struct {
	Outcome  Outcome
	From, To time.Time
	Limit    int
	Cursor   string
}

// SettlePolicy says when SettleConversations records an outcome by itself.
type SettlePolicy struct {
	// ResolveAfter: a bot answer met by no further customer message for
	// this long resolves the conversation (resolved by the bot). Zero: never.
	ResolveAfter time.Duration
	// AbandonAfter: a ticket unanswered for this long counts as abandoned
	// (the ticket stays open). Zero: never.
	AbandonAfter time.Duration
}
