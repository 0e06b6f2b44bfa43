package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

var inboxTests = []test{
	{"a new contact's message is stored in a new conversation", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "5491100000001")
		in := inbound(c, "hola")
		in.Kind = message.KindChoice
		in.Details = message.Details{Choice: &message.Choice{ID: "opt-2", Title: "Horarios"}, Forwarded: true}
		in.ReplyTo = "wamid-earlier"
		in.SentAt = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
		res := accept(t, st, in)
		if res.Duplicate || res.MessageID == "" || res.ConversationID == "" {
			t.Fatalf("AcceptInbound = %+v, want new ids", res)
		}
		m, err := st.GetMessage(ctx, res.MessageID)
		noErr(t, "GetMessage", err)
		if m.ConversationID != res.ConversationID || m.Direction != store.Inbound || m.Author != store.AuthorUser ||
			m.Text != "hola" || m.Kind != message.KindChoice || m.ChannelMessageID != in.ChannelMessageID ||
			m.ReplyTo != "wamid-earlier" || !reflect.DeepEqual(m.Details, in.Details) || m.Processed || m.BusinessAddress != "biz-1" {
			t.Errorf("stored message = %+v", m)
		}
		if want := in.SentAt.Truncate(time.Microsecond); !m.SentAt.Equal(want) || m.SentAt.Location() != time.UTC {
			t.Errorf("SentAt = %v, want %v in UTC", m.SentAt, want)
		}
		conv, err := st.GetConversation(ctx, res.ConversationID)
		noErr(t, "GetConversation", err)
		if conv.Contact != c || conv.State != store.StateBot || conv.MessageCount != 1 || conv.BusinessAddress != "biz-1" ||
			conv.OpenTicketID != "" || conv.CreatedAt.IsZero() || conv.LastActivityAt.IsZero() {
			t.Errorf("conversation = %+v", conv)
		}
		found, err := st.FindConversation(ctx, "whatsapp", c.Address)
		noErr(t, "FindConversation", err)
		if found.ID != conv.ID {
			t.Errorf("FindConversation = %s, want %s", found.ID, conv.ID)
		}
	}},
	{"a missing sent time means now", func(t *testing.T, st store.Store) {
		before := time.Now().Add(-time.Second)
		res := accept(t, st, inbound(contact("whatsapp", "1"), "x"))
		m, err := st.GetMessage(testContext(t), res.MessageID)
		noErr(t, "GetMessage", err)
		if m.SentAt.Before(before) || m.SentAt.After(time.Now().Add(time.Second)) {
			t.Errorf("SentAt = %v, want about now", m.SentAt)
		}
	}},
	{"a message without channel message id is refused", func(t *testing.T, st store.Store) {
		in := inbound(contact("whatsapp", "1"), "x")
		in.ChannelMessageID = ""
		if _, err := st.AcceptInbound(testContext(t), in); err == nil {
			t.Fatal("AcceptInbound without channel message id succeeded")
		}
	}},
	{"a repeated message returns the original ids and changes nothing", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		in := inbound(contact("whatsapp", "1"), "hola")
		first := accept(t, st, in)
		again := in
		again.Text = "changed"
		second := accept(t, st, again)
		if !second.Duplicate || second.MessageID != first.MessageID || second.ConversationID != first.ConversationID {
			t.Fatalf("second AcceptInbound = %+v, want duplicate of %+v", second, first)
		}
		msgs, err := st.ListMessages(ctx, first.ConversationID, 10)
		noErr(t, "ListMessages", err)
		if len(msgs) != 1 || msgs[0].Text != "hola" {
			t.Errorf("messages = %q, want the first only", texts(msgs))
		}
		conv, _ := st.GetConversation(ctx, first.ConversationID)
		if conv.MessageCount != 1 {
			t.Errorf("MessageCount = %d, want 1", conv.MessageCount)
		}
	}},
	{"the same message id on another channel is another message", func(t *testing.T, st store.Store) {
		in := inbound(contact("whatsapp", "1"), "a")
		a := accept(t, st, in)
		in.Contact = contact("telegram", "1")
		b := accept(t, st, in)
		if b.Duplicate || b.MessageID == a.MessageID || b.ConversationID == a.ConversationID {
			t.Errorf("other channel = %+v, first = %+v", b, a)
		}
	}},
	{"twenty concurrent identical calls store one message", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		in := inbound(contact("whatsapp", "1"), "hola")
		const n = 20
		results := make([]store.AcceptResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], errs[i] = st.AcceptInbound(ctx, in)
			})
		}
		close(start)
		wg.Wait()
		fresh := 0
		for i := range n {
			noErr(t, fmt.Sprintf("call %d", i), errs[i])
			if !results[i].Duplicate {
				fresh++
			}
			if results[i].MessageID != results[0].MessageID || results[i].ConversationID != results[0].ConversationID {
				t.Errorf("call %d = %+v, call 0 = %+v", i, results[i], results[0])
			}
		}
		if fresh != 1 {
			t.Errorf("%d calls stored the message, want exactly 1", fresh)
		}
		msgs, err := st.ListMessages(ctx, results[0].ConversationID, 100)
		noErr(t, "ListMessages", err)
		if len(msgs) != 1 {
			t.Errorf("stored %d messages, want 1", len(msgs))
		}
		conv, _ := st.GetConversation(ctx, results[0].ConversationID)
		if conv.MessageCount != 1 {
			t.Errorf("MessageCount = %d, want 1", conv.MessageCount)
		}
	}},
	{"concurrent writers across conversations all get stored", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const writers, each, convs = 8, 50, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					in := inbound(contact("whatsapp", fmt.Sprint(1000+(w*each+i)%convs)), fmt.Sprintf("w%d-%d", w, i))
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
		total := 0
		for c := range convs {
			conv, err := st.FindConversation(ctx, "whatsapp", fmt.Sprint(1000+c))
			noErr(t, "FindConversation", err)
			msgs, err := st.ListMessages(ctx, conv.ID, 1000)
			noErr(t, "ListMessages", err)
			if conv.MessageCount != len(msgs) {
				t.Errorf("conversation %d: MessageCount %d, %d messages", c, conv.MessageCount, len(msgs))
			}
			total += len(msgs)
		}
		if total != writers*each {
			t.Errorf("stored %d messages, want %d", total, writers*each)
		}
	}},
	{"a later message refreshes the contact's details", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "a"))
		c2 := c
		c2.DisplayName = "New Name"
		c2.Phone = ""
		res := accept(t, st, inbound(c2, "b"))
		conv, err := st.GetConversation(ctx, res.ConversationID)
		noErr(t, "GetConversation", err)
		if conv.Contact.DisplayName != "New Name" || conv.Contact.Phone != c.Phone || conv.MessageCount != 2 {
			t.Errorf("conversation = %+v", conv)
		}
	}},
	{"an unknown message is not found", func(t *testing.T, st store.Store) {
		_, err := st.GetMessage(testContext(t), "nope")
		wantErr(t, "GetMessage", err, store.ErrNotFound)
		_, _, err = st.RepliesTo(testContext(t), "nope")
		wantErr(t, "RepliesTo", err, store.ErrNotFound)
	}},
}
