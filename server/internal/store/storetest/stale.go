package storetest

import (
	"database/sql"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// ClaimClearsAStalePendingMark checks, on a store and a connection to its
// database, that a conversation marked pending with no message left to
// process (as a run's release may leave it when an accept it could not see
// changed the conversation) is claimed by nobody and left neither marked
// nor leased, and that its next message is claimed as usual.
func ClaimClearsAStalePendingMark(t *testing.T, st store.Store, db *sql.DB) {
	t.Helper()
	ctx := t.Context()
	inbound := func(id string) store.InboundMessage {
		return store.InboundMessage{
			Contact:          store.Contact{Channel: "whatsapp", Address: "34600000001"},
			ChannelMessageID: id, Kind: message.KindText, Text: "hola",
		}
	}
	res, err := st.AcceptInbound(ctx, inbound("wamid.1"))
	if err != nil {
		t.Fatal(err)
	}
	claim, err := st.ClaimConversation(ctx, "w1", time.Minute)
	if err != nil || claim == nil {
		t.Fatalf("claim: %v, %v", claim, err)
	}
	if err := st.CompleteRun(ctx, claim, store.RunResult{Run: store.RunRecord{Outcome: "answer"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE conversations SET pending_at = 1 WHERE id = $1`, res.ConversationID); err != nil {
		t.Fatal(err)
	}
	if claim, err := st.ClaimConversation(ctx, "w2", time.Minute); err != nil || claim != nil {
		t.Fatalf("claim of a stale mark: %+v, %v; want none", claim, err)
	}
	var pending sql.NullInt64
	var owner string
	var until int64
	err = db.QueryRowContext(ctx, `SELECT pending_at, lease_owner, lease_until FROM conversations WHERE id = $1`,
		res.ConversationID).Scan(&pending, &owner, &until)
	if err != nil {
		t.Fatal(err)
	}
	if pending.Valid || owner != "" || until != 0 {
		t.Fatalf("after the stale claim: pending %v, lease %q until %d; want none", pending, owner, until)
	}
	if _, err := st.AcceptInbound(ctx, inbound("wamid.2")); err != nil {
		t.Fatal(err)
	}
	claim, err = st.ClaimConversation(ctx, "w3", time.Minute)
	if err != nil || claim == nil {
		t.Fatalf("claim of the next message: %v, %v", claim, err)
	}
	if len(claim.Messages) != 1 || claim.Messages[0].ChannelMessageID != "wamid.2" {
		t.Fatalf("claimed %+v; want wamid.2 alone", claim.Messages)
	}
}
