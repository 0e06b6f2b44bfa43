package pipeline

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// answeringChain answers every question from the knowledge base with the
// same text, as a base with one passage would.
type answeringChain struct{ calls atomic.Int32 }

func (c *answeringChain) Run(_ context.Context, in agents.Input) agents.Result {
	c.calls.Add(1)
	return agents.Result{Outcome: agents.OutcomeAnswer, Reply: "En Cuenta → Correo puedes cambiarlo.", Agents: []string{"K"}}
}

// fakeClock is a clock tests move forward.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func newEngineWith(t *testing.T, st store.Store, chain Decider, p *agents.Profile, cfg Config) *Engine {
	t.Helper()
	cfg.Owner, cfg.PollInterval = "test", 50*time.Millisecond
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	return New(st, chain, p, nil, nil, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
}

// say stores a customer's message and waits for its run.
func say(t *testing.T, st store.Store, e *Engine, text string) store.AcceptResult {
	t.Helper()
	res := accept(t, st, "u1", "m-"+text+time.Now().String(), text, time.Now())
	e.Kick()
	processed(t, e, res.MessageID)
	return res
}

func lastRun(t *testing.T, st store.Store, convID string) store.RunRecord {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), convID, 100)
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	return runs[len(runs)-1]
}

func TestFrustrationGoesToAPersonWithTheReason(t *testing.T) {
	for _, text := range []string{"esto es una porquería… estoy harto", "NO SIRVE", "this is useless, you don't understand"} {
		t.Run(text, func(t *testing.T) {
			st := openStore(t)
			chain := &answeringChain{}
			e := newEngineWith(t, st, chain, testProfile(), Config{})
			run(t, e)
			res := say(t, st, e, text)
			r := lastRun(t, st, res.ConversationID)
			if r.Outcome != "escalate" || r.Reason != ReasonFrustration || r.TicketID == "" || chain.calls.Load() != 0 {
				t.Fatalf("run %+v (agents called %d times), want a hand-off for frustration before the agents", r, chain.calls.Load())
			}
			tk, _ := st.GetTicket(context.Background(), r.TicketID)
			if tk.HandoffReason != ReasonFrustration {
				t.Errorf("ticket reason %q", tk.HandoffReason)
			}
			if !strings.Contains(string(r.Trace), "frustration") {
				t.Errorf("trace %s does not say why", r.Trace)
			}
		})
	}
}

func TestAQuestionAnsweredTwiceGoesToAPersonTheThirdTime(t *testing.T) {
	st := openStore(t)
	chain := &answeringChain{}
	e := newEngineWith(t, st, chain, testProfile(), Config{})
	run(t, e)
	say(t, st, e, "¿Cómo cambio mi correo?")
	say(t, st, e, "como cambio el correo")
	res := say(t, st, e, "¿Cómo puedo cambiar mi correo?")
	r := lastRun(t, st, res.ConversationID)
	if r.Outcome != "escalate" || r.Reason != ReasonLoop {
		t.Fatalf("third run %+v, want a hand-off for a loop", r)
	}
	if got := chain.calls.Load(); got != 2 {
		t.Errorf("agents ran %d times, want 2", got)
	}
	conv, _ := st.GetConversation(context.Background(), res.ConversationID)
	if conv.State != store.StateWaitingForHuman {
		t.Errorf("state %s", conv.State)
	}
}

func TestTheSameAnswerAThirdTimeIsALoopEvenForOtherWords(t *testing.T) {
	st := openStore(t)
	e := newEngineWith(t, st, &answeringChain{}, testProfile(), Config{})
	run(t, e)
	say(t, st, e, "¿Cómo cambio mi correo?")
	say(t, st, e, "¿dónde actualizo el email de la cuenta?")
	res := say(t, st, e, "quiero otra dirección electrónica registrada")
	if r := lastRun(t, st, res.ConversationID); r.Outcome != "escalate" || r.Reason != ReasonLoop {
		t.Fatalf("run %+v, want a hand-off for a loop", r)
	}
}

