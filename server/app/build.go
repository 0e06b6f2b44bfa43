package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/internal/api"
	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
	"github.com/relevo/relevo/server/internal/knowledge/extract"
	"github.com/relevo/relevo/server/internal/pipeline"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/transcribe"
	"github.com/relevo/relevo/server/sampledata"
)

// kb is the knowledge base as the API and the learning loop use it: the
// write path (knowledge.Library) and the index, with the API's types.
type kb struct {
	*knowledge.Library
	base      *knowledge.Base
	st        store.Store
	threshold float64
}

func newKnowledge(ctx context.Context, cfg Config, st store.Store, p *agents.Profile, o options, log *slog.Logger) (*kb, error) {
	var emb knowledge.Embedder
	if cfg.EmbeddingModel != "" {
		e, err := embed.NewOpenAI(embed.OpenAIConfig{
			BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.EmbeddingModel,
			Dimensions: cfg.EmbeddingDimensions, HTTPClient: o.httpClient,
		})
		if err != nil {
			return nil, fmt.Errorf("--embedding-model: %w", err)
		}
		emb = e
	}
	var parser knowledge.Parser = knowledge.InProcess{Limits: cfg.extractLimits()}
	if len(o.extractCommand) > 0 {
		x, err := extract.New(extract.Config{
			Command: o.extractCommand, Timeout: cfg.ExtractTimeout, CPU: cfg.ExtractCPU,
			Memory: int64(cfg.ExtractMemoryMiB) << 20, Concurrency: cfg.ExtractConcurrency,
			Limits: cfg.extractLimits(), Logger: log.With("component", "extract"),
		})
		if err != nil {
			return nil, err
		}
		parser = x
	}
	base := knowledge.New(knowledge.Options{Language: p.Company.Language, Embedder: emb, Logger: log.With("component", "knowledge"), Parser: parser})
	k := &kb{
		Library:   knowledge.NewLibrary(base, st, sampledata.IsSample, log),
		base:      base,
		st:        st,
		threshold: p.Knowledge.AnswerThreshold,
	}
	if err := k.base.Load(ctx, st); err != nil {
		return nil, fmt.Errorf("load knowledge base: %w", err)
	}
	if cfg.SampleKB {
		// Stored under sampledata.Prefix, which marks them as a demo:
		// relevoctl shows them so, and the first own upload removes them.
		if err := k.LoadDemoIfEmpty(ctx, sampledata.KB(), sampledata.Prefix); err != nil {
			return nil, fmt.Errorf("sample knowledge base: %w", err)
		}
	}
	return k, nil
}

// follow keeps the index in step with changes made by other replicas.
func (k *kb) follow(ctx context.Context) {
	k.base.Follow(ctx, k.st, k.st.Subscribe(ctx, store.TopicKnowledge), 30*time.Second)
}

// Upload implements api.Knowledge.
func (k *kb) Upload(ctx context.Context, filename, mediaType string, content []byte) (store.PutDocumentResult, error) {
	res, err := k.Library.Upload(ctx, filename, mediaType, content)
	if errors.Is(err, knowledge.ErrUnreadable) {
		return res, fmt.Errorf("%w: %v", api.ErrUnreadable, err)
	}
	return res, err
}

// Search implements api.Knowledge.
func (k *kb) Search(ctx context.Context, query string, limit int) ([]api.Hit, error) {
	rs, err := k.base.Search(ctx, query, limit)
	if err != nil {
		return nil, err
	}
	hits := make([]api.Hit, len(rs))
	for i, r := range rs {
		hits[i] = api.Hit{
			Score: r.Score, Lexical: r.Lexical, Vector: r.Vector, Entry: r.Kind == knowledge.KindEntry,
			Source: r.Source, Page: r.Page, Heading: r.Heading, Text: r.Text, Question: r.Question, ID: r.ID, DocumentID: r.DocumentID,
		}
	}
	return hits, nil
}

// AnswerThreshold implements api.Knowledge.
func (k *kb) AnswerThreshold() float64 { return k.threshold }

// newChain builds the agent chain with each role in the mode its profile
// asks for. It fails when a role runs in llm mode without an API key.
func newChain(p *agents.Profile, k *kb, o options, log *slog.Logger) (*agents.Chain, error) {
	chain, err := modes.Build(p, k.base, modes.Options{Getenv: o.getenv, HTTPClient: o.httpClient, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return chain, nil
}

// newTranscriber returns the voice-note transcriber, or nil when no model
// is configured (voice notes then get the profile's polite reply).
func newTranscriber(cfg Config, p *agents.Profile, o options) pipeline.Transcriber {
	if cfg.TranscriptionModel == "" {
		return nil
	}
	key := cfg.OpenAIAPIKey
	if key == "" {
		key = o.getenv(p.LLM.APIKeyEnv)
	}
	c := llm.NewClient(cfg.OpenAIBaseURL, key, o.httpClient)
	return transcribe.New(c.OpenAI(), transcribe.Config{Model: cfg.TranscriptionModel, Language: p.Company.Language, Prompt: p.Company.Name})
}

// decider runs the Knowledge agent alone on a question, for the search
// playground: what the bot would answer, and why.
type decider struct {
	agent   agents.Agent
	timeout time.Duration
}

// Decide implements api.Decider.
func (d decider) Decide(ctx context.Context, question string) (agents.Action, error) {
	if d.agent == nil {
		return agents.Action{}, errors.New("no knowledge agent")
	}
	if d.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.timeout)
		defer cancel()
	}
	return d.agent.Act(ctx, agents.Input{Text: question})
}
