package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// ActivityVersion is the last schema version whose conversations list was
// ordered by an index on the exact time of the last activity; the next
// indexes its second.
const ActivityVersion = 8

// CheckActivityOrder writes, through db (a database migrated up to
// ActivityVersion), conversations last active at times within one second,
// on both sides of a second's boundary and tied, then opens the store,
// which migrates the database, and checks that the list, paged two at a
// time, orders them by recent activity (then id) exactly, and that a
// message accepted afterwards moves its conversation first.
func CheckActivityOrder(t *testing.T, db *sql.DB, open func(t *testing.T) store.Store) {
	t.Helper()
	ctx := context.Background()
	s := time.Now().Add(-time.Minute).Unix() * 1_000_000 // a second's boundary, in microseconds
	rows := []struct {
		id     string
		active int64
	}{
		{"a", s - 1},               // the end of the second before
		{"b", s},                   // the start of the next
		{"c", s + 5},               // tied with d: id decides
		{"d", s + 5},               //
		{"e", s - 999_990},         // early in the second before
		{"f", s - 3_000_000 + 500}, // seconds before
		{"g", s + 999_999},         // the end of the second
	}
	for _, r := range rows {
		if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, channel, address, created_at, last_activity_at)
VALUES ($1, 'whatsapp', $2, $3, $3)`, r.id, "addr-"+r.id, r.active); err != nil {
			t.Fatalf("insert conversation %s: %v", r.id, err)
		}
	}
	st := open(t)
	list := func() []string {
		var ids []string
		cursor := ""
		for range len(rows) + 1 {
			page, next, err := st.ListConversations(ctx, store.ConversationFilter{Limit: 2, Cursor: cursor})
			noErr(t, "ListConversations", err)
			for _, c := range page {
				ids = append(ids, c.ID)
			}
			if next == "" {
				return ids
			}
			cursor = next
		}
		t.Fatal("paging does not end")
		return nil
	}
	if got, want := list(), []string{"g", "d", "c", "b", "a", "e", "f"}; !equalStrings(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	accept(t, st, inbound(contact("whatsapp", "addr-f"), "again"))
	if got, want := list(), []string{"f", "g", "d", "c", "b", "a", "e"}; !equalStrings(got, want) {
		t.Errorf("after a message to f: order %v, want %v", got, want)
	}
	c, err := st.GetConversation(ctx, "f")
	noErr(t, "GetConversation", err)
	if got := c.LastActivityAt.UnixMicro(); got <= s+999_999 {
		t.Errorf("f's last activity %s, want after %s", fmt.Sprint(got), fmt.Sprint(s+999_999))
	}
}
