package tickets

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type fakeJudge struct {
	personal bool
	err      error
	asked    int
}

func (j *fakeJudge) Personal(context.Context, string, string) (bool, string, error) {
	j.asked++
	return j.personal, "it is about their transfer", j.err
}

func TestAModelJudgingAnAnswerPersonalKeepsItUnlearned(t *testing.T) {
	answer := "Sí, abrimos los domingos de 10:00 a 14:00."
	for _, tc := range []struct {
		name    string
		judge   *fakeJudge
		learned bool
	}{
		{"general", &fakeJudge{}, true},
		{"personal", &fakeJudge{personal: true}, false},
		{"the model fails: the offline rule stands", &fakeJudge{personal: true, err: errors.New("503")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			tk := openTicket(t, st)
			d := New(st, &countingLearner{}, PolicyAuto, nil).WithJudge(tc.judge)
			got, _, err := d.Answer(context.Background(), AnswerInput{TicketID: tk.ID, Answer: answer, AnsweredBy: "Marta"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.judge.asked != 1 {
				t.Errorf("judge asked %d times, want 1", tc.judge.asked)
			}
			if learned := got.LearnedEntryID != ""; learned != tc.learned {
				t.Fatalf("learned = %v (reason %q), want %v", learned, got.NotLearnedReason, tc.learned)
			}
			if !tc.learned && !strings.Contains(got.NotLearnedReason, "model") {
				t.Errorf("not-learned reason %q does not say the model decided", got.NotLearnedReason)
			}
		})
	}
}
