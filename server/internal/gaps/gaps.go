// Package gaps finds what the knowledge base is missing: the questions the
// bot handed to a person or answered with low confidence, grouped by
// similarity, most frequent first.
package gaps

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/store"
)

// Question is one question the knowledge base did not answer well.
type Question struct {
	Text           string
	ConversationID string
	TicketID       string // set when it was handed off
	HandedOff      bool
	At             time.Time
}

// Gap is a group of similar questions.
type Gap struct {
	Question        string // the most typical one
	Count           int
	HandedOff       int
	LowConfidence   int
	Examples        []string // distinct, most recent first
	ConversationIDs []string // distinct, most recent first
	TicketIDs       []string
	LastAskedAt     time.Time
}

// Query bounds a search for gaps.
type Query struct {
	Since              time.Time
	LowConfidenceBelow float64
	Limit              int
}

// Limits of one search: the gaps are computed on request from the
// conversations active in the period, so the work is bounded.
const (
	maxConversations = 5000
	maxRunsPerConv   = 500
	maxExamples      = 5
	// similar is the weighted overlap of content words from which two
	// questions are taken to ask the same thing.
	similar = 0.5
	// compareMembers bounds the members a question is compared with.
	compareMembers = 20
)

// Store is what the finder reads: the tickets handed to a person, and the
// runs of the conversations active in the period. store.Store is one.
type Store interface {
	ListTickets(ctx context.Context, f store.TicketFilter) (list []store.Ticket, next string, err error)
	ListConversations(ctx context.Context, f store.ConversationFilter) (list []store.Conversation, next string, err error)
	ListRuns(ctx context.Context, conversationID string, limit int) ([]store.RunRecord, error)
}

// Finder reads questions from the store and groups them.
type Finder struct {
	st Store
	an *analysis.Analyzer
}

// New returns a finder over st for questions in lang ("es" or "en").
func New(st Store, lang string) *Finder {
	return &Finder{st: st, an: analysis.New(lang)}
}

