package agents

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// scripted is an Agent that acts as told.
type scripted func(ctx context.Context, in Input) (Action, error)

func (f scripted) Act(ctx context.Context, in Input) (Action, error) { return f(ctx, in) }

func reply(text string, o Outcome) scripted {
	return func(context.Context, Input) (Action, error) { return Action{Reply: text, Outcome: o}, nil }
}

func handoff(to Role, reason string) scripted {
	return func(context.Context, Input) (Action, error) { return Action{Handoff: to, Reason: reason}, nil }
}

func TestChain(t *testing.T) {
	p := DefaultProfile()
	p.AgentTimeout = 50 * time.Millisecond
	boom := scripted(func(context.Context, Input) (Action, error) { return Action{}, errors.New("provider said 500") })
	slow := scripted(func(ctx context.Context, _ Input) (Action, error) {
		<-ctx.Done()
		return Action{}, ctx.Err()
	})
	for _, tc := range []struct {
		name             string
		triage, know     Agent
		outcome          Outcome
		reasonHas, reply string
	}{
		{"triage answers small talk itself", reply("¡Hola!", OutcomeSmalltalk), boom, OutcomeSmalltalk, "", "¡Hola!"},
		{"a question goes through knowledge to an answer", handoff(RoleKnowledge, "specific"), reply("La respuesta", OutcomeAnswer), OutcomeAnswer, "", "La respuesta"},
		{"a knowledge gap escalates and is learnable", handoff(RoleKnowledge, "specific"), handoff(RoleHuman, "nothing above threshold"), OutcomeEscalate, "nothing above threshold", p.Human.HandoffMessage},
		{"a request for a person escalates", handoff(RoleHuman, "asked for a person"), boom, OutcomeEscalate, "asked for a person", p.Human.HandoffMessage},
		{"an agent error escalates with the error", handoff(RoleKnowledge, "specific"), boom, OutcomeEscalate, "provider said 500", p.Human.HandoffMessage},
		{"a timeout escalates", handoff(RoleKnowledge, "specific"), slow, OutcomeEscalate, "timed out", p.Human.HandoffMessage},
		{"a hand-off loop ends with a person", handoff(RoleKnowledge, "ping"), handoff(RoleTriage, "pong"), OutcomeEscalate, "agent turns", p.Human.HandoffMessage},
		{"a hand-off to a role without an agent goes to a person", handoff(RoleKnowledge, "specific"), nil, OutcomeEscalate, "no knowledge agent to take over (specific)", p.Human.HandoffMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := NewChain(p, tc.triage, tc.know).Run(context.Background(), Input{Text: "¿tienen descuentos?"})
			if res.Outcome != tc.outcome || res.Reply != tc.reply {
				t.Fatalf("got outcome %s reply %q, want %s %q", res.Outcome, res.Reply, tc.outcome, tc.reply)
			}
			if !strings.Contains(res.HandoffReason, tc.reasonHas) {
				t.Fatalf("hand-off reason %q lacks %q", res.HandoffReason, tc.reasonHas)
			}
			if tc.outcome == OutcomeEscalate && res.TicketQuestion != "¿tienen descuentos?" {
				t.Fatalf("ticket question %q", res.TicketQuestion)
			}
		})
	}
}

func TestParseProfileNamesTheInvalidSetting(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"knowledge: {answer_threshold: 1.5}\nhuman: {handoff_message: x}", "knowledge.answer_threshold"},
		{"triage: {mode: magic}\nknowledge: {answer_threshold: 0.5}\nhuman: {handoff_message: x}", "triage.mode"},
		{"knowledge: {answer_threshold: 0.5}\nhuman: {handoff_message: x}\ntypo_key: 1", "typo_key"},
		{"knowledge: {answer_threshold: 0.5, mode: llm}\nhuman: {handoff_message: x}\nllm: {model: \"\"}", "llm.model"},
		{"knowledge: {answer_threshold: 0.5, retrieval_floor: 1.2}\nhuman: {handoff_message: x}", "knowledge.retrieval_floor"},
		{"knowledge: {answer_threshold: 0.5, retrieval_floor: -0.1}\nhuman: {handoff_message: x}", "knowledge.retrieval_floor"},
		{"knowledge: {answer_threshold: 0.5}\nhuman: {handoff_message: x}\nllm: {allow_no_api_key: true}", "llm.allow_no_api_key"},
	} {
		_, err := ParseProfile([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error naming %s", tc.yaml, err, tc.want)
		}
	}
}

func TestRetrievalFloorDefaultsLowAndCanBeSetToZero(t *testing.T) {
	p, err := ParseProfile([]byte("knowledge: {answer_threshold: 0.6}\nhuman: {handoff_message: x}"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Knowledge.Floor() != DefaultRetrievalFloor || DefaultProfile().Knowledge.Floor() != 0.05 {
		t.Errorf("floor = %v (embedded profile %v), want the default 0.05", p.Knowledge.Floor(), DefaultProfile().Knowledge.Floor())
	}
	p, err = ParseProfile([]byte("knowledge: {answer_threshold: 0.6, retrieval_floor: 0}\nhuman: {handoff_message: x}"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Knowledge.Floor() != 0 {
		t.Errorf("an explicit floor of 0 read as %v", p.Knowledge.Floor())
	}
	if _, err := ParseProfile([]byte("knowledge: {answer_threshold: 0.6}\nhuman: {handoff_message: x}\nllm: {base_url: \"http://127.0.0.1:11434/v1\", allow_no_api_key: true}")); err != nil {
		t.Errorf("a keyless local endpoint: %v", err)
	}
}
