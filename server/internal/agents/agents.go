// Package agents holds the chain of agents that decides how Relevo answers a
// user: Triage (small talk, routing), Knowledge (answers only from the
// knowledge base) and Human (hand-off to a specialist). Each role runs in a
// mode chosen per company in the profile: "rules" (offline, deterministic;
// package rules) or "llm" (an OpenAI-compatible model with tool calling;
// package llm).
//
// The chain only decides. It writes nothing: the pipeline commits the
// decision (replies, ticket, run record) atomically with the messages it
// answers, so a crash mid-run never leaves half a decision behind.
package agents

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Role names a position in the chain.
type Role string

const (
	RoleTriage    Role = "triage"
	RoleKnowledge Role = "knowledge"
	RoleHuman     Role = "human"
)

// Outcome is the chain's decision.
type Outcome string

const (
	OutcomeSmalltalk Outcome = "smalltalk"
	OutcomeAnswer    Outcome = "answer"
	OutcomeEscalate  Outcome = "escalate"
)

// Turn is one earlier message of the conversation.
type Turn struct {
	Author string // "user", "bot" or "human"
	Text   string
}

// Input is what the chain answers.
type Input struct {
	ConversationID string
	Channel        string
	ContactName    string
	// Text is the user's new message; several messages of a burst are joined
	// with newlines.
	Text string
	// History holds earlier turns, oldest first, without Text.
	History []Turn
}

