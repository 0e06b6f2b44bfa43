// Package llm holds the "llm" mode of the agents: Triage and Knowledge as
// an OpenAI-compatible chat model with tool calling, in the manner of the
// OpenAI Agents SDK. Each agent is a system prompt built from the company
// profile plus tools; hand-offs are tools; Knowledge searches the knowledge
// base through a tool and answers only from what it found.
//
// What the models say is checked, not trusted: a Knowledge answer must cite
// the passages it used, and every number, amount, date, name, email, phone
// and link in it must appear in them (grounding.go); a Triage reply that
// states any such fact is not sent, and the question goes to Knowledge.
//
// Whatever goes wrong with the model (provider errors, timeouts, refusals,
// empty or malformed replies, unknown tools) ends in an error or a hand-off
// to Human with the reason, so the chain never drops the user's message.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/relevo/relevo/server/internal/agents"
)

// ChatClient sends chat completions. *Client implements it.
type ChatClient interface {
	CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
}

// Searcher finds knowledge-base passages for the Knowledge agent.
type Searcher interface {
	// Search returns at most limit passages for query, best first.
	Search(ctx context.Context, query string, limit int) ([]Passage, error)
}

// Passage is one search hit.
type Passage struct {
	// Source is the citation: a file name, or the source of a learned
	// entry.
	Source  string
	Page    int // from 1, or 0 when the source has no pages
	Heading string
	Text    string
	// Score is the retrieval confidence in [0, 1], on the scale of the
	// profile's knowledge.answer_threshold and knowledge.retrieval_floor.
	Score float64
}

// ErrModelTimeout reports a model call that outlived profile.LLM.Timeout.
var ErrModelTimeout = errors.New("model call timed out")

// defaultMaxModelCalls bounds one agent's tool-call loop: a search, a
// refined search and an answer fit, a model going round in circles does not.
const defaultMaxModelCalls = 4

// snippetRunes bounds the passage text kept in a trace.
const snippetRunes = 300

// Agent is a Triage or Knowledge agent backed by a chat model.
type Agent struct {
	role     agents.Role
	name     string
	profile  *agents.Profile
	client   ChatClient
	searcher Searcher
	model    string
	system   string
	tools    []openai.Tool
	maxCalls int
	minScore float64
	// allowed are the profile's own texts (company and agent names, fixed
	// messages): facts taken from them need no passage.
	allowed  []string
	evidence *evidenceCache
	log      *slog.Logger
}

// Option configures an Agent.
type Option func(*Agent)

// WithMaxModelCalls bounds the model calls of one Act (default 4).
func WithMaxModelCalls(n int) Option { return func(a *Agent) { a.maxCalls = n } }

// WithMinScore sets the score below which passages are not shown to the
// Knowledge model (default: the profile's knowledge.retrieval_floor).
func WithMinScore(s float64) Option { return func(a *Agent) { a.minScore = s } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(a *Agent) { a.log = l } }

// NewTriage returns the Triage agent: it answers small talk and hands
// specific questions to Knowledge and requests for a person to Human.
func NewTriage(p *agents.Profile, c ChatClient, opts ...Option) *Agent {
	return newAgent(p, agents.RoleTriage, p.Triage.Model, c, nil, opts)
}

// NewKnowledge returns the Knowledge agent: it searches with s and answers
// only from what it found, or hands off to Human.
func NewKnowledge(p *agents.Profile, c ChatClient, s Searcher, opts ...Option) *Agent {
	return newAgent(p, agents.RoleKnowledge, p.Knowledge.Model, c, s, opts)
}

