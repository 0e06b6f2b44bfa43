package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// ownershipTests is the contract of the ownership state machine: every
// (state, event) pair, each driven through the store operation that causes
// the event, must end in the state store.Next says, with one stored
// transition per change (cause, actor, time) and none otherwise.
var ownershipTests = func() []test {
	var out []test
	for _, from := range store.States {
		for _, cause := range store.Causes {
			out = append(out, test{fmt.Sprintf("%s + %s", from, cause), func(t *testing.T, st store.Store) {
				ownershipPair(t, st, from, cause)
			}})
		}
	}
	return append(out, resolutionTests...)
}()

// runWith accepts a customer message, claims it and commits a run with the
// given result.
func runWith(t *testing.T, st store.Store, c store.Contact, text string, r store.RunResult) {
	t.Helper()
	accept(t, st, inbound(c, text))
	cl := mustClaim(t, st, "w")
	complete(t, st, cl, r)
}

// intoState brings a new conversation into the owner state through the
// operations customers, the bot and people perform. The human state is
// reached from an open ticket, so that the ticket events apply to it too.
func intoState(t *testing.T, st store.Store, c store.Contact, s store.ConversationState) store.Conversation {
	t.Helper()
	ctx := testContext(t)
	answer := store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{reply("Desde el menú Cuenta.")},
		Events: []store.Event{{Cause: store.CauseCustomerMessage, Actor: "customer"}, {Cause: store.CauseBotAnswer, Actor: "bot"}}}
	handoff := store.RunResult{Run: store.RunRecord{Outcome: "escalate"}, Replies: []store.OutboundDraft{reply("Un especialista te responderá.")},
		OpenTicket: &store.TicketDraft{Question: "¿Tienen convenio?", HandoffReason: "no answer"}}
	switch s {
	case store.StateBot:
		runWith(t, st, c, "¿Cómo cambio mi correo?", answer)
	case store.StateWaitingForHuman:
		runWith(t, st, c, "¿Tienen convenio?", handoff)
	case store.StateHuman:
		runWith(t, st, c, "¿Tienen convenio?", handoff)
		_, _, err := st.RecordHumanMessage(ctx, c, uniq("wamid.echo"), "biz-1", "Hola, te ayudo yo.", "Ana", time.Now(), time.Now().Add(time.Hour))
		noErr(t, "RecordHumanMessage", err)
	case store.StateResolved:
		runWith(t, st, c, "¿Cómo cambio mi correo?", answer)
		runWith(t, st, c, "Sí, gracias", store.RunResult{Run: store.RunRecord{Outcome: "smalltalk"},
			Events: []store.Event{{Cause: store.CauseConfirmed, Actor: "customer"}}, Confirmation: "Sí, gracias"})
	}
	conv, err := st.FindConversation(ctx, c.Channel, c.Address)
	noErr(t, "FindConversation", err)
	if conv.State != s {
		t.Fatalf("set-up: conversation in %s, want %s", conv.State, s)
	}
	return conv
}

