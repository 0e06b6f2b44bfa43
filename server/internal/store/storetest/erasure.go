package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// ErasedContact is what SeedErasure stored about the contact to erase.
type ErasedContact struct {
	Contact        store.Contact
	ConversationID string
	// Tickets are the contact's tickets: the first answered (and learned),
	// the second open and linked to LinkedRef.
	Tickets   []string
	LinkedRef string
	// Entry was learned from the first ticket; OtherEntry from another
	// contact's ticket.
	Entry, OtherEntry string
	// InFlight is an outbound message to the contact held by an adapter
	// (claimed, not acked); SentProviderID the provider id of one it sent.
	InFlight       string
	SentProviderID string
	// Messages, Media and Runs are how many the contact has.
	Messages, Media, Runs int
	// Secrets must be found nowhere once the contact is erased: not in a
	// row, not in a file. Kept are other contacts' data, which must stay.
	Secrets map[string]string
	Kept    map[string]string
}

// digits returns n random decimal digits.
func digits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

func tag() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// SeedErasure stores a contact with everything the store can hold about
// one — inbound messages (one large enough for overflow pages), runs with
// traces, an answered ticket whose answer was learned, an open linked ticket
// with follow-ups, outbound messages in every delivery state with receipts,
// a read receipt queued, a human's message — among a dozen other contacts
// whose rows share the same pages, then returns what to look for.
//
// Every secret is distinctive (random digits or a random tag), so finding
// one in a file or a row can only mean a copy of the contact's data.
func SeedErasure(t *testing.T, st store.Store) ErasedContact {
	t.Helper()
	ctx := testContext(t)
	mark := "ERASEME" + tag()
	x := store.Contact{Channel: "whatsapp", Address: "5697" + digits(8), DisplayName: "Zoraida Quispe " + tag()}
	x.Phone = "+" + x.Address
	e := ErasedContact{
		Contact: x,
		Secrets: map[string]string{
			"address": x.Address,
			"name":    x.DisplayName,
			// Every text of the contact carries the mark: messages, the
			// question, the answer, replies, traces, channel message ids.
			"mark":     mark,
			"question": "Como cambio la tarjeta " + mark + " de mi cuenta?",
			"story":    "mi direccion es Pasaje Olvido " + mark,
		},
		Kept: map[string]string{},
	}
	story := e.Secrets["story"]
	var others []store.Contact
	for i := range 12 {
		c := store.Contact{Channel: "whatsapp", Address: "5698" + digits(8), DisplayName: fmt.Sprintf("Otro %d %s", i, tag())}
		c.Phone = "+" + c.Address
		others = append(others, c)
	}
	keepMark := "KEEPME" + tag()
	e.Kept["address"] = others[0].Address
	e.Kept["mark"] = keepMark

	seq := 0
	in := func(c store.Contact, m, text string) store.InboundMessage {
		seq++
		return store.InboundMessage{
			Contact: c, ChannelMessageID: fmt.Sprintf("wamid.%s.%d", m, seq), BusinessAddress: "biz-1",
			Kind: "text", Text: text,
		}
	}
	// runAll processes every pending conversation: the contact's with xr,
	// the others' with a run whose trace carries their own mark.
	plain := func() store.RunResult { return store.RunResult{Run: store.RunRecord{Outcome: "silent"}} }
	runAll := func(xr func() store.RunResult) {
		t.Helper()
		if xr == nil {
			xr = plain
		}
		for {
			cl := claim(t, st, "seed", time.Minute)
			if cl == nil {
				return
			}
			if cl.Conversation.Contact.Address == x.Address {
				r := xr()
				r.Run.Reason = "seed " + mark
				r.Run.Trace = fmt.Appendf(nil, `{"steps":[{"input":%q}]}`, story)
				r.Run.Reply = "reply " + mark
				complete(t, st, cl, r)
				continue
			}
			complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "silent", Reason: "seed " + keepMark,
				Trace: fmt.Appendf(nil, `{"steps":[{"input":%q}]}`, keepMark)}})
		}
	}

	// Another contact's ticket, answered and learned: its entry stays.
	other := accept(t, st, in(others[0], keepMark, "Pregunta "+keepMark))
	runAll(nil)
	var otherTicket string
	{
		cl := mustClaimAfter(t, st, other, in(others[0], keepMark, "Otra pregunta "+keepMark))
		complete(t, st, cl, store.RunResult{OpenTicket: &store.TicketDraft{Question: "Pregunta " + keepMark}})
		conv, err := st.GetConversation(ctx, other.ConversationID)
		noErr(t, "GetConversation", err)
		otherTicket = conv.OpenTicketID
		tk, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: otherTicket, Answer: "Respuesta " + keepMark,
			Learn: &store.Entry{Answer: "Respuesta " + keepMark}})
		noErr(t, "AnswerTicket", err)
		e.OtherEntry = tk.LearnedEntryID
	}

	for round := range 30 {
		text := fmt.Sprintf("Mensaje %d: %s", round, story)
		if round == 3 {
			// Larger than a page: stored on overflow pages.
			text = strings.Repeat(story+". ", 400)
		}
		msg := in(x, mark, text)
		if round == 5 {
			// A voice note: its audio, stored apart from the message, says
			// the same.
			msg.Kind, msg.Text, msg.MediaData = message.KindAudio, "", []byte(strings.Repeat("OggS "+story+" ", 50))
			msg.Details = message.Details{Media: &message.Media{Type: "voice", ProviderID: "media-" + mark, MIMEType: "audio/ogg"}}
		}
		res := accept(t, st, msg)
		e.ConversationID = res.ConversationID
		if msg.MediaData != nil {
			e.Media++
		}
		for i := range 3 {
			c := others[(round*3+i)%len(others)]
			kept := in(c, keepMark, fmt.Sprintf("Hola %d %s", round, keepMark))
			if round == 5 && i == 0 {
				kept.Kind, kept.MediaData = message.KindAudio, []byte(strings.Repeat("OggS "+keepMark+" ", 50))
			}
			accept(t, st, kept)
		}
		switch round {
		case 10, 20:
			runAll(func() store.RunResult {
				return store.RunResult{Run: store.RunRecord{Outcome: "escalate"}, OpenTicket: &store.TicketDraft{
					Question: e.Secrets["question"], HandoffReason: "no passage " + mark,
				}}
			})
			conv, err := st.GetConversation(ctx, e.ConversationID)
			noErr(t, "GetConversation", err)
			e.Tickets = append(e.Tickets, conv.OpenTicketID)
		case 11, 12, 21:
			open := e.Tickets[len(e.Tickets)-1]
			runAll(func() store.RunResult {
				return store.RunResult{Run: store.RunRecord{Outcome: "follow_up"}, FollowUpTicketID: open}
			})
		case 15:
			runAll(plain)
			tk, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: e.Tickets[0], Answer: "Respuesta " + mark,
				AnsweredBy: "Especialista", Deliver: true, Learn: &store.Entry{}})
			noErr(t, "AnswerTicket", err)
			e.Entry = tk.LearnedEntryID
			// The answer goes out and is delivered and read.
			out := claimOut(t, st, 10, time.Minute)
			if len(out) != 1 || out[0].ConversationID != e.ConversationID {
				t.Fatalf("claimed %+v, want the answer", out)
			}
			e.SentProviderID = "wamid.out." + mark
			noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, e.SentProviderID))
			for _, s := range []store.DeliveryStatus{store.StatusDelivered, store.StatusRead} {
				_, err := st.RecordReceipt(ctx, "whatsapp", e.SentProviderID, s, "", "")
				noErr(t, "RecordReceipt", err)
			}
		default:
			runAll(plain)
		}
	}
	e.LinkedRef = "page-" + tag()
	_, err := st.LinkTicket(ctx, e.Tickets[1], e.LinkedRef, "")
	noErr(t, "LinkTicket", err)

	// Outbound in every state: failed, in flight, pending; a read receipt.
	accept(t, st, in(x, mark, "Gracias "+mark))
	runAll(func() store.RunResult {
		return store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{
			{Kind: "text", Text: "Hola " + x.DisplayName + ", " + mark + " uno"},
			{Kind: "text", Text: "Hola " + x.DisplayName + ", " + mark + " dos"},
			{Kind: "text", Text: "Hola " + x.DisplayName + ", " + mark + " tres"},
		}}
	})
	step := func(what string) store.Message {
		t.Helper()
		out := claimOut(t, st, 10, time.Minute)
		if len(out) != 1 || out[0].ConversationID != e.ConversationID {
			t.Fatalf("%s: claimed %+v, want one message to the contact", what, out)
		}
		return out[0]
	}
	m := step("first reply")
	_, err = st.FailOutbound(ctx, m.ID, true, "131056", "rate "+mark, store.FailPolicy{MaxAttempts: 5, RetryAt: time.Now().Add(-time.Second)})
	noErr(t, "FailOutbound", err)
	m = step("first reply again")
	_, err = st.FailOutbound(ctx, m.ID, false, "131026", "undeliverable "+mark, store.FailPolicy{})
	noErr(t, "FailOutbound", err)
	e.InFlight = step("second reply").ID
	noErr(t, "EnqueueOutbound", st.EnqueueOutbound(ctx, e.ConversationID, []store.OutboundDraft{
		{Kind: "mark_read", ReplyTo: "wamid." + mark, DedupeKey: "read:" + mark},
	}))
	_, _, err = st.RecordHumanMessage(ctx, x, "wamid.human."+mark, "biz-1", "Te escribe una persona: "+mark, "Ana",
		time.Now(), time.Now())
	noErr(t, "RecordHumanMessage", err)

	// Others wait for replies, to show delivery goes on after the erasure.
	for _, c := range others[:3] {
		accept(t, st, in(c, keepMark, "Hola otra vez "+keepMark))
	}
	runAll(nil)
	for _, c := range others[:3] {
		conv, err := st.FindConversation(ctx, c.Channel, c.Address)
		noErr(t, "FindConversation", err)
		noErr(t, "EnqueueOutbound", st.EnqueueOutbound(ctx, conv.ID, []store.OutboundDraft{reply("Respuesta " + keepMark)}))
	}

	msgs, err := st.ListMessages(ctx, e.ConversationID, 1000)
	noErr(t, "ListMessages", err)
	runs, err := st.ListRuns(ctx, e.ConversationID, 1000)
	noErr(t, "ListRuns", err)
	e.Messages, e.Runs = len(msgs), len(runs)
	return e
}