// Passage is a retrieved knowledge-base passage recorded in a trace.
type Passage struct {
	// ID is the id the passage was shown to a model under ("P1"), which
	// its answer cites; empty for passages it was not shown.
	ID      string  `json:"id,omitempty"`
	Source  string  `json:"source"`
	Page    int     `json:"page,omitempty"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// Step is one entry of a run's trace.
type Step struct {
	Agent    string    `json:"agent"`
	Kind     string    `json:"kind"` // handoff, tool_call, search, check, reply, decision, error
	Detail   string    `json:"detail,omitempty"`
	Passages []Passage `json:"passages,omitempty"`
	// Confidence is a decision step's confidence that the best passage
	// answers the question (0 when it lacks what is asked).
	Confidence float64 `json:"confidence,omitempty"`
	// Check is a decision step's reasoning in detail (offline Knowledge
	// agent), so that an operator can see why without parsing Detail.
	Check *AnswerCheck `json:"check,omitempty"`
}

// AnswerCheck is how the offline Knowledge agent judged whether a passage
// answers a question.
type AnswerCheck struct {
	Answer  bool     `json:"answer"`
	Asked   string   `json:"asked"`
	Held    bool     `json:"held"`
	Covered []string `json:"covered,omitempty"`
	Missing []string `json:"missing,omitempty"`
	// Unknown are the missing words no passage of the knowledge base
	// holds: what the base may lack, rather than what this passage does.
	Unknown    []string `json:"unknown,omitempty"`
	Retrieval  float64  `json:"retrieval"`
	Confidence float64  `json:"confidence"`
	Threshold  float64  `json:"threshold"`
	Reason     string   `json:"reason"`
	Source     string   `json:"source,omitempty"`
}

// Usage counts model tokens.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Action is what one agent does when it acts: reply (Handoff empty) or hand
// the conversation to another role.
type Action struct {
	Handoff Role
	// Reason explains a hand-off or a reply (for the trace and the ticket).
	Reason string
	// Reply is the text for the user when the agent answers.
	Reply string
	// Outcome of a reply: smalltalk or answer. Ignored for hand-offs.
	Outcome Outcome
	// Sources cited by an answer.
	Sources []string
	// Steps the agent took (tool calls, searches), appended to the trace.
	Steps []Step
	Usage Usage
}

// Agent is one role's implementation.
type Agent interface {
	// Act handles the input. An error means the agent could not decide; the
	// chain then hands off to Human, so the user's message is never dropped.
	Act(ctx context.Context, in Input) (Action, error)
}

// Result is the chain's decision for one input.
type Result struct {
	Outcome Outcome
	// Reply to send: the small-talk reply, the answer, or the hand-off notice.
	Reply string
	// Sources cited by an answer.
	Sources []string
	// HandoffReason says why the chain escalated.
	HandoffReason string
	// TicketQuestion is the question to put in the ticket.
	TicketQuestion string
	// Agents visited, in order, by their display names.
	Agents []string
	Steps  []Step
	Usage  Usage
}

// Chain runs the roles in turn, starting at Triage.
type Chain struct {
	profile *Profile
	agents  map[Role]Agent
}

// NewChain returns a chain with the given implementations for Triage and
// Knowledge. Human is built in: it always escalates with the profile's
// hand-off message. A nil Knowledge makes every hand-off to it go to Human.
func NewChain(p *Profile, triage, knowledge Agent) *Chain {
	return &Chain{profile: p, agents: map[Role]Agent{RoleTriage: triage, RoleKnowledge: knowledge}}
}

// Profile returns the company profile the chain runs with.
func (c *Chain) Profile() *Profile { return c.profile }

// Agent returns the implementation of a role, nil when the chain has none.
func (c *Chain) Agent(r Role) Agent { return c.agents[r] }

// Run decides how to answer in. It never fails: any agent error, timeout or
// loop ends in a hand-off to a human with the reason recorded.
func (c *Chain) Run(ctx context.Context, in Input) Result {
	var res Result
	role := RoleTriage
	reason := ""
	for turn := 0; ; turn++ {
		if role == RoleHuman {
			break
		}
		if turn >= c.profile.MaxTurns {
			reason = fmt.Sprintf("no decision after %d agent turns", c.profile.MaxTurns)
			res.Steps = append(res.Steps, Step{Agent: c.profile.NameOf(role), Kind: "error", Detail: reason})
			break
		}
		agent := c.agents[role]
		name := c.profile.NameOf(role)
		if agent == nil {
			// A chain built without this role (e.g. no knowledge base):
			// the one who can always take the question is a person.
			reason = fmt.Sprintf("no %s agent to take over (%s)", role, reason)
			res.Steps = append(res.Steps, Step{Agent: name, Kind: "error", Detail: reason})
			break
		}
		res.Agents = append(res.Agents, name)
		actCtx, cancel := context.WithTimeout(ctx, c.profile.AgentTimeout)
		act, err := agent.Act(actCtx, in)
		cancel()
		res.Steps = append(res.Steps, act.Steps...)
		res.Usage.PromptTokens += act.Usage.PromptTokens
		res.Usage.CompletionTokens += act.Usage.CompletionTokens
		if err != nil {
			reason = "agent error: " + err.Error()
			if errors.Is(err, context.DeadlineExceeded) {
				reason = fmt.Sprintf("agent %s timed out after %s", name, c.profile.AgentTimeout)
			}
			res.Steps = append(res.Steps, Step{Agent: name, Kind: "error", Detail: reason})
			break
		}
		if act.Handoff == "" {
			res.Outcome = act.Outcome
			if res.Outcome == "" {
				res.Outcome = OutcomeAnswer
			}
			res.Reply = act.Reply
			res.Sources = act.Sources
			res.Steps = append(res.Steps, Step{Agent: name, Kind: "reply", Detail: act.Reason})
			return res
		}
		res.Steps = append(res.Steps, Step{Agent: name, Kind: "handoff", Detail: fmt.Sprintf("→ %s: %s", c.profile.NameOf(act.Handoff), act.Reason)})
		reason = act.Reason
		role = act.Handoff
	}
	res.Agents = append(res.Agents, c.profile.NameOf(RoleHuman))
	res.Outcome = OutcomeEscalate
	res.HandoffReason = reason
	res.TicketQuestion = in.Text
	res.Reply = c.profile.Human.HandoffMessage
	res.Steps = append(res.Steps, Step{Agent: c.profile.NameOf(RoleHuman), Kind: "decision", Detail: "ticket: " + reason})
	return res
}

// defaultAgentTimeout bounds one agent's turn, model calls included.
const defaultAgentTimeout = 45 * time.Second