func ownershipPair(t *testing.T, st store.Store, from store.ConversationState, cause store.Cause) {
	ctx := testContext(t)
	c := contact("whatsapp", uniq("owner"))
	conv := intoState(t, st, c, from)
	before, err := st.ListTransitions(ctx, conv.ID, 100)
	noErr(t, "ListTransitions", err)
	want := store.Next(from, cause, conv.OpenTicketID != "")
	event := store.Event{Cause: cause, Actor: "tester", Reason: "contract"}

	applied := true
	switch cause {
	case store.CauseHandoff, store.CauseAskHuman:
		runWith(t, st, c, "Quiero hablar con una persona", store.RunResult{Run: store.RunRecord{Outcome: "escalate"},
			OpenTicket: &store.TicketDraft{Question: "¿Tienen convenio?", HandoffReason: "asked"}, Events: []store.Event{event}})
	case store.CauseTicketAnswered:
		if conv.OpenTicketID == "" {
			applied = false
			break
		}
		_, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: conv.OpenTicketID, Answer: "Sí, 20%.", AnsweredBy: "tester", Deliver: true})
		noErr(t, "AnswerTicket", err)
	case store.CauseTicketClosed:
		if conv.OpenTicketID == "" {
			applied = false
			break
		}
		_, err := st.CloseTicket(ctx, conv.OpenTicketID, "duplicate")
		noErr(t, "CloseTicket", err)
	case store.CauseHumanMessage:
		_, _, err := st.RecordHumanMessage(ctx, c, uniq("wamid.echo"), "biz-1", "Te escribo yo.", "tester", time.Now(), time.Now().Add(time.Hour))
		noErr(t, "RecordHumanMessage", err)
	case store.CausePause:
		_, err := st.SetPausedUntil(ctx, conv.ID, time.Now().Add(time.Hour))
		noErr(t, "SetPausedUntil", err)
	case store.CauseResume:
		_, err := st.SetPausedUntil(ctx, conv.ID, time.Time{})
		noErr(t, "SetPausedUntil", err)
	case store.CauseSettled:
		// Whatever the state, settling runs; only an answered conversation
		// the bot holds is settled.
		eventuallySettled(t, st, from == store.StateBot)
	default: // events a run commits: customer message, bot answer, timeout, confirmation
		r := store.RunResult{Run: store.RunRecord{Outcome: "smalltalk"}, Events: []store.Event{event}}
		if cause == store.CauseConfirmed {
			r.Confirmation = "Sí, gracias"
		}
		runWith(t, st, c, "Sí, gracias", r)
	}
	if !applied && want != from {
		t.Fatalf("Next(%s, %s) = %s, but the event cannot happen in that state", from, cause, want)
	}

	after, err := st.GetConversation(ctx, conv.ID)
	noErr(t, "GetConversation", err)
	if after.State != want {
		t.Fatalf("%s + %s: state %s, want %s", from, cause, after.State, want)
	}
	trs, err := st.ListTransitions(ctx, conv.ID, 100)
	noErr(t, "ListTransitions", err)
	added := trs[len(before):]
	if want == from {
		if len(added) != 0 {
			t.Fatalf("%s + %s changed nothing but stored transitions %+v", from, cause, added)
		}
		return
	}
	if len(added) != 1 {
		t.Fatalf("%s + %s: %d transitions stored, want 1: %+v", from, cause, len(added), added)
	}
	tr := added[0]
	if tr.From != from || tr.To != want || tr.Cause != cause || tr.Actor == "" || tr.At.IsZero() || tr.ConversationID != conv.ID {
		t.Fatalf("transition %+v, want %s → %s by %s with an actor and a time", tr, from, want, cause)
	}
	if !after.OwnerSince.Equal(tr.At) {
		t.Errorf("owner since %v, transition at %v", after.OwnerSince, tr.At)
	}
}

func eventuallySettled(t *testing.T, st store.Store, want bool) {
	t.Helper()
	ctx := testContext(t)
	if !want {
		n, err := st.SettleConversations(ctx, store.SettlePolicy{ResolveAfter: time.Microsecond})
		noErr(t, "SettleConversations", err)
		if n != 0 {
			t.Fatalf("settled %d conversations, want none", n)
		}
		return
	}
	eventually(t, "the answer to settle", func() bool {
		n, err := st.SettleConversations(ctx, store.SettlePolicy{ResolveAfter: time.Microsecond})
		noErr(t, "SettleConversations", err)
		return n == 1
	})
}

