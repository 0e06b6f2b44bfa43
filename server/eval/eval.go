// Package eval measures how the agent chain answers a labelled set of
// questions against a set of documents: whether it chats, answers or
// escalates as expected, whether answers hold the expected facts, and how
// many answers it gives where it should have handed off. The chain is the
// one the profile describes, each role in its mode: the offline rules, or
// the llm mode against the model the profile names. It is what `relevoctl
// eval` runs and what the answer threshold is calibrated with
// (docs/calibration.md).
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Expectations of a query.
const (
	ExpectSmalltalk = "smalltalk"
	ExpectAnswer    = "answer"
	ExpectEscalate  = "escalate"
	// ExpectNotAnswer: chit-chat, vague or off-topic; anything but a
	// knowledge-base answer is right.
	ExpectNotAnswer = "not_answer"
)

// Query is one labelled question (one line of a queries JSONL file).
type Query struct {
	Query  string `json:"query"`
	Expect string `json:"expect"`
	// Doc is the file that holds the answer, when expect is answer.
	Doc string `json:"doc,omitempty"`
	// MustContainAny: a right answer contains at least one of these.
	MustContainAny []string `json:"must_contain_any,omitempty"`
}

// Options of a run.
type Options struct {
	// DocsDir holds the documents (searched recursively; files of
	// unsupported types are skipped).
	DocsDir string
	// QueriesFile is a JSONL file of Query.
	QueriesFile string
	// Profile of the chain; nil for the embedded default.
	Profile *agents.Profile
	// Embedder; nil for the local hashing embedder.
	Embedder knowledge.Embedder
	// LexicalWeight overrides the index's fusion weight (0: default), for
	// calibration experiments.
	LexicalWeight float64
	// Getenv reads the model API key from the variable the profile names
	// (llm.api_key_env) when a role runs in llm mode; nil means os.Getenv.
	Getenv func(string) string
	// HTTPClient for the model provider; nil for a default one.
	HTTPClient *http.Client
}

// Result is the outcome of one query.
type Result struct {
	Query   string         `json:"query"`
	Expect  string         `json:"expect"`
	Doc     string         `json:"doc,omitempty"`
	Outcome agents.Outcome `json:"outcome"`
	Answer  string         `json:"answer,omitempty"`
	Sources []string       `json:"sources,omitempty"`
	Correct bool           `json:"correct"`
	// ContainsExpected is set for answers to queries with must_contain_any.
	ContainsExpected *bool `json:"contains_expected,omitempty"`
	// RightDoc is set for answers to queries naming their doc.
	RightDoc *bool `json:"right_doc,omitempty"`
	// TopScore and TopSource describe the best passage the knowledge agent
	// saw (zero when the query never reached it).
	TopScore  float64 `json:"top_score,omitempty"`
	TopSource string  `json:"top_source,omitempty"`
	// Searched is true when the query reached the knowledge agent.
	Searched bool `json:"searched"`
	// Reason is the hand-off reason, when escalated.
	Reason string `json:"reason,omitempty"`
	// Check is the offline Knowledge agent's judgement of the passage it
	// chose: the kind asked, the words covered and missed, the confidence.
	Check *agents.AnswerCheck `json:"check,omitempty"`
}

// Report is a whole run.
type Report struct {
	Documents int      `json:"documents"`
	Skipped   []string `json:"skipped,omitempty"`
	// Modes names the mode of each role, e.g. "triage=rules knowledge=llm".
	Modes     string   `json:"modes"`
	Threshold float64  `json:"threshold"`
	Results   []Result `json:"results"`
	Totals    Totals   `json:"totals"`
}

// Totals summarise a run.
type Totals struct {
	Queries int `json:"queries"`
	Correct int `json:"correct"`
	// Accuracy is Correct / Queries: the expected outcome was reached.
	Accuracy float64 `json:"accuracy"`
	// WithExpectedFacts counts answers to queries with must_contain_any;
	// ContainingExpected those answers that hold one of the facts.
	WithExpectedFacts  int `json:"with_expected_facts"`
	ContainingExpected int `json:"containing_expected"`
	// Answerable queries expect an answer; Answered of them got one,
	// RightAnswers from the right document (when it is named).
	Answerable   int `json:"answerable"`
	Answered     int `json:"answered"`
	RightAnswers int `json:"right_answers"`
	// MustNotAnswer queries expect escalate or not_answer; WrongAnswers is
	// how many of them got an answer anyway.
	MustNotAnswer int `json:"must_not_answer"`
	WrongAnswers  int `json:"wrong_answers"`
	// Precision: right answers / all answers. Coverage: right answers /
	// answerable. FalseAnswerRate: wrong answers / must-not-answer.
	Precision       float64 `json:"precision"`
	Coverage        float64 `json:"coverage"`
	FalseAnswerRate float64 `json:"false_answer_rate"`
}

// LoadQueries reads a JSONL queries file.
func LoadQueries(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer f.Close()
	var out []Query
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" {
			continue
		}
		var q Query
		if err := json.Unmarshal([]byte(b), &q); err != nil {
			return nil, fmt.Errorf("queries %s:%d: %w", path, line, err)
		}
		switch q.Expect {
		case ExpectSmalltalk, ExpectAnswer, ExpectEscalate, ExpectNotAnswer:
		default:
			return nil, fmt.Errorf("queries %s:%d: unknown expect %q", path, line, q.Expect)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return out, nil
}