// Find returns the gaps, most frequent first, and the number of questions
// read.
func (f *Finder) Find(ctx context.Context, q Query) ([]Gap, int, error) {
	qs, err := f.Questions(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	gs := Cluster(f.an, qs)
	if q.Limit > 0 && len(gs) > q.Limit {
		gs = gs[:q.Limit]
	}
	return gs, len(qs), nil
}

// Questions collects the questions handed off (tickets that are not about
// one customer's own case) and those answered with a decision confidence
// below q.LowConfidenceBelow, asked since q.Since.
func (f *Finder) Questions(ctx context.Context, q Query) ([]Question, error) {
	var out []Question
	cursor := ""
	for {
		list, next, err := f.st.ListTickets(ctx, store.TicketFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		old := false
		for _, t := range list {
			if t.CreatedAt.Before(q.Since) {
				old = true
				continue
			}
			if t.Personal || strings.TrimSpace(t.Question) == "" {
				continue
			}
			out = append(out, Question{Text: t.Question, ConversationID: t.ConversationID, TicketID: t.ID, HandedOff: true, At: t.CreatedAt})
		}
		if old || next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	if q.LowConfidenceBelow <= 0 {
		return out, nil
	}
	cursor = ""
	seen := 0
	for seen < maxConversations {
		convs, next, err := f.st.ListConversations(ctx, store.ConversationFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		old := false
		for _, c := range convs {
			if c.LastActivityAt.Before(q.Since) {
				old = true
				break
			}
			seen++
			runs, err := f.st.ListRuns(ctx, c.ID, maxRunsPerConv)
			if err != nil {
				return nil, fmt.Errorf("runs of %s: %w", c.ID, err)
			}
			for _, r := range runs {
				if r.Outcome != "answer" || r.StartedAt.Before(q.Since) {
					continue
				}
				if text, ok := lowConfidence(r.Trace, q.LowConfidenceBelow); ok {
					out = append(out, Question{Text: text, ConversationID: c.ID, At: r.StartedAt})
				}
			}
		}
		if old || next == "" || len(convs) == 0 {
			break
		}
		cursor = next
	}
	return out, nil
}

// lowConfidence returns the question of an answered run whose decision
// confidence was below the bound. Runs without an offline decision step
// (llm mode) have no confidence to judge and are left out.
func lowConfidence(trace []byte, below float64) (string, bool) {
	var steps []agents.Step
	if json.Unmarshal(trace, &steps) != nil {
		return "", false
	}
	query := ""
	for _, s := range steps {
		switch s.Kind {
		case "search":
			query = s.Detail
		case "decision":
			if query != "" && s.Confidence < below {
				return query, true
			}
		}
	}
	return "", false
}

// Cluster groups similar questions: each joins the group whose members it
// resembles most, on average, when that resemblance reaches the bound, or
// starts a group. Groups come most frequent first, then most recent.
func Cluster(an *analysis.Analyzer, qs []Question) []Gap {
	qs = slices.Clone(qs)
	slices.SortStableFunc(qs, func(a, b Question) int { return b.At.Compare(a.At) })
	type member struct {
		q     Question
		terms map[string]float64
	}
	var groups [][]member
	for _, q := range qs {
		m := member{q: q, terms: termsOf(an, q.Text)}
		best, bestSim := -1, 0.0
		for i, g := range groups {
			sum := 0.0
			n := min(len(g), compareMembers)
			for _, o := range g[:n] {
				sum += similarity(m.terms, o.terms, q.Text, o.q.Text)
			}
			if avg := sum / float64(n); avg >= similar && avg > bestSim {
				best, bestSim = i, avg
			}
		}
		if best < 0 {
			groups = append(groups, []member{m})
		} else {
			groups[best] = append(groups[best], m)
		}
	}
	gaps := make([]Gap, 0, len(groups))
	for _, g := range groups {
		gap := Gap{Count: len(g), LastAskedAt: g[0].q.At}
		seenText, seenConv := map[string]bool{}, map[string]bool{}
		bestCentral := -1.0
		for i, m := range g {
			if m.q.HandedOff {
				gap.HandedOff++
			} else {
				gap.LowConfidence++
			}
			if m.q.TicketID != "" {
				gap.TicketIDs = append(gap.TicketIDs, m.q.TicketID)
			}
			key := strings.ToLower(strings.Join(strings.Fields(m.q.Text), " "))
			if !seenText[key] && len(gap.Examples) < maxExamples {
				seenText[key] = true
				gap.Examples = append(gap.Examples, m.q.Text)
			}
			if m.q.ConversationID != "" && !seenConv[m.q.ConversationID] {
				seenConv[m.q.ConversationID] = true
				gap.ConversationIDs = append(gap.ConversationIDs, m.q.ConversationID)
			}
			central := 0.0
			for j, o := range g {
				if j != i {
					central += similarity(m.terms, o.terms, m.q.Text, o.q.Text)
				}
			}
			if central > bestCentral {
				bestCentral, gap.Question = central, m.q.Text
			}
		}
		gaps = append(gaps, gap)
	}
	slices.SortStableFunc(gaps, func(a, b Gap) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.LastAskedAt.Compare(a.LastAskedAt)
	})
	return gaps
}

// termsOf maps a question's content stems, and their synonyms, to weights.
func termsOf(an *analysis.Analyzer, text string) map[string]float64 {
	terms := map[string]float64{}
	for _, t := range an.Query(text) {
		terms[t.Stem] = max(terms[t.Stem], t.Weight)
		for _, alt := range t.Alts {
			if _, ok := terms[alt.Stem]; !ok {
				terms[alt.Stem] = -t.Weight * alt.Factor // a synonym: matches, never counts as a word of its own
			}
		}
	}
	return terms
}

// similarity is the weighted overlap of two questions' content words
// (synonyms count as a match); questions without content words are similar
// only when they read the same.
func similarity(a, b map[string]float64, ta, tb string) float64 {
	wa, wb, shared := 0.0, 0.0, 0.0
	for s, w := range a {
		if w > 0 {
			wa += w
			if o, ok := b[s]; ok {
				shared += min(w, abs(o))
			}
		}
	}
	for s, w := range b {
		if w > 0 {
			wb += w
			if o, ok := a[s]; ok && o < 0 {
				shared += min(w, -o)
			}
		}
	}
	if wa == 0 || wb == 0 {
		if strings.EqualFold(strings.TrimSpace(ta), strings.TrimSpace(tb)) {
			return 1
		}
		return 0
	}
	union := wa + wb - shared
	if union <= 0 {
		return 1
	}
	return min(shared/union, 1)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