var resolutionTests = []test{
	{"a confirmed answer is resolved by the bot, with the runs and the confirmation as evidence", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", uniq("res"))
		intoState(t, st, c, store.StateResolved)
		list, _, err := st.ListResolutions(ctx, store.ResolutionFilter{Outcome: store.OutcomeResolvedByBot})
		noErr(t, "ListResolutions", err)
		if len(list) != 1 || list[0].Confirmation != "Sí, gracias" || len(list[0].RunIDs) != 2 || list[0].StartedAt.IsZero() {
			t.Fatalf("resolutions %+v, want one by the bot with both runs and the confirmation", list)
		}
		for _, id := range list[0].RunIDs {
			if _, err := st.GetRun(ctx, id); err != nil {
				t.Errorf("evidence run %s: %v", id, err)
			}
		}
		// A new question starts a new stretch: its evidence is its own.
		runWith(t, st, c, "¿Y el certificado?", store.RunResult{Run: store.RunRecord{Outcome: "escalate"},
			OpenTicket: &store.TicketDraft{Question: "¿Y el certificado?"}, Events: []store.Event{{Cause: store.CauseCustomerMessage}}})
		conv, _ := st.FindConversation(ctx, c.Channel, c.Address)
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: conv.OpenTicketID, Answer: "Sí.", AnsweredBy: "Ana", Deliver: true})
		noErr(t, "AnswerTicket", err)
		byPerson, _, err := st.ListResolutions(ctx, store.ResolutionFilter{Outcome: store.OutcomeResolvedByPerson})
		noErr(t, "ListResolutions", err)
		if len(byPerson) != 1 || byPerson[0].TicketID != conv.OpenTicketID || len(byPerson[0].RunIDs) != 1 {
			t.Fatalf("resolutions by a person %+v", byPerson)
		}
		counts, err := st.CountResolutions(ctx, time.Now().Add(-time.Hour), time.Time{})
		noErr(t, "CountResolutions", err)
		if counts[store.OutcomeResolvedByBot] != 1 || counts[store.OutcomeResolvedByPerson] != 1 || counts[store.OutcomeAbandoned] != 0 {
			t.Fatalf("counts %v", counts)
		}
		if later, err := st.CountResolutions(ctx, time.Now().Add(time.Hour), time.Time{}); err != nil || len(later) != 0 {
			t.Fatalf("counts of a later period %v, %v", later, err)
		}
	}},
	{"a hand-off never answered is abandoned once, and answering it later makes it resolved by a person", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", uniq("res"))
		conv := intoState(t, st, c, store.StateWaitingForHuman)
		var n int
		eventually(t, "the ticket to be abandoned", func() bool {
			var err error
			n, err = st.SettleConversations(ctx, store.SettlePolicy{AbandonAfter: time.Microsecond})
			noErr(t, "SettleConversations", err)
			return n == 1
		})
		n, err := st.SettleConversations(ctx, store.SettlePolicy{AbandonAfter: time.Microsecond})
		noErr(t, "SettleConversations", err)
		if n != 0 {
			t.Fatalf("abandoned again: %d", n)
		}
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: conv.OpenTicketID, Answer: "Sí.", AnsweredBy: "Ana", Deliver: true})
		noErr(t, "AnswerTicket", err)
		list, _, err := st.ListResolutions(ctx, store.ResolutionFilter{})
		noErr(t, "ListResolutions", err)
		if len(list) != 1 || list[0].Outcome != store.OutcomeResolvedByPerson {
			t.Fatalf("resolutions %+v", list)
		}
		if _, _, err := st.ListResolutions(ctx, store.ResolutionFilter{Outcome: "bogus"}); err == nil {
			t.Fatal("an unknown outcome filter was accepted")
		}
	}},
	{"the quiet window holds a conversation back until the customer stops typing, within the cap", func(t *testing.T, st store.Store) {
		c := contact("whatsapp", uniq("quiet"))
		in := inbound(c, "Hola")
		in.QuietWindow, in.QuietCap = time.Hour, 2*time.Hour
		accept(t, st, in)
		if cl := claim(t, st, "w", time.Minute); cl != nil {
			t.Fatalf("claimed inside the quiet window: %+v", cl.Messages)
		}
		// Without a window the newest message makes the conversation due,
		// with every fragment in one claim.
		in2 := inbound(c, "¿Cómo cambio mi correo?")
		accept(t, st, in2)
		cl := mustClaim(t, st, "w")
		if got := texts(cl.Messages); !slices.Equal(got, []string{"Hola", "¿Cómo cambio mi correo?"}) {
			t.Fatalf("claimed %q", got)
		}
		complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "answer"}})
		// The cap wins over a window that keeps moving.
		in3 := inbound(c, "otra")
		in3.QuietWindow, in3.QuietCap = time.Hour, 2*time.Hour
		accept(t, st, in3)
		if cl := claim(t, st, "w", time.Minute); cl != nil {
			t.Fatalf("claimed inside the quiet window: %+v", cl.Messages)
		}
		in4 := inbound(c, "y otra")
		in4.QuietWindow, in4.QuietCap = time.Hour, time.Microsecond
		accept(t, st, in4)
		if cl := claim(t, st, "w", time.Minute); cl == nil || len(cl.Messages) != 2 {
			t.Fatalf("the cap since the first pending message did not release the conversation: %+v", cl)
		}
	}},
	{"a reply outside the customer-service window waits, the template goes once, the customer's message releases it", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", uniq("window"))
		in := inbound(c, "¿Tienen convenio?")
		in.Window = time.Microsecond // closes at once
		accept(t, st, in)
		cl := mustClaim(t, st, "w")
		tmpl := &store.OutboundDraft{Kind: "template", Text: "Tenemos tu respuesta",
			Details: message.Details{Template: &message.Template{Name: "respuesta_lista", Language: "es"}}}
		eventually(t, "the window to close", func() bool {
			conv, _ := st.GetConversation(ctx, cl.Conversation.ID)
			return !conv.WindowUntil.After(time.Now())
		})
		r1, r2 := reply("Sí, 20%."), reply("Con la U. de Chile.")
		r1.OutsideWindow, r2.OutsideWindow = tmpl, tmpl
		r1.DedupeKey, r2.DedupeKey = uniq("r"), uniq("r")
		complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{r1, r2}})
		msgs, err := st.ListMessages(ctx, cl.Conversation.ID, 10)
		noErr(t, "ListMessages", err)
		var waiting, templates int
		for _, m := range msgs {
			switch {
			case m.Status == store.StatusWaitingWindow:
				waiting++
			case m.Kind == "template":
				templates++
			}
		}
		if waiting != 2 || templates != 1 {
			t.Fatalf("%d waiting, %d templates; want 2 and 1", waiting, templates)
		}
		out, err := st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute)
		noErr(t, "ClaimOutbound", err)
		if len(out) != 1 || out[0].Kind != "template" {
			t.Fatalf("deliverable %+v, want the template alone", out)
		}
		noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, "wamid.t"))
		in = inbound(c, "Ok")
		in.Window = 24 * time.Hour
		accept(t, st, in)
		out, err = st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute)
		noErr(t, "ClaimOutbound", err)
		if got := texts(out); !slices.Equal(got, []string{"Sí, 20%."}) {
			t.Fatalf("after the customer wrote: %q, want the first held answer (the second follows it)", got)
		}
		// A refusal reported later holds a sent message the same way.
		noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, "wamid.late"))
		held, err := st.HoldForWindow(ctx, store.OutboundRef{Channel: "whatsapp", ProviderMessageID: "wamid.late"},
			func(string) *store.OutboundDraft { return tmpl })
		noErr(t, "HoldForWindow", err)
		if held.ID != out[0].ID || held.Status != store.StatusWaitingWindow {
			t.Fatalf("held %+v", held)
		}
		if _, err := st.HoldForWindow(ctx, store.OutboundRef{ID: "nope"}, nil); err == nil {
			t.Fatal("holding an unknown message succeeded")
		}
	}},
}