func newAgent(p *agents.Profile, role agents.Role, model string, c ChatClient, s Searcher, opts []Option) *Agent {
	if model == "" {
		model = p.LLM.Model
	}
	a := &Agent{
		role:     role,
		name:     p.NameOf(role),
		profile:  p,
		client:   c,
		searcher: s,
		model:    model,
		system:   systemPrompt(p, role),
		tools:    roleTools(p, role),
		maxCalls: defaultMaxModelCalls,
		minScore: p.Knowledge.Floor(),
		allowed:  profileTexts(p),
		evidence: newEvidenceCache(),
		log:      slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// profileTexts are the texts of the profile a reply may repeat without a
// passage: the company's and the agents' names, the company's description
// and the fixed messages. Saying "C1DO1" or "Especialista Humano" invents
// nothing.
func profileTexts(p *agents.Profile) []string {
	m := p.Messages
	return []string{
		p.Company.Name, p.Company.Description, p.Triage.Name, p.Knowledge.Name, p.Human.Name,
		p.Human.HandoffMessage, p.Human.WaitingMessage, m.Greeting, m.Thanks, m.Goodbye, m.Presence,
	}
}

// run is the state of one Act.
type run struct {
	act      agents.Action
	msgs     []openai.ChatCompletionMessage
	searched bool
	// shown are the passages the model was given, with their ids: the
	// only ones it may answer from.
	shown []shownPassage
	// ids maps a passage (passageKey) to its id, so a passage found by two
	// searches keeps one id.
	ids map[string]string
	// allowed are the texts whose facts need no passage: the profile's and
	// the contact's name.
	allowed []string
}

func (r *run) step(agent, kind, detail string) {
	r.act.Steps = append(r.act.Steps, agents.Step{Agent: agent, Kind: kind, Detail: detail})
}

// Act runs the tool-call loop until the model replies or hands off.
func (a *Agent) Act(ctx context.Context, in agents.Input) (agents.Action, error) {
	r := &run{msgs: conversation(a.system, in, a.profile.LLM.HistoryTurns), ids: map[string]string{}, allowed: a.allowed}
	if name := strings.TrimSpace(in.ContactName); name != "" {
		// Greeting the user by name states nothing about the company.
		r.allowed = append(slices.Clip(a.allowed), name)
	}
	for call := 0; call < a.maxCalls; call++ {
		msg, finish, err := a.complete(ctx, r)
		if err != nil {
			a.log.Warn("model call failed", "agent", a.name, "model", a.model, "err", err)
			return r.act, err
		}
		if msg.Refusal != "" {
			return a.toHuman(r, "the model refused: "+msg.Refusal), nil
		}
		if finish == openai.FinishReasonContentFilter {
			return a.toHuman(r, "the provider's content filter stopped the reply"), nil
		}
		if len(msg.ToolCalls) > 0 {
			if act, done := a.toolCalls(ctx, r, msg); done {
				return act, nil
			}
			continue
		}
		return a.reply(r, msg.Content, finish), nil
	}
	return a.toHuman(r, fmt.Sprintf("no answer after %d model calls", a.maxCalls)), nil
}

// complete makes one model call within the per-request timeout.
func (a *Agent) complete(ctx context.Context, r *run) (openai.ChatCompletionMessage, openai.FinishReason, error) {
	req := openai.ChatCompletionRequest{
		Model:       a.model,
		Messages:    r.msgs,
		Tools:       a.tools,
		Temperature: a.profile.LLM.Temperature,
	}
	// Reasoning models accept only their fixed temperature; the library
	// knows which, so ask it rather than keep a list here.
	if req.Temperature != 0 && openai.NewReasoningValidator().Validate(req) != nil {
		req.Temperature = 0
	}
	timeout := a.profile.LLM.Timeout
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := a.client.CreateChatCompletion(callCtx, req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return openai.ChatCompletionMessage{}, "", fmt.Errorf("%w after %s (model %s)", ErrModelTimeout, timeout, a.model)
		}
		return openai.ChatCompletionMessage{}, "", fmt.Errorf("model %s: %w", a.model, err)
	}
	r.act.Usage.PromptTokens += resp.Usage.PromptTokens
	r.act.Usage.CompletionTokens += resp.Usage.CompletionTokens
	if len(resp.Choices) == 0 {
		return openai.ChatCompletionMessage{}, "", fmt.Errorf("model %s: the provider returned no choices", a.model)
	}
	return resp.Choices[0].Message, resp.Choices[0].FinishReason, nil
}

// toolCalls executes the calls of one assistant message. It reports done
// with the action when a call ends the turn (a hand-off, or a call that
// cannot be carried out).
func (a *Agent) toolCalls(ctx context.Context, r *run, msg openai.ChatCompletionMessage) (agents.Action, bool) {
	// The assistant message goes back with its calls, so the results that
	// follow answer them.
	r.msgs = append(r.msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: msg.Content, ToolCalls: msg.ToolCalls})
	var results []openai.ChatCompletionMessage
	for _, tc := range msg.ToolCalls {
		name, args := tc.Function.Name, tc.Function.Arguments
		r.step(a.name, "tool_call", truncate(name+" "+args, 500))
		if !a.offers(name) {
			return a.toHuman(r, fmt.Sprintf("the model called an unknown tool %q", name)), true
		}
		switch name {
		case ToolTransferToKnowledge, ToolTransferToHuman:
			var p struct {
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal([]byte(args), &p); err != nil {
				return a.toHuman(r, fmt.Sprintf("malformed arguments for %s: %v", name, err)), true
			}
			target := agents.RoleHuman
			if name == ToolTransferToKnowledge {
				target = agents.RoleKnowledge
			}
			reason := strings.TrimSpace(p.Reason)
			if reason == "" {
				reason = fmt.Sprintf("%s handed off without a reason", a.name)
			}
			return agents.Action{Handoff: target, Reason: reason, Steps: r.act.Steps, Usage: r.act.Usage}, true
		case ToolSearch:
			var p struct {
				Query string `json:"query"`
			}
			if err := json.Unmarshal([]byte(args), &p); err != nil {
				return a.toHuman(r, fmt.Sprintf("malformed arguments for %s: %v", name, err)), true
			}
			content, err := a.search(ctx, r, strings.TrimSpace(p.Query))
			if err != nil {
				return a.toHuman(r, "knowledge-base search failed: "+err.Error()), true
			}
			results = append(results, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: tc.ID, Content: content})
		}
	}
	r.msgs = append(r.msgs, results...)
	return agents.Action{}, false
}