func TestAConfirmedAnswerResolvesTheConversation(t *testing.T) {
	st := openStore(t)
	e := newEngineWith(t, st, &answeringChain{}, testProfile(), Config{})
	run(t, e)
	first := say(t, st, e, "¿Cómo cambio mi correo?")
	res, err := st.AcceptInbound(context.Background(), store.InboundMessage{Contact: store.Contact{Channel: "test", Address: "u1"},
		ChannelMessageID: "yes", Kind: message.KindChoice, Text: "Sí, gracias",
		Details: message.Details{Choice: &message.Choice{ID: ChoiceFeedbackYes, Title: "Sí, gracias"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.Kick()
	processed(t, e, res.MessageID)
	conv, _ := st.GetConversation(context.Background(), first.ConversationID)
	if conv.State != store.StateResolved {
		t.Fatalf("state %s, want resolved", conv.State)
	}
	list, _, err := st.ListResolutions(context.Background(), store.ResolutionFilter{})
	if err != nil || len(list) != 1 || list[0].Outcome != store.OutcomeResolvedByBot || list[0].Confirmation != "Sí, gracias" || len(list[0].RunIDs) != 2 {
		t.Fatalf("resolutions %+v %v", list, err)
	}
	// The next question gives the conversation back to the bot.
	say(t, st, e, "¿Y el certificado?")
	if conv, _ := st.GetConversation(context.Background(), first.ConversationID); conv.State != store.StateBot {
		t.Fatalf("state %s after a new question, want bot", conv.State)
	}
}

func TestWhenAPersonsPauseRunsOutTheBotComesBack(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{}
	e := newEngineWith(t, st, &answeringChain{}, testProfile(), Config{Now: clock.Now})
	run(t, e)
	first := say(t, st, e, "¿Cómo cambio mi correo?")
	_, _, err := st.RecordHumanMessage(context.Background(), store.Contact{Channel: "test", Address: "u1"}, "echo-1", "", "Te ayudo yo",
		"Ana", time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res := say(t, st, e, "gracias, ¿y el certificado?")
	if r := lastRun(t, st, res.ConversationID); r.Outcome != OutcomeSilent {
		t.Fatalf("run during the pause %+v, want silent", r)
	}
	clock.Advance(2 * time.Hour)
	res = say(t, st, e, "¿hola? ¿el certificado?")
	if r := lastRun(t, st, res.ConversationID); r.Outcome != "answer" {
		t.Fatalf("run after the pause %+v, want the bot's answer", r)
	}
	trs, _ := st.ListTransitions(context.Background(), first.ConversationID, 100)
	var causes []string
	for _, tr := range trs {
		causes = append(causes, string(tr.From)+">"+string(tr.Cause)+">"+string(tr.To))
	}
	if want := "bot>human_message>human human>timeout>bot"; strings.Join(causes, " ") != want {
		t.Fatalf("transitions %q, want %q", causes, want)
	}
}

func TestFragmentsInsideTheQuietWindowAreOneTurn(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{}
	p := testProfile()
	p.Conversation.QuietWindow, p.Conversation.QuietWindowMax = 1500*time.Millisecond, 10*time.Second
	e := newEngineWith(t, st, chain, p, Config{ReadReceiptChannels: []string{"test"}})
	run(t, e)
	quiet, quietCap, _ := e.AcceptPolicy("test", false)
	var last store.AcceptResult
	for i, text := range []string{"Hola", "tengo una duda", "¿cómo cambio mi correo?"} {
		var err error
		last, err = st.AcceptInbound(context.Background(), store.InboundMessage{Contact: store.Contact{Channel: "test", Address: "u1"},
			ChannelMessageID: "frag" + string(rune('a'+i)), Kind: message.KindText, Text: text, QuietWindow: quiet, QuietCap: quietCap})
		if err != nil {
			t.Fatal(err)
		}
		e.Typing(context.Background(), "test", last.ConversationID, last.MessageID, "frag"+string(rune('a'+i)))
		e.Kick()
	}
	processed(t, e, last.MessageID)
	seen := chain.seen()
	if len(seen) != 1 || seen[0].Text != "Hola\ntengo una duda\n¿cómo cambio mi correo?" {
		t.Fatalf("the agents saw %d turns: %+v", len(seen), seen)
	}
	msgs, _ := st.ListMessages(context.Background(), last.ConversationID, 100)
	reads := 0
	for _, m := range msgs {
		if m.Kind == message.KindMarkRead {
			reads++
		}
	}
	if reads != 3 {
		t.Errorf("%d read receipts with typing, want one per fragment", reads)
	}
	if q, _, _ := e.AcceptPolicy("test", true); q != 0 {
		t.Errorf("a synchronous call waits %v, want no quiet window", q)
	}
}

func TestTheWindowTemplateCarriesTheFirstPartOfTheAnswer(t *testing.T) {
	p := testProfile()
	e := New(openStore(t), &scriptedChain{}, p, nil, nil, Config{}, slog.New(slog.DiscardHandler))
	d := e.WindowTemplate("Sí, con la U. de Chile hay\n20% de descuento.\n\nEscríbenos para activarlo.")
	if d == nil || d.Kind != message.KindTemplate || d.Details.Template == nil {
		t.Fatalf("template %+v", d)
	}
	if tmpl := d.Details.Template; tmpl.Name != p.Conversation.WindowTemplate.Name || len(tmpl.BodyParams) != 1 ||
		tmpl.BodyParams[0] != "Sí, con la U. de Chile hay 20% de descuento." {
		t.Fatalf("template %+v", tmpl)
	}
	long := firstPart(strings.Repeat("palabra ", 100))
	if n := len([]rune(long)); n > templateParamRunes+1 || !strings.HasSuffix(long, "…") {
		t.Errorf("long parameter %q (%d runes)", long, n)
	}
	p.Conversation.WindowTemplate.Name = ""
	if d := e.WindowTemplate("x"); d != nil {
		t.Errorf("a profile without a template gave %+v", d)
	}
}

func TestAskingForAPersonIsRecordedAsSuch(t *testing.T) {
	st := openStore(t)
	e := newEngineWith(t, st, DeciderFunc(func(_ context.Context, in agents.Input) agents.Result {
		return agents.Result{Outcome: agents.OutcomeEscalate, HandoffReason: "the user asked for a person", TicketQuestion: in.Text}
	}), testProfile(), Config{})
	run(t, e)
	res := say(t, st, e, "Quiero hablar con una persona")
	trs, err := st.ListTransitions(context.Background(), res.ConversationID, 10)
	if err != nil || len(trs) != 1 || trs[0].Cause != store.CauseAskHuman || trs[0].To != store.StateWaitingForHuman || trs[0].RunID == "" {
		t.Fatalf("transitions %+v %v, want bot → waiting_for_human asked by the customer, with the run", trs, err)
	}
}

func TestSimilarityIsTheShareOfStemsInCommon(t *testing.T) {
	set := func(ss ...string) map[string]bool {
		m := map[string]bool{}
		for _, s := range ss {
			m[s] = true
		}
		return m
	}
	tests := []struct {
		a, b map[string]bool
		want float64
	}{
		{set("plan", "preci", "anual"), set("preci", "anual", "mensual"), 0.5},
		{set("plan"), set("plan"), 1},
		{set("plan"), set("reembols"), 0},
		{set(), set("plan"), 0},
		{set("plan"), nil, 0},
	}
	for _, tt := range tests {
		if got, back := similarity(tt.a, tt.b), similarity(tt.b, tt.a); got != tt.want || back != tt.want {
			t.Errorf("similarity(%v, %v) = %v, reversed %v; want %v", tt.a, tt.b, got, back, tt.want)
		}
	}
}