// mustClaimAfter accepts a second message of a conversation that has just
// been processed and claims it.
func mustClaimAfter(t *testing.T, st store.Store, first store.AcceptResult, next store.InboundMessage) *store.Claim {
	t.Helper()
	accept(t, st, next)
	cl := mustClaim(t, st, "seed")
	if cl.Conversation.ID != first.ConversationID {
		t.Fatalf("claimed conversation %s, want %s", cl.Conversation.ID, first.ConversationID)
	}
	return cl
}

var erasureTests = []test{
	{"erasing a contact leaves nothing of it and keeps the others' data", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		x := SeedErasure(t, st)
		before, err := st.TicketEvents(ctx, 0, 1000)
		noErr(t, "TicketEvents", err)
		lastKnowledge, err := st.LastKnowledgeSequence(ctx)
		noErr(t, "LastKnowledgeSequence", err)

		got, err := st.EraseContact(ctx, x.Contact.Channel, x.Contact.Address)
		noErr(t, "EraseContact", err)
		want := store.Erasure{Conversations: 1, Messages: x.Messages, Media: x.Media, Runs: x.Runs, Tickets: 2, Entries: 1}
		if got != want {
			t.Errorf("EraseContact = %+v, want %+v", got, want)
		}

		_, err = st.FindConversation(ctx, x.Contact.Channel, x.Contact.Address)
		wantErr(t, "FindConversation", err, store.ErrNotFound)
		for _, id := range x.Tickets {
			_, err = st.GetTicket(ctx, id)
			wantErr(t, "GetTicket", err, store.ErrNotFound)
		}
		_, err = st.GetMessage(ctx, x.InFlight)
		wantErr(t, "GetMessage of the message in flight", err, store.ErrNotFound)
		_, err = st.GetEntry(ctx, x.Entry)
		wantErr(t, "GetEntry of the contact's learned entry", err, store.ErrNotFound)
		if _, err := st.GetEntry(ctx, x.OtherEntry); err != nil {
			t.Errorf("the entry learned from another contact's ticket was erased: %v", err)
		}
		learned, _, err := st.ListEntries(ctx, store.EntryFilter{LearnedOnly: true, Limit: 100})
		noErr(t, "ListEntries", err)
		if len(learned) != 1 || learned[0].ID != x.OtherEntry {
			t.Errorf("learned entries after the erasure = %+v, want only the other contact's", learned)
		}
		convs, _, err := st.ListConversations(ctx, store.ConversationFilter{Limit: 100})
		noErr(t, "ListConversations", err)
		if len(convs) != 12 {
			t.Errorf("%d conversations left, want the 12 others", len(convs))
		}
		for _, c := range convs {
			if c.Contact.Address == x.Contact.Address {
				t.Errorf("conversation %s of the contact is left", c.ID)
			}
		}

		// The replicas' indexes learn the entry is gone from the change log.
		changes, err := st.KnowledgeChanges(ctx, lastKnowledge, 100)
		noErr(t, "KnowledgeChanges", err)
		if len(changes) != 1 || changes[0].ID != x.Entry || !changes[0].Deleted || changes[0].Kind != "entry" {
			t.Errorf("knowledge changes after the erasure = %+v, want the entry's deletion", changes)
		}

		// The event log keeps one erased event per ticket, with nothing
		// personal, and nothing else of those tickets.
		after, err := st.TicketEvents(ctx, 0, 1000)
		noErr(t, "TicketEvents", err)
		var erased []store.TicketEvent
		for _, ev := range after {
			if slices.Contains(x.Tickets, ev.TicketID) {
				erased = append(erased, ev)
			}
		}
		wantEvents := []struct {
			ticket, ref string
			status      store.TicketStatus
		}{{x.Tickets[0], "", store.TicketAnswered}, {x.Tickets[1], x.LinkedRef, store.TicketOpen}}
		if len(erased) != len(wantEvents) {
			t.Fatalf("events of the erased tickets = %+v, want one erased event each", erased)
		}
		for i, w := range wantEvents {
			ev := erased[i]
			if ev.Type != store.EventErased || ev.TicketID != w.ticket || ev.ExternalRef != w.ref || ev.TicketStatus != w.status || ev.MessageID != "" {
				t.Errorf("event %d = %+v, want erased %s with reference %q and status %s", i, ev, w.ticket, w.ref, w.status)
			}
			if ev.Sequence <= before[len(before)-1].Sequence {
				t.Errorf("erased event %d reuses sequence %d", i, ev.Sequence)
			}
		}
		if len(after) != len(before)-countEvents(before, x.Tickets)+2 {
			t.Errorf("%d events after the erasure, want the %d others plus 2", len(after), len(before)-countEvents(before, x.Tickets))
		}

		// Erasing again finds nothing and logs nothing.
		got, err = st.EraseContact(ctx, x.Contact.Channel, x.Contact.Address)
		if err != nil || got != (store.Erasure{}) {
			t.Errorf("erasing again = %+v, %v; want nothing", got, err)
		}
		again, _ := st.TicketEvents(ctx, 0, 1000)
		if len(again) != len(after) {
			t.Errorf("erasing again logged %d events", len(again)-len(after))
		}
	}},
	{"an outbound message in flight when its contact is erased acks as not found; delivery goes on", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		x := SeedErasure(t, st)
		_, err := st.EraseContact(ctx, x.Contact.Channel, x.Contact.Address)
		noErr(t, "EraseContact", err)

		// The adapter that held it reports back: nothing to record.
		wantErr(t, "AckOutbound", st.AckOutbound(ctx, x.InFlight, "wamid.late"), store.ErrNotFound)
		_, err = st.FailOutbound(ctx, x.InFlight, true, "500", "late", store.FailPolicy{RetryAt: time.Now()})
		wantErr(t, "FailOutbound", err, store.ErrNotFound)
		noErr(t, "RequeueOutbound", st.RequeueOutbound(ctx, []string{x.InFlight}))
		matched, err := st.RecordReceipt(ctx, "whatsapp", x.SentProviderID, store.StatusRead, "", "")
		if err != nil || matched {
			t.Errorf("a receipt of an erased message = %v, %v; want unmatched", matched, err)
		}

		// The others' replies are delivered as ever.
		out := claimOut(t, st, 100, time.Minute)
		if len(out) != 3 {
			t.Fatalf("claimed %d messages after the erasure, want the 3 others' replies", len(out))
		}
		for _, m := range out {
			if m.ConversationID == x.ConversationID || !strings.Contains(m.Text, x.Kept["mark"]) {
				t.Errorf("claimed %+v", m)
			}
			noErr(t, "AckOutbound", st.AckOutbound(ctx, m.ID, "wamid.out."+m.ID))
		}
		if out := claimOut(t, st, 100, time.Minute); len(out) != 0 {
			t.Errorf("claimed %d more", len(out))
		}
	}},
}

func countEvents(events []store.TicketEvent, tickets []string) int {
	n := 0
	for _, ev := range events {
		if slices.Contains(tickets, ev.TicketID) {
			n++
		}
	}
	return n
}