func (a *Agent) offers(name string) bool {
	for _, t := range a.tools {
		if t.Function.Name == name {
			return true
		}
	}
	return false
}

// searchOutput is the search tool's result as the model reads it.
type searchOutput struct {
	Results []searchHit `json:"results"`
	Note    string      `json:"note,omitempty"`
}

type searchHit struct {
	// ID is what the answer cites: "P1", "P2", …
	ID      string  `json:"id"`
	Source  string  `json:"source"`
	Page    int     `json:"page,omitempty"`
	Heading string  `json:"heading,omitempty"`
	Score   float64 `json:"score"`
	Text    string  `json:"text"`
}

// search runs the knowledge-base search, records it, and returns the tool
// result. Passages under the retrieval floor are recorded but not shown:
// they share little more than a word with the question. Above it the model
// reads the passages and their scores and decides itself.
func (a *Agent) search(ctx context.Context, r *run, query string) (string, error) {
	r.searched = true
	if query == "" {
		r.step(a.name, "search", "empty query")
		return `{"results":[],"note":"The query was empty: search again with the user's question."}`, nil
	}
	if a.searcher == nil {
		return "", errors.New("no knowledge base is configured")
	}
	passages, err := a.searcher.Search(ctx, query, a.profile.Knowledge.TopK)
	if err != nil {
		return "", err
	}
	out := searchOutput{Results: []searchHit{}}
	trace := make([]agents.Passage, 0, len(passages))
	var ids []string
	for _, p := range passages {
		tp := agents.Passage{Source: p.Source, Page: p.Page, Score: p.Score, Snippet: truncate(p.Text, snippetRunes)}
		if p.Score >= a.minScore {
			tp.ID = r.idOf(p)
			ids = append(ids, tp.ID)
			out.Results = append(out.Results, searchHit{ID: tp.ID, Source: p.Source, Page: p.Page, Heading: p.Heading, Score: p.Score, Text: p.Text})
		}
		trace = append(trace, tp)
	}
	if len(out.Results) == 0 {
		out.Note = fmt.Sprintf("No relevant passage was found. Do not answer: call %s.", ToolTransferToHuman)
	}
	detail := fmt.Sprintf("%q: %d passages, %d at or above %.2f", query, len(passages), len(out.Results), a.minScore)
	if len(ids) > 0 {
		detail += ", shown as " + strings.Join(ids, ", ")
	}
	r.act.Steps = append(r.act.Steps, agents.Step{Agent: a.name, Kind: "search", Detail: detail, Passages: trace})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return "", fmt.Errorf("encode search results: %w", err)
	}
	return strings.TrimSpace(b.String()), nil
}

