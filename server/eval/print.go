package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/relevo/relevo/server/internal/agents"
)

// WriteText prints a human-readable report: one line per query, then the
// totals.
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "documents: %d   threshold: %.2f   modes: %s\n", rep.Documents, rep.Threshold, rep.Modes)
	for _, s := range rep.Skipped {
		fmt.Fprintf(&b, "skipped: %s\n", s)
	}
	for _, r := range rep.Results {
		mark := "ok  "
		if !r.Correct {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %-9s expect=%-10s top=%.2f %-30s %q\n", mark, r.Outcome, r.Expect, r.TopScore, r.TopSource, r.Query)
		if !r.Correct && r.Reason != "" {
			fmt.Fprintf(&b, "     handed off: %s\n", r.Reason)
		}
		if r.Answer != "" && r.ContainsExpected != nil && !*r.ContainsExpected {
			fmt.Fprintf(&b, "     answer lacks the expected facts: %q\n", r.Answer)
		}
	}
	t := rep.Totals
	fmt.Fprintf(&b, "\noutcomes correct:      %d/%d (%.1f%%)\n", t.Correct, t.Queries, 100*t.Accuracy)
	fmt.Fprintf(&b, "answers with facts:    %d/%d\n", t.ContainingExpected, t.WithExpectedFacts)
	fmt.Fprintf(&b, "precision:             %.3f (right answers / answers)\n", t.Precision)
	fmt.Fprintf(&b, "coverage:              %.3f (right answers / answerable)\n", t.Coverage)
	fmt.Fprintf(&b, "wrong answers:         %d of %d that must not be answered (%.1f%%)\n", t.WrongAnswers, t.MustNotAnswer, 100*t.FalseAnswerRate)
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonLine is the JSON-lines shape of one query's result.
type jsonLine struct {
	Query   string              `json:"query"`
	Outcome string              `json:"outcome"`
	Answer  string              `json:"answer"`
	Sources []string            `json:"sources"`
	Check   *agents.AnswerCheck `json:"check,omitempty"`
}

// WriteJSONLines prints one JSON object per query:
// {"query","outcome","answer","sources"}, and "check", the offline
// decision's reading, for a query the knowledge agent judged.
func WriteJSONLines(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rep.Results {
		src := r.Sources
		if src == nil {
			src = []string{}
		}
		if err := enc.Encode(jsonLine{Query: r.Query, Outcome: string(r.Outcome), Answer: r.Answer, Sources: src, Check: r.Check}); err != nil {
			return err
		}
	}
	return nil
}
