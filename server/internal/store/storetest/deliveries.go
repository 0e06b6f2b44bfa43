package storetest

import (
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

func deliveryTexts(list []store.Delivery) []string {
	out := make([]string, len(list))
	for i, d := range list {
		out[i] = d.Text
	}
	return out
}

var deliveryTests = []test{
	{"the replies that need attention are listed newest first, with their contact", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		// Four conversations, one reply each, claimed in this order: sent,
		// failed for good, retrying, and one still pending.
		for _, a := range []string{"1", "2", "3", "4"} {
			queue(t, st, contact("whatsapp", a), reply("r"+a))
		}
		queue(t, st, contact("webchat", "5"), reply("r5"))
		out := claimOut(t, st, 10, time.Minute)
		if len(out) != 4 {
			t.Fatalf("claimed %q, want the four WhatsApp replies", texts(out))
		}
		byText := map[string]store.Message{}
		for _, m := range out {
			byText[m.Text] = m
		}
		noErr(t, "AckOutbound", st.AckOutbound(ctx, byText["r1"].ID, "wamid.r1"))
		_, err := st.FailOutbound(ctx, byText["r2"].ID, false, "131026", "undeliverable", store.FailPolicy{})
		noErr(t, "FailOutbound", err)
		_, err = st.FailOutbound(ctx, byText["r3"].ID, true, "131056", "rate limited", store.FailPolicy{MaxAttempts: 5, RetryAt: time.Now().Add(time.Hour)})
		noErr(t, "FailOutbound", err)

		list, next, err := st.ListDeliveries(ctx, store.DeliveryFilter{Statuses: store.AttentionStatuses})
		noErr(t, "ListDeliveries", err)
		if got := deliveryTexts(list); !equalStrings(got, []string{"r3", "r2"}) || next != "" {
			t.Fatalf("attention = %q (next %q), want the retrying then the failed reply", got, next)
		}
		if d := list[1]; d.Channel != "whatsapp" || d.Address != "2" || d.Status != store.StatusFailed || d.FailureReason != "undeliverable" {
			t.Errorf("failed delivery = %+v", d)
		}

		// Pages, newest first.
		page, next, err := st.ListDeliveries(ctx, store.DeliveryFilter{Limit: 2})
		noErr(t, "ListDeliveries", err)
		rest, last, err := st.ListDeliveries(ctx, store.DeliveryFilter{Limit: 10, Cursor: next})
		noErr(t, "ListDeliveries", err)
		if got := append(deliveryTexts(page), deliveryTexts(rest)...); !equalStrings(got, []string{"r5", "r4", "r3", "r2", "r1"}) || next == "" || last != "" {
			t.Fatalf("pages = %q then %q (tokens %q, %q), want every reply newest first", deliveryTexts(page), deliveryTexts(rest), next, last)
		}

		// Filters: a channel, a status, a start.
		list, _, err = st.ListDeliveries(ctx, store.DeliveryFilter{Channel: "webchat"})
		noErr(t, "ListDeliveries", err)
		if got := deliveryTexts(list); !equalStrings(got, []string{"r5"}) {
			t.Errorf("webchat = %q", got)
		}
		list, _, err = st.ListDeliveries(ctx, store.DeliveryFilter{Statuses: []store.DeliveryStatus{store.StatusSent}})
		noErr(t, "ListDeliveries", err)
		if got := deliveryTexts(list); !equalStrings(got, []string{"r1"}) {
			t.Errorf("sent = %q", got)
		}
		list, _, err = st.ListDeliveries(ctx, store.DeliveryFilter{Since: time.Now().Add(time.Hour)})
		noErr(t, "ListDeliveries", err)
		if len(list) != 0 {
			t.Errorf("since an hour ahead = %q, want none", deliveryTexts(list))
		}
		_, _, err = st.ListDeliveries(ctx, store.DeliveryFilter{Cursor: "not-a-token"})
		wantErr(t, "ListDeliveries with a foreign page token", err, store.ErrInvalid)
	}},
}