// LoadDocs ingests every supported file under dir into base. It returns
// the number of files loaded and the files skipped (unsupported types).
func LoadDocs(ctx context.Context, base *knowledge.Base, dir string) (int, []string, error) {
	n := 0
	var skipped []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		name := filepath.Base(path)
		in, err := base.Ingest(ctx, name, "", data)
		if errors.Is(err, knowledge.ErrUnreadable) {
			skipped = append(skipped, rel+": "+err.Error())
			return nil
		}
		if err != nil {
			return err
		}
		n++
		return base.Put(ctx, in)
	})
	if err != nil {
		return n, skipped, fmt.Errorf("load %s: %w", dir, err)
	}
	return n, skipped, nil
}

// Run loads the documents into a fresh in-memory knowledge base, runs every
// query through the chain the profile describes and scores the outcomes. A
// role in llm mode calls the model at the profile's llm.base_url with the
// key from llm.api_key_env; without a key Run fails as the server would.
func Run(ctx context.Context, opt Options) (*Report, error) {
	p := opt.Profile
	if p == nil {
		p = agents.DefaultProfile()
	}
	if _, err := modes.APIKey(p, opt.Getenv); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	queries, err := LoadQueries(opt.QueriesFile)
	if err != nil {
		return nil, err
	}
	base := knowledge.New(knowledge.Options{Language: p.Company.Language, Embedder: opt.Embedder, LexicalWeight: opt.LexicalWeight})
	n, skipped, err := LoadDocs(ctx, base, opt.DocsDir)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("no documents in %s", opt.DocsDir)
	}
	chain, err := modes.Build(p, base, modes.Options{Getenv: opt.Getenv, HTTPClient: opt.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	rep := &Report{Documents: n, Skipped: skipped, Threshold: p.Knowledge.AnswerThreshold,
		Modes: "triage=" + p.Triage.Mode + " knowledge=" + p.Knowledge.Mode}
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := chain.Run(ctx, agents.Input{ConversationID: "eval", Channel: "eval", Text: q.Query})
		r := Result{Query: q.Query, Expect: q.Expect, Doc: q.Doc, Outcome: res.Outcome, Sources: res.Sources, Reason: res.HandoffReason}
		// What the user read: the answer or the small-talk reply. A
		// hand-off's notice is not an answer and stays out.
		if res.Outcome != agents.OutcomeEscalate {
			r.Answer = res.Reply
		}
		for _, s := range res.Steps {
			switch s.Kind {
			case "search":
				r.Searched = true
				if len(s.Passages) > 0 {
					r.TopScore, r.TopSource = s.Passages[0].Score, s.Passages[0].Source
				}
			case "decision":
				if s.Agent != p.Knowledge.Name {
					continue
				}
				// The decision's confidence, for the passage it chose, is
				// what the threshold is compared with; a sweep replays it.
				r.TopScore = s.Confidence
				r.Check = s.Check
				if len(s.Passages) > 0 {
					r.TopSource = s.Passages[0].Source
				}
			}
		}
		score(&r, q)
		rep.Results = append(rep.Results, r)
	}
	rep.Totals = Summarise(rep.Results)
	return rep, nil
}

func score(r *Result, q Query) {
	answered := r.Outcome == agents.OutcomeAnswer
	switch q.Expect {
	case ExpectSmalltalk:
		r.Correct = r.Outcome == agents.OutcomeSmalltalk
	case ExpectEscalate:
		r.Correct = r.Outcome == agents.OutcomeEscalate
	case ExpectNotAnswer:
		r.Correct = !answered
	case ExpectAnswer:
		r.Correct = answered
		if answered && q.Doc != "" {
			right := slices.ContainsFunc(r.Sources, func(s string) bool { return sourceIs(s, q.Doc) })
			if len(r.Sources) == 0 {
				right = sourceIs(r.TopSource, q.Doc)
			}
			r.RightDoc = &right
			r.Correct = right
		}
	}
	if answered && len(q.MustContainAny) > 0 {
		ok := containsAny(r.Answer, q.MustContainAny)
		r.ContainsExpected = &ok
	}
}

func sourceIs(source, doc string) bool {
	return source == doc || strings.HasPrefix(source, doc+",")
}

// containsAny compares case- and accent-insensitively, and ignores
// punctuation inside numbers ("+1-800-123-4567" matches "1 800 1234567").
func containsAny(answer string, facts []string) bool {
	fa := analysis.Fold(answer)
	ja := strings.Join(analysis.Words(answer), "")
	for _, f := range facts {
		if strings.Contains(fa, analysis.Fold(f)) {
			return true
		}
		if jf := strings.Join(analysis.Words(f), ""); jf != "" && strings.Contains(ja, jf) {
			return true
		}
	}
	return false
}

// Summarise computes the totals of results.
func Summarise(results []Result) Totals {
	var t Totals
	for _, r := range results {
		t.Queries++
		if r.Correct {
			t.Correct++
		}
		answered := r.Outcome == agents.OutcomeAnswer
		if r.ContainsExpected != nil {
			t.WithExpectedFacts++
			if *r.ContainsExpected {
				t.ContainingExpected++
			}
		}
		switch r.Expect {
		case ExpectAnswer:
			t.Answerable++
			if answered {
				t.Answered++
				if r.Correct {
					t.RightAnswers++
				}
			}
		case ExpectEscalate, ExpectNotAnswer:
			t.MustNotAnswer++
			if answered {
				t.WrongAnswers++
			}
		}
	}
	t.Accuracy = ratio(t.Correct, t.Queries)
	t.Precision = ratio(t.RightAnswers, t.Answered+t.WrongAnswers)
	t.Coverage = ratio(t.RightAnswers, t.Answerable)
	t.FalseAnswerRate = ratio(t.WrongAnswers, t.MustNotAnswer)
	return t
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
