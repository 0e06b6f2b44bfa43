// Package storetest is the conformance suite of store.Store: every engine
// runs Run against a fresh database and must pass it. It also gives other
// packages' tests a PostgreSQL database of their own (PostgresURL).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// Opener returns a new, empty store; it registers closing it with t.Cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite, each test on a store of its own, in parallel.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Inbox", inboxTests},
		{"AcceptBatches", batchTests},
		{"Claims", claimTests},
		{"Runs", runTests},
		{"Outbox", outboxTests},
		{"Deliveries", deliveryTests},
		{"Conversations", conversationTests},
		{"Erasure", erasureTests},
		{"Media", mediaTests},
		{"Tickets", ticketTests},
		{"Knowledge", knowledgeTests},
		{"Review", reviewTests},
		{"Notifications", notificationTests},
		{"Ownership", ownershipTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					// Each test has a store of its own, so they may overlap;
					// most of their time is spent waiting on the database.
					t.Parallel()
					tc.run(t, open(t))
				})
			}
		})
	}
}

type test struct {
	name string
	run  func(t *testing.T, st store.Store)
}

// waitLimit bounds every wait of the suite, so that a broken engine fails
// instead of hanging. Nothing asserts how fast anything happens.
const waitLimit = 20 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or waitLimit passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// uniq returns a string that no other call returns: 64 random bits.
func uniq(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// buttons are the details of a reply offering two buttons.
var buttons = message.Details{Buttons: []message.Button{{ID: "relevo.feedback.yes", Title: "Sí, gracias"}, {ID: "relevo.feedback.human", Title: "Hablar con una persona"}}}

func contact(channel, address string) store.Contact {
	return store.Contact{Channel: channel, Address: address, DisplayName: "User " + address, Phone: "+" + address}
}

func inbound(c store.Contact, text string) store.InboundMessage {
	return store.InboundMessage{
		Contact:          c,
		ChannelMessageID: uniq("wamid"),
		BusinessAddress:  "biz-1",
		Kind:             "text",
		Text:             text,
	}
}

func accept(t *testing.T, st store.Store, in store.InboundMessage) store.AcceptResult {
	t.Helper()
	res, err := st.AcceptInbound(testContext(t), in)
	if err != nil {
		t.Fatalf("AcceptInbound(%s): %v", in.ChannelMessageID, err)
	}
	return res
}

func claim(t *testing.T, st store.Store, owner string, lease time.Duration) *store.Claim {
	t.Helper()
	c, err := st.ClaimConversation(testContext(t), owner, lease)
	if err != nil {
		t.Fatalf("ClaimConversation(%s): %v", owner, err)
	}
	return c
}

// mustClaim claims work that the test knows is there.
func mustClaim(t *testing.T, st store.Store, owner string) *store.Claim {
	t.Helper()
	c := claim(t, st, owner, time.Minute)
	if c == nil {
		t.Fatalf("ClaimConversation(%s) found no work", owner)
	}
	return c
}

func complete(t *testing.T, st store.Store, c *store.Claim, r store.RunResult) {
	t.Helper()
	if err := st.CompleteRun(testContext(t), c, r); err != nil {
		t.Fatalf("CompleteRun: %v", err)
	}
}

func reply(text string) store.OutboundDraft { return store.OutboundDraft{Kind: "text", Text: text} }

func messageIDs(msgs []store.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func texts(msgs []store.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
