package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// batchTests run many accepts at once, so that the engine stores them in
// shared transactions; what each caller sees must not change.
var batchTests = []test{
	{"concurrent accepts keep each conversation's order", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const convs, each = 24, 12
		sent := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) // one time: only the order of acceptance orders them
		var wg sync.WaitGroup
		errs := make(chan error, convs*each)
		for c := range convs {
			wg.Go(func() {
				for i := range each {
					in := inbound(contact("whatsapp", fmt.Sprint(2000+c)), fmt.Sprintf("c%d-m%02d", c, i))
					in.SentAt = sent
					if _, err := st.AcceptInbound(ctx, in); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("AcceptInbound: %v", err)
		}
		for c := range convs {
			conv, err := st.FindConversation(ctx, "whatsapp", fmt.Sprint(2000+c))
			noErr(t, "FindConversation", err)
			msgs, err := st.ListMessages(ctx, conv.ID, 100)
			noErr(t, "ListMessages", err)
			if len(msgs) != each || conv.MessageCount != each {
				t.Fatalf("conversation %d: %d messages, MessageCount %d, want %d", c, len(msgs), conv.MessageCount, each)
			}
			for i, m := range msgs {
				if want := fmt.Sprintf("c%d-m%02d", c, i); m.Text != want {
					t.Errorf("conversation %d: message %d is %q, want %q", c, i, m.Text, want)
				}
			}
		}
		// The worker sees them in the same order.
		cl := claim(t, st, "w", time.Minute)
		if cl == nil {
			t.Fatal("no conversation to claim")
		}
		for i := 1; i < len(cl.Messages); i++ {
			if cl.Messages[i-1].Text >= cl.Messages[i].Text {
				t.Errorf("claimed messages out of order: %q before %q", cl.Messages[i-1].Text, cl.Messages[i].Text)
			}
		}
	}},
	{"duplicates arriving together are stored once and answered with the original ids", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const distinct, copies = 30, 4
		ins := make([]store.InboundMessage, distinct)
		for i := range ins {
			ins[i] = inbound(contact("whatsapp", fmt.Sprint(3000+i%5)), fmt.Sprintf("m%d", i))
		}
		results := make([][copies]store.AcceptResult, distinct)
		errs := make([][copies]error, distinct)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range distinct {
			for k := range copies {
				wg.Go(func() {
					<-start
					results[i][k], errs[i][k] = st.AcceptInbound(ctx, ins[i])
				})
			}
		}
		close(start)
		wg.Wait()
		ids := map[string]bool{}
		for i := range distinct {
			fresh := 0
			for k := range copies {
				noErr(t, fmt.Sprintf("message %d copy %d", i, k), errs[i][k])
				r := results[i][k]
				if !r.Duplicate {
					fresh++
				}
				if r.MessageID != results[i][0].MessageID || r.ConversationID != results[i][0].ConversationID {
					t.Errorf("message %d copy %d = %+v, copy 0 = %+v", i, k, r, results[i][0])
				}
			}
			if fresh != 1 {
				t.Errorf("message %d: %d calls stored it, want exactly 1", i, fresh)
			}
			if ids[results[i][0].MessageID] {
				t.Errorf("message %d got the id of another message", i)
			}
			ids[results[i][0].MessageID] = true
			m, err := st.GetMessage(ctx, results[i][0].MessageID)
			noErr(t, "GetMessage", err)
			if m.Text != ins[i].Text || m.ChannelMessageID != ins[i].ChannelMessageID {
				t.Errorf("message %d stored as %q (%s)", i, m.Text, m.ChannelMessageID)
			}
		}
		for c := range 5 {
			conv, err := st.FindConversation(ctx, "whatsapp", fmt.Sprint(3000+c))
			noErr(t, "FindConversation", err)
			if conv.MessageCount != distinct/5 {
				t.Errorf("conversation %d: MessageCount %d, want %d", c, conv.MessageCount, distinct/5)
			}
		}
	}},
	{"a message the database refuses fails no other accepted beside it", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		// PostgreSQL refuses a NUL byte in text; SQLite stores it. Either
		// way, the messages around it are stored.
		const n = 40
		ins := make([]store.InboundMessage, n)
		for i := range ins {
			ins[i] = inbound(contact("whatsapp", fmt.Sprint(4000+i%8)), fmt.Sprintf("m%d", i))
		}
		const bad = n / 2
		ins[bad].Text = "bad\x00byte"
		errs := make([]error, n)
		results := make([]store.AcceptResult, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], errs[i] = st.AcceptInbound(ctx, ins[i])
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if i == bad {
				continue
			}
			noErr(t, fmt.Sprintf("message %d", i), errs[i])
			m, err := st.GetMessage(ctx, results[i].MessageID)
			noErr(t, "GetMessage", err)
			if m.Text != ins[i].Text {
				t.Errorf("message %d stored as %q", i, m.Text)
			}
		}
		if errs[bad] == nil {
			_, err := st.GetMessage(ctx, results[bad].MessageID)
			noErr(t, "GetMessage of the message accepted with a NUL byte", err)
		}
		for c := range 8 {
			conv, err := st.FindConversation(ctx, "whatsapp", fmt.Sprint(4000+c))
			noErr(t, "FindConversation", err)
			msgs, err := st.ListMessages(ctx, conv.ID, 100)
			noErr(t, "ListMessages", err)
			if conv.MessageCount != len(msgs) {
				t.Errorf("conversation %d: MessageCount %d, %d messages", c, conv.MessageCount, len(msgs))
			}
		}
	}},
	{"accepts stored together keep the quiet window, its cap and the customer-service window", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const convs, each = 16, 3
		run := uniq("q")
		acceptAll := func(window, limit time.Duration, n int) {
			var wg sync.WaitGroup
			errs := make(chan error, convs*n)
			for c := range convs {
				wg.Go(func() {
					for i := range n {
						in := inbound(contact("whatsapp", fmt.Sprintf("%s-%d", run, c)), fmt.Sprint(i))
						in.QuietWindow, in.QuietCap, in.Window = window, limit, 24*time.Hour
						if _, err := st.AcceptInbound(ctx, in); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("AcceptInbound: %v", err)
			}
		}
		acceptAll(time.Hour, 2*time.Hour, each)
		if cl := claim(t, st, "w", time.Minute); cl != nil {
			t.Fatalf("claimed inside the quiet window: %+v", cl.Messages)
		}
		for c := range convs {
			conv, err := st.FindConversation(ctx, "whatsapp", fmt.Sprintf("%s-%d", run, c))
			noErr(t, "FindConversation", err)
			if conv.MessageCount != each || conv.WindowUntil.Before(time.Now().Add(23*time.Hour)) {
				t.Errorf("conversation %d: MessageCount %d, window until %v", c, conv.MessageCount, conv.WindowUntil)
			}
		}
		// A cap already passed since the first pending message releases them all.
		acceptAll(time.Hour, time.Microsecond, 1)
		for range convs {
			cl := claim(t, st, "w", time.Minute)
			if cl == nil || len(cl.Messages) != each+1 {
				t.Fatalf("after the cap passed: claim %+v, want %d messages", cl, each+1)
			}
		}
	}},
	{"accepts stored together release the replies waiting for the window they open again", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", uniq("bwindow"))
		in := inbound(c, "¿Abren el sábado?")
		in.Window = time.Microsecond // closes at once
		accept(t, st, in)
		cl := mustClaim(t, st, "w")
		eventually(t, "the window to close", func() bool {
			conv, _ := st.GetConversation(ctx, cl.Conversation.ID)
			return !conv.WindowUntil.After(time.Now())
		})
		r := reply("Sí, de 9 a 13.")
		r.OutsideWindow = &store.OutboundDraft{Kind: "template", Text: "Tenemos tu respuesta",
			Details: message.Details{Template: &message.Template{Name: "respuesta_lista", Language: "es"}}}
		r.DedupeKey = uniq("r")
		complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{r}})
		out, err := st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute)
		noErr(t, "ClaimOutbound", err)
		for _, m := range out {
			if m.Text == r.Text {
				t.Fatalf("the reply went out before the customer wrote: %+v", out)
			}
			noErr(t, "AckOutbound", st.AckOutbound(ctx, m.ID, uniq("wamid")))
		}
		// The customer writes among others; whichever batch stores the
		// message releases the reply.
		const n = 32
		run := uniq("bw")
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				in := inbound(contact("whatsapp", fmt.Sprintf("%s-%d", run, i%8)), fmt.Sprint(i))
				if i == n/2 {
					in = inbound(c, "Gracias")
				}
				in.Window = 24 * time.Hour
				<-start
				if _, err := st.AcceptInbound(ctx, in); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("AcceptInbound: %v", err)
		}
		out, err = st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute)
		noErr(t, "ClaimOutbound", err)
		if !slices.Contains(texts(out), r.Text) {
			t.Fatalf("after the customer wrote: %q, want the held reply", texts(out))
		}
	}},
}