// idOf returns the id of a shown passage, numbering it on first sight.
func (r *run) idOf(p Passage) string {
	key := fmt.Sprintf("%s\x00%d\x00%s", p.Source, p.Page, p.Text)
	if id, ok := r.ids[key]; ok {
		return id
	}
	id := fmt.Sprintf("P%d", len(r.shown)+1)
	r.ids[key] = id
	r.shown = append(r.shown, shownPassage{id: id, Passage: p})
	return id
}

// reply turns the model's text into the action, enforcing what the prompt
// asks: a non-empty, complete reply; for Triage no facts; for Knowledge an
// answer that cites passages it was shown and is grounded in them.
func (a *Agent) reply(r *run, content string, finish openai.FinishReason) agents.Action {
	text := strings.TrimSpace(content)
	switch {
	case text == "":
		return a.toHuman(r, "the model returned an empty reply")
	case finish == openai.FinishReasonLength:
		return a.toHuman(r, "the model's reply was cut off at the token limit")
	}
	if a.role == agents.RoleTriage {
		return a.triageReply(r, text)
	}
	switch {
	case !r.searched:
		return a.toHuman(r, "the model answered without searching the knowledge base")
	case len(r.shown) == 0:
		return a.toHuman(r, "the model answered although the search found no relevant passage")
	}
	cited, unknown := citations(text, r.shown)
	switch {
	case len(unknown) > 0:
		return a.toHuman(r, fmt.Sprintf("grounding: the answer cites %s, which it was not shown", strings.Join(unknown, ", ")))
	case len(cited) == 0:
		return a.toHuman(r, "grounding: the answer cites no passage")
	}
	evidence := make(map[string]string, len(cited))
	for _, p := range cited {
		evidence[p.id] = p.evidenceText()
	}
	ids := citedIDs(cited)
	if missing := ungrounded(withoutCitations(text, r.shown), evidence, r.allowed, a.evidence.of); len(missing) > 0 {
		return a.toHuman(r, groundingReason(missing, ids))
	}
	r.act.Reply, r.act.Outcome = renderCitations(text, r.shown, sourceLabel(a.profile.Company.Language)), agents.OutcomeAnswer
	r.act.Sources = sourcesOf(cited)
	r.act.Reason = fmt.Sprintf("answered from %s (grounded in %s)", strings.Join(r.act.Sources, ", "), strings.Join(ids, ", "))
	return r.act
}

// triageReply delivers a Triage reply only when it states no facts: Triage
// has no knowledge base to take a price or a date from, so any it states
// comes from the model's own knowledge or imagination. Such a reply is
// withheld and the question goes to Knowledge, which has to ground what it
// says.
func (a *Agent) triageReply(r *run, text string) agents.Action {
	facts := Unsanctioned(text, r.allowed)
	if len(facts) == 0 {
		r.act.Reply, r.act.Outcome, r.act.Reason = text, agents.OutcomeSmalltalk, "answered by the model"
		return r.act
	}
	reason := "triage reply withheld: it states " + describeFacts(facts)
	a.log.Warn("triage reply withheld", "agent", a.name, "facts", describeFacts(facts))
	r.step(a.name, "check", fmt.Sprintf("%s; the reply was %q", reason, truncate(text, snippetRunes)))
	return agents.Action{Handoff: agents.RoleKnowledge, Reason: reason, Steps: r.act.Steps, Usage: r.act.Usage}
}

// toHuman ends the turn with a hand-off to Human, recording why.
func (a *Agent) toHuman(r *run, reason string) agents.Action {
	a.log.Warn("handing off to a human", "agent", a.name, "reason", reason)
	r.step(a.name, "error", reason)
	return agents.Action{Handoff: agents.RoleHuman, Reason: reason, Steps: r.act.Steps, Usage: r.act.Usage}
}

func truncate(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// Compile-time check that the agents satisfy the chain's contract.
var _ agents.Agent = (*Agent)(nil)
