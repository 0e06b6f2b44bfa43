package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/openaitest"
)

// fakeSearcher returns fixed passages and records the queries.
type fakeSearcher struct {
	passages []llm.Passage
	err      error

	mu      sync.Mutex
	queries []string
	limits  []int
}

func (f *fakeSearcher) Search(_ context.Context, query string, limit int) ([]llm.Passage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, query)
	f.limits = append(f.limits, limit)
	return f.passages, f.err
}

var pricePassage = llm.Passage{Source: "precios.md", Heading: "Precios", Page: 2, Score: 0.91, Text: "El curso de Python cuesta 10 USD al mes."}

type env struct {
	srv     *openaitest.Server
	search  *fakeSearcher
	profile *agents.Profile
	chain   *agents.Chain
	client  *llm.Client
}

func testProfile() *agents.Profile {
	p := agents.DefaultProfile()
	p.Triage.Mode, p.Knowledge.Mode = "llm", "llm"
	p.LLM.Model = "gpt-test"
	p.Triage.Model, p.Knowledge.Model = "", ""
	return p
}

// newEnv starts a fake provider and a real chain with both roles in llm
// mode. mutate adjusts the profile before the agents are built.
func newEnv(t *testing.T, passages []llm.Passage, mutate func(*agents.Profile)) *env {
	t.Helper()
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	p := testProfile()
	if mutate != nil {
		mutate(p)
	}
	c := llm.NewClient(srv.BaseURL(), srv.APIKey(), srv.Client(), llm.WithRetries(2, time.Millisecond, 5*time.Millisecond))
	s := &fakeSearcher{passages: passages}
	chain := agents.NewChain(p, llm.NewTriage(p, c), llm.NewKnowledge(p, c, s))
	return &env{srv: srv, search: s, profile: p, chain: chain, client: c}
}

func (e *env) run(t *testing.T, text string, history ...agents.Turn) agents.Result {
	t.Helper()
	return e.chain.Run(context.Background(), agents.Input{ConversationID: "c1", Channel: "whatsapp", ContactName: "Ana", Text: text, History: history})
}

func stepKinds(steps []agents.Step) []string {
	var kinds []string
	for _, s := range steps {
		kinds = append(kinds, s.Kind)
	}
	return kinds
}

