// Package modes builds the agent chain a company profile describes: each
// role in its mode (rules or llm), the llm roles sharing one
// OpenAI-compatible client. The server and the evaluation runner both build
// their chain here, so an evaluation measures the chain the server runs.
package modes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/internal/agents/rules"
	"github.com/relevo/relevo/server/internal/knowledge"
)

// Options configure Build.
type Options struct {
	// Getenv reads the API key from the variable the profile names
	// (llm.api_key_env); nil means os.Getenv.
	Getenv func(string) string
	// HTTPClient for the model provider; nil for a default one.
	HTTPClient *http.Client
	// ClientOptions tune the provider client (retries).
	ClientOptions []llm.ClientOption
	// Logger for the llm agents; nil discards.
	Logger *slog.Logger
}

// ErrNoAPIKey reports llm roles without a key to call the model with.
var ErrNoAPIKey = errors.New("no API key for the roles in llm mode")

// APIKey returns the key the llm roles authenticate with: the value of the
// environment variable the profile names. A profile with llm roles and no
// key is an error naming the variable and the settings, unless the profile
// allows a keyless endpoint (llm.allow_no_api_key with an explicit
// llm.base_url). Starting anyway would only turn every question into a
// ticket after a 401, which is much harder to notice than a refusal.
func APIKey(p *agents.Profile, getenv func(string) string) (string, error) {
	if !p.UsesLLM() {
		return "", nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	key := strings.TrimSpace(getenv(p.LLM.APIKeyEnv))
	if key != "" || p.LLM.AllowNoAPIKey {
		return key, nil
	}
	var roles []string
	if p.Triage.Mode == "llm" {
		roles = append(roles, "triage.mode")
	}
	if p.Knowledge.Mode == "llm" {
		roles = append(roles, "knowledge.mode")
	}
	return "", fmt.Errorf("%w: %s is llm but the environment variable %s (llm.api_key_env) is empty; "+
		"set it, or for a keyless local server set llm.base_url and llm.allow_no_api_key: true",
		ErrNoAPIKey, strings.Join(roles, " and "), p.LLM.APIKeyEnv)
}

// Build returns the chain with each role in the mode the profile names,
// searching base.
func Build(p *agents.Profile, base *knowledge.Base, o Options) (*agents.Chain, error) {
	var client *llm.Client
	if p.UsesLLM() {
		key, err := APIKey(p, o.Getenv)
		if err != nil {
			return nil, err
		}
		client = llm.NewClient(p.LLM.BaseURL, key, o.HTTPClient, o.ClientOptions...)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var triage, know agents.Agent
	if p.Triage.Mode == "llm" {
		triage = llm.NewTriage(p, client, llm.WithLogger(log))
	} else {
		triage = rules.NewTriage(p)
	}
	if p.Knowledge.Mode == "llm" {
		know = llm.NewKnowledge(p, client, Searcher{Base: base, Language: p.Company.Language}, llm.WithLogger(log))
	} else {
		know = rules.NewKnowledge(p, base)
	}
	return agents.NewChain(p, triage, know), nil
}

// Searcher adapts a knowledge base to the llm Knowledge agent's search
// tool. Language ("es" or "en", the profile's) names the labels of a Q&A
// entry's question and answer.
type Searcher struct {
	Base     *knowledge.Base
	Language string
}

// Search implements llm.Searcher. A Q&A entry is shown with its question,
// which is what tells the model whether it answers the user's.
func (s Searcher) Search(ctx context.Context, query string, limit int) ([]llm.Passage, error) {
	rs, err := s.Base.Search(ctx, query, limit)
	if err != nil {
		return nil, fmt.Errorf("search knowledge base: %w", err)
	}
	out := make([]llm.Passage, len(rs))
	for i, r := range rs {
		text := r.Text
		if r.Kind == knowledge.KindEntry {
			q, a := "Pregunta", "Respuesta"
			if s.Language == "en" {
				q, a = "Question", "Answer"
			}
			text = q + ": " + r.Question + "\n" + a + ": " + r.Text
		}
		out[i] = llm.Passage{Source: r.Source, Page: r.Page, Heading: r.Heading, Text: text, Score: r.Score}
	}
	return out, nil
}

// Judge returns the model that judges whether a specialist's answer is
// about one customer only, when the Knowledge agent runs in llm mode; nil
// otherwise (the offline rule alone decides).
func Judge(p *agents.Profile, o Options) (*llm.Judge, error) {
	if p.Knowledge.Mode != "llm" {
		return nil, nil
	}
	key, err := APIKey(p, o.Getenv)
	if err != nil {
		return nil, err
	}
	return llm.NewJudge(p, llm.NewClient(p.LLM.BaseURL, key, o.HTTPClient, o.ClientOptions...)), nil
}
