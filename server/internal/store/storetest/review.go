package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/store"
)

// The review suite checks the contract through the knowledge index that
// reads it: what a customer can be answered from is what the index loads
// and follows, so "pending entries answer nobody" is tested there.

const (
	reviewQuestion = "¿Puedo pagar la matrícula desde Perú con transferencia?"
	reviewAnswer   = "Sí, con transferencia internacional o tarjeta de crédito."
	reviewQuery    = "se puede pagar la matricula desde peru por transferencia"
)

// newIndex returns a knowledge base loaded from the store.
func newIndex(t *testing.T, st store.Store) *knowledge.Base {
	t.Helper()
	b := knowledge.New(knowledge.Options{Language: "es"})
	noErr(t, "Load", b.Load(testContext(t), st))
	return b
}

// prepared embeds an entry as the server does before storing it.
func prepared(t *testing.T, b *knowledge.Base, question, answer string) store.Entry {
	t.Helper()
	vecs, err := b.Embedder().Embed(testContext(t), []string{question})
	noErr(t, "Embed", err)
	return store.Entry{Question: question, Answer: answer, Source: "learned", Embedding: vecs[0], EmbeddingModel: b.Embedder().Model()}
}

// finds reports whether a search for the query returns the entry.
func finds(t *testing.T, b *knowledge.Base, query, entryID string) bool {
	t.Helper()
	rs, err := b.Search(testContext(t), query, 5)
	noErr(t, "Search", err)
	for _, r := range rs {
		if r.Kind == knowledge.KindEntry && r.ID == entryID {
			return true
		}
	}
	return false
}

// learnPending answers a new ticket with its answer learned as a pending
// entry, and returns the ticket and the entry.
func learnPending(t *testing.T, st store.Store, b *knowledge.Base, address string) (store.Ticket, store.Entry) {
	t.Helper()
	ctx := testContext(t)
	tk := openTicket(t, st, address, reviewQuestion)
	learn := prepared(t, b, reviewQuestion, reviewAnswer)
	learn.Status = store.EntryPending
	got, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: reviewAnswer, AnsweredBy: "Carla", Deliver: true, Learn: &learn})
	noErr(t, "AnswerTicket", err)
	e, err := st.GetEntry(ctx, got.LearnedEntryID)
	noErr(t, "GetEntry", err)
	return got, e
}