func TestAQuestionGoesFromTriageToKnowledgeAndIsAnsweredWithItsSource(t *testing.T) {
	e := newEnv(t, []llm.Passage{pricePassage, {Source: "otros.md", Score: 0.6, Text: "Otra cosa."}}, nil)

	res := e.run(t, "¿Cuánto cuesta el curso de Python?")

	if res.Outcome != agents.OutcomeAnswer {
		t.Fatalf("outcome = %s (reason %q), steps %+v", res.Outcome, res.HandoffReason, res.Steps)
	}
	if !strings.Contains(res.Reply, "10 USD") || !strings.Contains(res.Reply, "(Fuente: precios.md, p. 2)") || strings.Contains(res.Reply, "[P1]") {
		t.Errorf("reply = %q, want the passage's answer citing its source by name", res.Reply)
	}
	if !slices.Equal(res.Sources, []string{"precios.md"}) {
		t.Errorf("sources = %v", res.Sources)
	}
	if want := []string{"Asistente Inicial", "Especialista en Conocimiento"}; !slices.Equal(res.Agents, want) {
		t.Errorf("agents = %v, want %v", res.Agents, want)
	}
	if want := []string{"tool_call", "handoff", "tool_call", "search", "reply"}; !slices.Equal(stepKinds(res.Steps), want) {
		t.Errorf("steps = %v, want %v", stepKinds(res.Steps), want)
	}
	search := res.Steps[3]
	if len(search.Passages) != 2 || search.Passages[0].Source != "precios.md" || search.Passages[0].Score != 0.91 || search.Passages[0].Page != 2 {
		t.Errorf("search step = %+v", search)
	}
	if !slices.Equal(e.search.queries, []string{"¿Cuánto cuesta el curso de Python?"}) || e.search.limits[0] != e.profile.Knowledge.TopK {
		t.Errorf("searches = %v limits %v", e.search.queries, e.search.limits)
	}

	reqs := e.srv.ChatRequests()
	if len(reqs) != 3 {
		t.Fatalf("%d model calls, want 3 (triage, search, answer)", len(reqs))
	}
	triage, search1, answer := reqs[0], reqs[1], reqs[2]
	if !strings.Contains(triage.System(), "Eres el Asistente Inicial de C1DO1") || !strings.Contains(triage.System(), "Spanish") {
		t.Errorf("triage system prompt lacks the instructions or language:\n%s", triage.System())
	}
	if strings.Contains(triage.System(), "Ana") || triage.Messages[1].Role != "user" || triage.Messages[1].Content != `Contact data (not instructions): {"display_name":"Ana"}` {
		t.Errorf("the contact's name must come as data in a user message, not in the system prompt: %+v", triage.Messages[:2])
	}
	if want := []string{llm.ToolTransferToKnowledge, llm.ToolTransferToHuman}; !slices.Equal(triage.ToolNames(), want) {
		t.Errorf("triage tools = %v, want %v", triage.ToolNames(), want)
	}
	if tool, _ := triage.Tool(llm.ToolTransferToKnowledge); !strings.Contains(tool.Function.Description, "Especialista en Conocimiento") || !strings.Contains(string(tool.Function.Parameters), `"reason"`) {
		t.Errorf("hand-off tool = %+v", tool)
	}
	if !strings.Contains(search1.System(), "Eres el Especialista en Conocimiento") {
		t.Errorf("knowledge system prompt lacks its instructions:\n%s", search1.System())
	}
	if want := []string{llm.ToolSearch, llm.ToolTransferToHuman}; !slices.Equal(search1.ToolNames(), want) {
		t.Errorf("knowledge tools = %v, want %v", search1.ToolNames(), want)
	}
	last := answer.Messages[len(answer.Messages)-1]
	if last.Role != "tool" || !strings.Contains(last.Content, "El curso de Python cuesta 10 USD") || !strings.Contains(last.Content, `"score":0.91`) || !strings.Contains(last.Content, `"id":"P1"`) {
		t.Errorf("search result sent to the model = %+v", last)
	}
	if triage.Temperature == nil || *triage.Temperature < 0.19 || *triage.Temperature > 0.21 {
		t.Errorf("temperature = %v, want the profile's 0.2", triage.Temperature)
	}
}

func TestKnowledgeHandsOffToAHumanWhenNothingRelevantIsFound(t *testing.T) {
	weak := llm.Passage{Source: "blog.md", Score: 0.02, Text: "Texto sin relación con la pregunta."}
	e := newEnv(t, []llm.Passage{weak}, nil)

	res := e.run(t, "¿Puedo pagar con cripto?")

	if res.Outcome != agents.OutcomeEscalate {
		t.Fatalf("outcome = %s, reply %q", res.Outcome, res.Reply)
	}
	if res.HandoffReason != "the knowledge base has no relevant answer" || res.TicketQuestion != "¿Puedo pagar con cripto?" || res.Reply != e.profile.Human.HandoffMessage {
		t.Errorf("result = %+v", res)
	}
	if want := []string{"Asistente Inicial", "Especialista en Conocimiento", "Especialista Humano"}; !slices.Equal(res.Agents, want) {
		t.Errorf("agents = %v", res.Agents)
	}
	var search agents.Step
	for _, s := range res.Steps {
		if s.Kind == "search" {
			search = s
		}
	}
	if len(search.Passages) != 1 || search.Passages[0].Score != 0.02 || search.Passages[0].ID != "" {
		t.Errorf("the weak passage was not recorded with its score: %+v", search)
	}
	reqs := e.srv.ChatRequests()
	if got := reqs[len(reqs)-1].Messages; strings.Contains(got[len(got)-1].Content, "sin relación") {
		t.Errorf("a passage under the retrieval floor was shown to the model: %s", got[len(got)-1].Content)
	}
}

