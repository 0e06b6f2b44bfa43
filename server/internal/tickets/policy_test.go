package tickets

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
)

// countingLearner embeds nothing and counts index refreshes.
type countingLearner struct{ refreshes int }

func (l *countingLearner) PrepareEntry(_ context.Context, q, a, src string) (store.Entry, error) {
	return store.Entry{Question: q, Answer: a, Source: src}, nil
}

func (l *countingLearner) Refresh(context.Context) error { l.refreshes++; return nil }

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "relevo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// contacts numbers the customers of openTicket; the tests do not run in
// parallel.
var contacts int

// openTicket opens a ticket of a new customer, with a question anybody
// might ask.
func openTicket(t *testing.T, st store.Store) store.Ticket {
	t.Helper()
	ctx := context.Background()
	contacts++
	address := fmt.Sprint("5691111", contacts)
	question := "¿Abren los domingos por la mañana?"
	if _, err := st.AcceptInbound(ctx, store.InboundMessage{
		Contact: store.Contact{Channel: "whatsapp", Address: address}, ChannelMessageID: "wamid." + address, Kind: "text", Text: question,
	}); err != nil {
		t.Fatal(err)
	}
	c, err := st.ClaimConversation(ctx, "w", time.Minute)
	if err != nil || c == nil {
		t.Fatalf("claim: %v %v", c, err)
	}
	if err := st.CompleteRun(ctx, c, store.RunResult{OpenTicket: &store.TicketDraft{Question: question}}); err != nil {
		t.Fatal(err)
	}
	conv, err := st.FindConversation(ctx, "whatsapp", address)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := st.GetTicket(ctx, conv.OpenTicketID)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestThePolicyAndTheSpecialistDecideWhatIsLearned(t *testing.T) {
	const live, pending, none = store.EntryLive, store.EntryPending, store.EntryStatus("")
	tests := []struct {
		policy   Policy
		decision Decision
		skip     bool
		want     store.EntryStatus
		reason   string
	}{
		{PolicyAuto, DecideByPolicy, false, live, ""},
		{"", DecideByPolicy, false, live, ""},
		{PolicyAuto, Learn, false, live, ""},
		{PolicyAuto, NotApproved, false, live, ""},
		{PolicyAuto, DoNotLearn, false, none, ReasonSpecialist},
		{PolicyAuto, DecideByPolicy, true, none, ReasonSpecialist},
		{PolicyReview, DecideByPolicy, false, pending, ""},
		{PolicyReview, Learn, false, live, ""},
		{PolicyReview, NotApproved, false, none, ReasonNotApproved},
		{PolicyReview, DoNotLearn, false, none, ReasonSpecialist},
		{PolicyOff, DecideByPolicy, false, none, ReasonPolicyOff},
		{PolicyOff, Learn, false, none, ReasonPolicyOff},
		{PolicyOff, NotApproved, false, none, ReasonPolicyOff},
	}
	st := openStore(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/skip=%v", tt.policy, tt.decision, tt.skip), func(t *testing.T) {
			ctx := context.Background()
			l := &countingLearner{}
			d := New(st, l, tt.policy, nil)
			tk := openTicket(t, st)
			got, already, err := d.Answer(ctx, AnswerInput{TicketID: tk.ID, Answer: "Sí, de 10 a 14 horas.", AnsweredBy: "Carla",
				Learn: tt.decision, SkipLearning: tt.skip})
			if err != nil || already {
				t.Fatalf("Answer: %v (already %v)", err, already)
			}
			if got.NotLearnedReason != tt.reason {
				t.Errorf("reason %q, want %q", got.NotLearnedReason, tt.reason)
			}
			if tt.want == none {
				if got.LearnedEntryID != "" {
					t.Errorf("learned entry %s, want none", got.LearnedEntryID)
				}
				return
			}
			e, err := st.GetEntry(ctx, got.LearnedEntryID)
			if err != nil {
				t.Fatalf("learned entry: %v", err)
			}
			if e.Status != tt.want || e.AnsweredBy != "Carla" || e.TicketID != tk.ID || !e.Learned || e.LearnedAt.IsZero() {
				t.Errorf("learned entry %+v, want status %s with its provenance", e, tt.want)
			}
			// Only a live entry is worth refreshing the index for.
			if wantRefresh := map[bool]int{true: 1, false: 0}[tt.want == live]; l.refreshes != wantRefresh {
				t.Errorf("%d index refreshes, want %d", l.refreshes, wantRefresh)
			}
		})
	}
}

func TestAnsweringTwiceWithTheSameTextLearnsOnce(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	for _, policy := range []Policy{PolicyAuto, PolicyReview} {
		l := &countingLearner{}
		d := New(st, l, policy, nil)
		tk := openTicket(t, st)
		first, _, err := d.Answer(ctx, AnswerInput{TicketID: tk.ID, Answer: "Sí, de 10 a 14 horas.", AnsweredBy: "Carla"})
		if err != nil {
			t.Fatal(err)
		}
		again, already, err := d.Answer(ctx, AnswerInput{TicketID: tk.ID, Answer: " Sí, de 10 a 14 horas. ", AnsweredBy: "Carla", Learn: Learn})
		if err != nil || !already || again.LearnedEntryID != first.LearnedEntryID {
			t.Fatalf("%s: again = %+v, already %v, %v; want the first answer unchanged", policy, again, already, err)
		}
		learned, _, err := st.ListEntries(ctx, store.EntryFilter{LearnedOnly: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, e := range learned {
			if e.TicketID == tk.ID {
				count++
			}
		}
		if count != 1 {
			t.Errorf("%s: %d entries learned from the ticket, want 1", policy, count)
		}
		if e, _ := st.GetEntry(ctx, first.LearnedEntryID); policy == PolicyReview && e.Status != store.EntryPending {
			t.Errorf("a second click with LEARN approved the pending entry: %+v", e)
		}
	}
}