func entryIDs(list []store.Entry) []string {
	ids := make([]string, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	return ids
}

var reviewTests = []test{
	{"a pending entry keeps its provenance and is invisible to the index until approved", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		b := newIndex(t, st)
		before := time.Now().Add(-time.Minute)
		tk, e := learnPending(t, st, b, "1")
		if e.Status != store.EntryPending || !e.Learned || e.TicketID != tk.ID || e.AnsweredBy != "Carla" ||
			e.LearnedAt.Before(before) || !e.ReviewedAt.IsZero() {
			t.Fatalf("pending entry = %+v", e)
		}
		if tk.NotLearnedReason != "" {
			t.Errorf("ticket of a pending entry says it was not learned: %q", tk.NotLearnedReason)
		}

		// Neither the replica that follows the change log nor one that
		// starts now can answer from it.
		noErr(t, "Sync", b.Sync(ctx, st))
		if finds(t, b, reviewQuery, e.ID) {
			t.Fatal("a pending entry is searchable through the change log")
		}
		if fresh := newIndex(t, st); finds(t, fresh, reviewQuery, e.ID) || fresh.Index().Len() != 0 {
			t.Fatalf("a pending entry was loaded into a new index (%d items)", fresh.Index().Len())
		}

		pending, _, err := st.ListEntries(ctx, store.EntryFilter{Status: store.EntryPending})
		noErr(t, "ListEntries(pending)", err)
		if !equalStrings(entryIDs(pending), []string{e.ID}) {
			t.Errorf("review queue = %v, want [%s]", entryIDs(pending), e.ID)
		}
		live, _, err := st.ListEntries(ctx, store.EntryFilter{Status: store.EntryLive})
		noErr(t, "ListEntries(live)", err)
		if len(live) != 0 {
			t.Errorf("live entries = %v, want none", entryIDs(live))
		}

		approved, err := st.ApproveEntry(ctx, e.ID, nil)
		noErr(t, "ApproveEntry", err)
		if approved.Status != store.EntryLive || approved.ReviewedAt.IsZero() || approved.Question != e.Question ||
			approved.AnsweredBy != "Carla" || approved.TicketID != tk.ID || !approved.LearnedAt.Equal(e.LearnedAt) {
			t.Fatalf("approved entry = %+v", approved)
		}
		noErr(t, "Sync", b.Sync(ctx, st))
		if !finds(t, b, reviewQuery, e.ID) {
			t.Fatal("the approved entry is not searchable after Sync")
		}
		if !finds(t, newIndex(t, st), reviewQuery, e.ID) {
			t.Fatal("the approved entry is not loaded by a new index")
		}
		if pending, _, _ := st.ListEntries(ctx, store.EntryFilter{Status: store.EntryPending}); len(pending) != 0 {
			t.Errorf("review queue after approval = %v", entryIDs(pending))
		}

		_, err = st.ApproveEntry(ctx, e.ID, nil)
		wantErr(t, "ApproveEntry(live)", err, store.ErrConflict)
		_, err = st.RejectEntry(ctx, e.ID)
		wantErr(t, "RejectEntry(live)", err, store.ErrConflict)
	}},
	{"approving with an edited wording stores it with its new embedding", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		b := newIndex(t, st)
		_, e := learnPending(t, st, b, "1")
		after, err := st.LastKnowledgeSequence(ctx)
		noErr(t, "LastKnowledgeSequence", err)

		_, err = st.ApproveEntry(ctx, e.ID, &store.EntryEdit{Question: "  ", Answer: "x"})
		wantErr(t, "ApproveEntry(blank question)", err, store.ErrInvalid)

		edited := prepared(t, b, "¿Aceptan transferencias internacionales para la matrícula?", "Sí, desde cualquier país.")
		approved, err := st.ApproveEntry(ctx, e.ID, &store.EntryEdit{
			Question: edited.Question, Answer: edited.Answer, Embedding: edited.Embedding, EmbeddingModel: edited.EmbeddingModel,
		})
		noErr(t, "ApproveEntry(edited)", err)
		if approved.Question != edited.Question || approved.Answer != edited.Answer || approved.Status != store.EntryLive ||
			len(approved.Embedding) != len(edited.Embedding) || approved.Embedding[0] != edited.Embedding[0] {
			t.Fatalf("approved entry = %+v", approved)
		}
		changes, err := st.KnowledgeChanges(ctx, after, 10)
		noErr(t, "KnowledgeChanges", err)
		if len(changes) != 1 || changes[0].Kind != "entry" || changes[0].ID != e.ID || changes[0].Deleted {
			t.Fatalf("changes after approval = %+v, want one entry change", changes)
		}
		noErr(t, "Sync", b.Sync(ctx, st))
		if !finds(t, b, "transferencias internacionales matrícula", e.ID) {
			t.Fatal("the edited entry is not searchable")
		}
	}},
	{"a rejected entry stays out of the index and cannot be approved", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		b := newIndex(t, st)
		_, e := learnPending(t, st, b, "1")
		rejected, err := st.RejectEntry(ctx, e.ID)
		noErr(t, "RejectEntry", err)
		if rejected.Status != store.EntryRejected || rejected.ReviewedAt.IsZero() {
			t.Fatalf("rejected entry = %+v", rejected)
		}
		again, err := st.RejectEntry(ctx, e.ID)
		noErr(t, "RejectEntry(again)", err)
		if !again.ReviewedAt.Equal(rejected.ReviewedAt) {
			t.Errorf("rejecting again changed the entry: %+v", again)
		}
		_, err = st.ApproveEntry(ctx, e.ID, nil)
		wantErr(t, "ApproveEntry(rejected)", err, store.ErrConflict)

		// Editing the wording of a rejected entry does not bring it back.
		upd := e
		upd.Answer = "Otra respuesta."
		_, err = st.UpdateEntry(ctx, upd)
		noErr(t, "UpdateEntry(rejected)", err)
		noErr(t, "Sync", b.Sync(ctx, st))
		if finds(t, b, reviewQuery, e.ID) || finds(t, newIndex(t, st), reviewQuery, e.ID) {
			t.Fatal("a rejected entry is searchable")
		}
		got, err := st.GetEntry(ctx, e.ID)
		noErr(t, "GetEntry", err)
		if got.Status != store.EntryRejected || got.Answer != "Otra respuesta." {
			t.Errorf("rejected entry after an edit = %+v", got)
		}
		list, _, err := st.ListEntries(ctx, store.EntryFilter{Status: store.EntryRejected})
		noErr(t, "ListEntries(rejected)", err)
		if !equalStrings(entryIDs(list), []string{e.ID}) {
			t.Errorf("rejected entries = %v", entryIDs(list))
		}
	}},
	{"review of unknown entries and statuses", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		_, err := st.ApproveEntry(ctx, "nope", nil)
		wantErr(t, "ApproveEntry(unknown)", err, store.ErrNotFound)
		_, err = st.RejectEntry(ctx, "nope")
		wantErr(t, "RejectEntry(unknown)", err, store.ErrNotFound)
		_, _, err = st.ListEntries(ctx, store.EntryFilter{Status: "maybe"})
		wantErr(t, "ListEntries(unknown status)", err, store.ErrInvalid)
		_, err = st.CreateEntry(ctx, store.Entry{Question: "q", Answer: "a", Status: "maybe"})
		wantErr(t, "CreateEntry(unknown status)", err, store.ErrInvalid)
	}},
	{"entries default to live and the review queue pages newest first", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		manual, err := st.CreateEntry(ctx, store.Entry{Question: "¿Horario?", Answer: "9 a 18"})
		noErr(t, "CreateEntry", err)
		if manual.Status != store.EntryLive || !manual.LearnedAt.IsZero() || manual.AnsweredBy != "" {
			t.Errorf("manual entry = %+v", manual)
		}
		var ids []string
		for i := range 3 {
			e, err := st.CreateEntry(ctx, store.Entry{Question: "q", Answer: "a", Learned: true, Status: store.EntryPending, TicketID: "T-" + string(rune('A'+i))})
			noErr(t, "CreateEntry(pending)", err)
			if e.LearnedAt.IsZero() {
				t.Errorf("learned entry without learned_at: %+v", e)
			}
			ids = append([]string{e.ID}, ids...)
		}
		var got []string
		cursor := ""
		for range 5 {
			page, next, err := st.ListEntries(ctx, store.EntryFilter{Status: store.EntryPending, LearnedOnly: true, Limit: 2, Cursor: cursor})
			noErr(t, "ListEntries", err)
			got = append(got, entryIDs(page)...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if !equalStrings(got, ids) {
			t.Errorf("review queue %v, want newest first %v", got, ids)
		}
	}},
	{"a ticket records why its answer was not learned", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		tk := openTicket(t, st, "1", "¿Cuánto debo yo?")
		got, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: "Nada.", AnsweredBy: "Ana", Deliver: true,
			NotLearnedReason: "learning.policy is off"})
		noErr(t, "AnswerTicket", err)
		if got.LearnedEntryID != "" || got.NotLearnedReason != "learning.policy is off" {
			t.Fatalf("ticket = %+v", got)
		}
		again, err := st.GetTicket(ctx, tk.ID)
		noErr(t, "GetTicket", err)
		if again.NotLearnedReason != "learning.policy is off" {
			t.Errorf("stored reason = %q", again.NotLearnedReason)
		}
		// A reason given along with an entry to learn is not recorded: the
		// answer was learned.
		tk2 := openTicket(t, st, "2", "¿Horario?")
		got, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk2.ID, Answer: "9 a 18", Deliver: true,
			Learn: &store.Entry{Question: "¿Horario?"}, NotLearnedReason: "stale"})
		noErr(t, "AnswerTicket(learned)", err)
		if got.LearnedEntryID == "" || got.NotLearnedReason != "" {
			t.Errorf("learned ticket = %+v", got)
		}
	}},
}

// replicaApproval checks that approving through one replica makes the entry
// searchable in the other's index, which only follows the change log.
func replicaApproval(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	a, b := rs[0], rs[1]
	followerIndex := newIndex(t, b)
	_, e := learnPending(t, a, newIndex(t, a), "1")
	noErr(t, "Sync", followerIndex.Sync(ctx, b))
	if finds(t, followerIndex, reviewQuery, e.ID) {
		t.Fatal("the follower answers from a pending entry")
	}
	_, err := a.ApproveEntry(ctx, e.ID, nil)
	noErr(t, "ApproveEntry", err)
	syncUntil(t, followerIndex, b, func() bool { return finds(t, followerIndex, reviewQuery, e.ID) })
}

// syncUntil syncs the index with the store until cond holds.
func syncUntil(t *testing.T, idx *knowledge.Base, st store.Store, cond func() bool) {
	t.Helper()
	eventually(t, "index caught up", func() bool {
		ctx, cancel := context.WithTimeout(testContext(t), waitLimit)
		defer cancel()
		noErr(t, "Sync", idx.Sync(ctx, st))
		return cond()
	})
}