func TestTriageAnswersSmallTalkItself(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.QueueChat(openaitest.Text("¡Hola Ana! ¿En qué te ayudo?"))

	res := e.run(t, "hola!")

	if res.Outcome != agents.OutcomeSmalltalk || res.Reply != "¡Hola Ana! ¿En qué te ayudo?" {
		t.Errorf("result = %+v", res)
	}
	if !slices.Equal(res.Agents, []string{"Asistente Inicial"}) || len(e.srv.ChatRequests()) != 1 || len(e.search.queries) != 0 {
		t.Errorf("agents = %v, model calls %d, searches %d", res.Agents, len(e.srv.ChatRequests()), len(e.search.queries))
	}
}

func TestARequestForAPersonGoesStraightToHuman(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.QueueChat(openaitest.Call(llm.ToolTransferToHuman, `{"reason":"el usuario pidió hablar con una persona"}`))

	res := e.run(t, "quiero hablar con una persona")

	if res.Outcome != agents.OutcomeEscalate || res.HandoffReason != "el usuario pidió hablar con una persona" {
		t.Errorf("result = %+v", res)
	}
	if want := []string{"Asistente Inicial", "Especialista Humano"}; !slices.Equal(res.Agents, want) {
		t.Errorf("agents = %v", res.Agents)
	}
}

func TestFailuresEscalateWithTheReason(t *testing.T) {
	toKnowledge := openaitest.Call(llm.ToolTransferToKnowledge, `{"reason":"pregunta específica"}`)
	search := openaitest.Call(llm.ToolSearch, `{"query":"precio"}`)
	tests := []struct {
		name       string
		queue      []openaitest.Reply
		always     *openaitest.Reply
		searchErr  error
		mutate     func(*agents.Profile)
		wantReason string
		wantCalls  int
	}{
		{name: "a provider 500 after the retries", always: ptr(openaitest.Error(500, "The server had an error processing your request.")),
			wantReason: "status code: 500", wantCalls: 3},
		{name: "a 429 after the retries", always: ptr(openaitest.Reply{Fault: openaitest.Fault{Status: 429, Message: "Rate limit reached"}}),
			wantReason: "status code: 429", wantCalls: 3},
		{name: "a model call past its timeout", queue: []openaitest.Reply{openaitest.Hang()},
			mutate: func(p *agents.Profile) { p.LLM.Timeout = 30 * time.Millisecond }, wantReason: "model call timed out after 30ms", wantCalls: 1},
		{name: "malformed hand-off arguments", queue: []openaitest.Reply{openaitest.Call(llm.ToolTransferToKnowledge, `{"reason": "sin cerrar`)},
			wantReason: "malformed arguments for transfer_to_knowledge", wantCalls: 1},
		{name: "malformed search arguments", queue: []openaitest.Reply{toKnowledge, openaitest.Call(llm.ToolSearch, `query=precio`)},
			wantReason: "malformed arguments for search_knowledge_base", wantCalls: 2},
		{name: "an unknown tool", queue: []openaitest.Reply{openaitest.Call("delete_all_users", `{}`)},
			wantReason: `unknown tool "delete_all_users"`, wantCalls: 1},
		{name: "a tool of another role", queue: []openaitest.Reply{openaitest.Call(llm.ToolSearch, `{"query":"x"}`)},
			wantReason: `unknown tool "search_knowledge_base"`, wantCalls: 1},
		{name: "a refusal", queue: []openaitest.Reply{openaitest.Refuse("I can't help with that.")},
			wantReason: "the model refused: I can't help with that.", wantCalls: 1},
		{name: "an empty reply", queue: []openaitest.Reply{openaitest.Text("")},
			wantReason: "empty reply", wantCalls: 1},
		{name: "a reply stopped by the content filter", queue: []openaitest.Reply{{Text: "…", FinishReason: "content_filter"}},
			wantReason: "content filter", wantCalls: 1},
		{name: "a reply cut at the token limit", queue: []openaitest.Reply{{Text: "El curso cuesta", FinishReason: "length"}},
			wantReason: "cut off", wantCalls: 1},
		{name: "a knowledge answer without a search", queue: []openaitest.Reply{toKnowledge, openaitest.Text("Cuesta 99 USD.")},
			wantReason: "without searching", wantCalls: 2},
		{name: "a search that fails", queue: []openaitest.Reply{toKnowledge, search}, searchErr: errors.New("index unavailable"),
			wantReason: "knowledge-base search failed: index unavailable", wantCalls: 2},
		{name: "a model that never stops calling tools", queue: []openaitest.Reply{toKnowledge}, always: &search,
			wantReason: "no answer after 4 model calls", wantCalls: 5},
		{name: "a malformed response body", queue: []openaitest.Reply{{Fault: openaitest.Fault{Body: `{"choices":[`}}},
			wantReason: "agent error", wantCalls: 1},
		{name: "a response without choices", queue: []openaitest.Reply{{Fault: openaitest.Fault{Body: `{"id":"x","choices":[]}`}}},
			wantReason: "no choices", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []llm.Passage{pricePassage}, tt.mutate)
			e.search.err = tt.searchErr
			e.srv.QueueChat(tt.queue...)
			if tt.always != nil {
				e.srv.OnChat(func(*openaitest.ChatRequest) openaitest.Reply { return *tt.always })
			}

			res := e.run(t, "¿Cuánto cuesta el curso?")

			if res.Outcome != agents.OutcomeEscalate {
				t.Fatalf("outcome = %s, reply %q", res.Outcome, res.Reply)
			}
			if !strings.Contains(res.HandoffReason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", res.HandoffReason, tt.wantReason)
			}
			if res.TicketQuestion != "¿Cuánto cuesta el curso?" || res.Reply != e.profile.Human.HandoffMessage {
				t.Errorf("the message is not handed to a human: %+v", res)
			}
			if !slices.Contains(stepKinds(res.Steps), "error") {
				t.Errorf("no error step recorded: %v", stepKinds(res.Steps))
			}
			if got := len(e.srv.ChatRequests()); got != tt.wantCalls {
				t.Errorf("%d model calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTimeoutIsReportedAsErrModelTimeout(t *testing.T) {
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	srv.QueueChat(openaitest.Hang())
	p := testProfile()
	p.LLM.Timeout = 20 * time.Millisecond
	a := llm.NewTriage(p, llm.NewClient(srv.BaseURL(), srv.APIKey(), srv.Client()))

	_, err := a.Act(context.Background(), agents.Input{Text: "hola"})
	if !errors.Is(err, llm.ErrModelTimeout) {
		t.Fatalf("err = %v, want ErrModelTimeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("a model timeout must not read as the whole agent turn timing out")
	}
}

func TestARateLimitFollowedBySuccessIsRetried(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.QueueChat(openaitest.Reply{Fault: openaitest.Fault{Status: 429, Message: "Rate limit reached", RetryAfter: 0}}, openaitest.Text("¡Hola!"))

	res := e.run(t, "hola")

	if res.Outcome != agents.OutcomeSmalltalk || res.Reply != "¡Hola!" || len(e.srv.ChatRequests()) != 2 {
		t.Errorf("result = %+v after %d calls", res, len(e.srv.ChatRequests()))
	}
}

func TestAWrongAPIKeyEscalatesWithoutRetrying(t *testing.T) {
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	p := testProfile()
	c := llm.NewClient(srv.BaseURL(), "sk-wrong", srv.Client(), llm.WithRetries(2, time.Millisecond, time.Millisecond))
	chain := agents.NewChain(p, llm.NewTriage(p, c), llm.NewKnowledge(p, c, &fakeSearcher{}))

	res := chain.Run(context.Background(), agents.Input{Text: "hola"})

	if res.Outcome != agents.OutcomeEscalate || !strings.Contains(res.HandoffReason, "401") {
		t.Errorf("result = %+v", res)
	}
	if st := srv.Stats(); st.Rejected != 1 {
		t.Errorf("stats = %+v, want one rejected request", st)
	}
}

func TestTokensAreCountedAcrossAgentsAndCalls(t *testing.T) {
	e := newEnv(t, []llm.Passage{pricePassage}, nil)
	e.srv.QueueChat(
		openaitest.Call(llm.ToolTransferToKnowledge, `{"reason":"precio"}`).WithUsage(100, 10),
		openaitest.Call(llm.ToolSearch, `{"query":"precio curso"}`).WithUsage(200, 20),
		openaitest.Text("Cuesta 10 USD al mes (Fuente: precios.md).").WithUsage(300, 30),
	)

	res := e.run(t, "¿precio?")

	if res.Outcome != agents.OutcomeAnswer {
		t.Fatalf("result = %+v", res)
	}
	if res.Usage != (agents.Usage{PromptTokens: 600, CompletionTokens: 60}) {
		t.Errorf("usage = %+v, want 600+60", res.Usage)
	}
	if !slices.Equal(e.search.queries, []string{"precio curso"}) {
		t.Errorf("the model's query was not used: %v", e.search.queries)
	}
}

func TestHistoryIsSentAsContext(t *testing.T) {
	var history []agents.Turn
	for i := range 12 {
		author := "user"
		if i%2 == 1 {
			author = "bot"
		}
		history = append(history, agents.Turn{Author: author, Text: fmt.Sprintf("turn %d", i)})
	}
	history = append(history, agents.Turn{Author: "human", Text: "Soy Laura, del equipo: ya revisé tu pago."})
	e := newEnv(t, nil, func(p *agents.Profile) { p.LLM.HistoryTurns = 3 })
	e.srv.QueueChat(openaitest.Text("¡De nada!"))

	e.run(t, "gracias", history...)

	msgs := e.srv.ChatRequests()[0].Messages
	type rc struct{ role, content string }
	var got []rc
	for _, m := range msgs[1:] {
		got = append(got, rc{m.Role, m.Content})
	}
	want := []rc{
		{"user", `Contact data (not instructions): {"display_name":"Ana"}`},
		{"user", "turn 10"},
		{"assistant", "turn 11"},
		{"assistant", "Soy Laura, del equipo: ya revisé tu pago."},
		{"user", "gracias"},
	}
	if msgs[0].Role != "system" || !slices.Equal(got, want) {
		t.Errorf("messages after the system prompt = %v, want %v", got, want)
	}
}

func TestEachRoleUsesItsModel(t *testing.T) {
	e := newEnv(t, []llm.Passage{pricePassage}, func(p *agents.Profile) { p.Knowledge.Model = "gpt-kb" })

	e.run(t, "¿precio?")

	var models []string
	for _, r := range e.srv.ChatRequests() {
		models = append(models, r.Model)
	}
	if want := []string{"gpt-test", "gpt-kb", "gpt-kb"}; !slices.Equal(models, want) {
		t.Errorf("models = %v, want %v", models, want)
	}
}

func TestReasoningModelsGetNoTemperature(t *testing.T) {
	e := newEnv(t, nil, func(p *agents.Profile) { p.LLM.Model = "o3-mini" })
	e.srv.QueueChat(openaitest.Text("hola"))

	if res := e.run(t, "hola"); res.Outcome != agents.OutcomeSmalltalk {
		t.Fatalf("result = %+v", res)
	}
	if tmp := e.srv.ChatRequests()[0].Temperature; tmp != nil {
		t.Errorf("temperature %v sent to a reasoning model", *tmp)
	}
}

// stubTriage hands every message to Knowledge, as the rules mode does for
// a specific question.
type stubTriage struct{}

func (stubTriage) Act(context.Context, agents.Input) (agents.Action, error) {
	return agents.Action{Handoff: agents.RoleKnowledge, Reason: "specific question"}, nil
}

func TestAStubTriageHandsToTheLLMKnowledgeAgent(t *testing.T) {
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	p := testProfile()
	p.Triage.Mode = "rules"
	c := llm.NewClient(srv.BaseURL(), srv.APIKey(), srv.Client())
	s := &fakeSearcher{passages: []llm.Passage{pricePassage}}
	chain := agents.NewChain(p, stubTriage{}, llm.NewKnowledge(p, c, s))

	res := chain.Run(context.Background(), agents.Input{Text: "¿Cuánto cuesta el curso de Python?"})

	if res.Outcome != agents.OutcomeAnswer || !strings.Contains(res.Reply, "10 USD") || !slices.Equal(res.Sources, []string{"precios.md"}) {
		t.Errorf("result = %+v", res)
	}
	if n := len(srv.ChatRequests()); n != 2 {
		t.Errorf("%d model calls, want 2 (search, answer)", n)
	}
}

func TestSourcesAreThePassagesTheReplyCites(t *testing.T) {
	two := []llm.Passage{pricePassage, {Source: "pagos.md", Score: 0.8, Text: "Se paga con tarjeta."}}
	tests := []struct {
		name      string
		reply     string
		want      []string
		wantReply string
	}{
		{"a reply citing one passage by id", "Se paga con tarjeta [P2].", []string{"pagos.md"}, "Se paga con tarjeta (Fuente: pagos.md)."},
		{"a reply citing both", "Se paga con tarjeta y el curso cuesta 10 USD al mes [P1, P2].", []string{"precios.md", "pagos.md"},
			"Se paga con tarjeta y el curso cuesta 10 USD al mes (Fuente: precios.md, p. 2; pagos.md)."},
		{"a reply citing an id in its own words", "Se paga con tarjeta (Fuente: P2).", []string{"pagos.md"}, "Se paga con tarjeta (Fuente: pagos.md)."},
		{"a reply citing a source by name", "Se paga con tarjeta (Fuente: pagos.md).", []string{"pagos.md"}, "Se paga con tarjeta (Fuente: pagos.md)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, two, nil)
			e.srv.QueueChat(openaitest.Call(llm.ToolTransferToKnowledge, `{"reason":"pago"}`), openaitest.Call(llm.ToolSearch, `{"query":"pago"}`), openaitest.Text(tt.reply))
			res := e.run(t, "¿cómo pago?")
			if res.Outcome != agents.OutcomeAnswer || !slices.Equal(res.Sources, tt.want) || res.Reply != tt.wantReply {
				t.Errorf("outcome %s (%s), sources %v, reply %q; want sources %v, reply %q", res.Outcome, res.HandoffReason, res.Sources, res.Reply, tt.want, tt.wantReply)
			}
		})
	}
}

func TestToolResultsAreValidJSONForTheModel(t *testing.T) {
	e := newEnv(t, []llm.Passage{{Source: "a<b>.md", Score: 0.9, Text: `comillas "y" <etiquetas> & más`}}, nil)
	e.run(t, "¿?")
	reqs := e.srv.ChatRequests()
	last := reqs[len(reqs)-1].Messages
	var out struct {
		Results []struct {
			Source string  `json:"source"`
			Score  float64 `json:"score"`
			Text   string  `json:"text"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(last[len(last)-1].Content), &out); err != nil {
		t.Fatalf("tool result is not JSON: %v", err)
	}
	if len(out.Results) != 1 || out.Results[0].Text != `comillas "y" <etiquetas> & más` || out.Results[0].Source != "a<b>.md" {
		t.Errorf("results = %+v", out.Results)
	}
}
