package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"sync/atomic"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/internal/api"
	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
	"github.com/relevo/relevo/server/internal/pipeline"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/transcribe"
	"github.com/relevo/relevo/server/sampledata"
)

// kb joins the in-memory knowledge base to the store: uploads are parsed
// and embedded, stored, and then the index follows the store's change log
// (so every replica sees the same knowledge).
type kb struct {
	base      *knowledge.Base
	st        store.Store
	threshold float64
	log       *slog.Logger
	// sampleGone is set once no sample document is known to remain, so
	// that uploads stop looking for them.
	sampleGone atomic.Bool
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
	k := &kb{
		base:      knowledge.New(knowledge.Options{Language: p.Company.Language, Embedder: emb, Logger: log.With("component", "knowledge")}),
		st:        st,
		threshold: p.Knowledge.AnswerThreshold,
		log:       log,
	}
	if err := k.base.Load(ctx, st); err != nil {
		return nil, fmt.Errorf("load knowledge base: %w", err)
	}
	if cfg.SampleKB {
		if err := k.loadSampleIfEmpty(ctx); err != nil {
			return nil, fmt.Errorf("sample knowledge base: %w", err)
		}
	}
	return k, nil
}

// loadSampleIfEmpty seeds a brand-new knowledge base with the sample
// company's documents, so the quick start answers real questions. They are
// stored under sampledata.Prefix, which marks them as a demo: relevoctl
// shows them so, and the company's first own upload removes them.
func (k *kb) loadSampleIfEmpty(ctx context.Context) error {
	docs, _, err := k.st.ListDocuments(ctx, 1, "")
	if err != nil {
		return err
	}
	entries, _, err := k.st.ListEntries(ctx, store.EntryFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(docs) > 0 || len(entries) > 0 {
		return nil
	}
	fsys := sampledata.KB()
	n := 0
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if _, err := k.Upload(ctx, sampledata.Prefix+path.Base(name), mime.TypeByExtension(path.Ext(name)), data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	k.log.Info("sample knowledge base loaded", "files", n)
	return nil
}

// follow keeps the index in step with changes made by other replicas.
func (k *kb) follow(ctx context.Context) {
	k.base.Follow(ctx, k.st, k.st.Subscribe(ctx, store.TopicKnowledge), 30*time.Second)
}

// Upload implements api.Knowledge. Q&A files are stored as a document
// without chunks (to track their content and replacement) plus one entry
// per question, whose source is the file name.
func (k *kb) Upload(ctx context.Context, filename, mediaType string, content []byte) (store.PutDocumentResult, error) {
	in, err := k.base.Ingest(ctx, filename, mediaType, content)
	if err != nil {
		if errors.Is(err, knowledge.ErrUnreadable) {
			return store.PutDocumentResult{}, fmt.Errorf("%w: %v", api.ErrUnreadable, err)
		}
		return store.PutDocumentResult{}, err
	}
	res, err := k.st.PutDocument(ctx, in.Document, in.Chunks)
	if err != nil {
		return res, err
	}
	if !res.Unchanged && len(in.Entries) > 0 {
		if err := k.deleteEntriesFrom(ctx, filename); err != nil {
			return res, err
		}
		for _, e := range in.Entries {
			if _, err := k.st.CreateEntry(ctx, e); err != nil {
				return res, fmt.Errorf("store entry of %s: %w", filename, err)
			}
		}
		res.Document.ChunkCount = len(in.Entries)
	}
	if !sampledata.IsSample(filename) {
		if err := k.removeSample(ctx); err != nil {
			// The upload is stored; failing it still tells the operator
			// that demo answers may be mixed with theirs, and the next
			// upload tries again.
			return res, fmt.Errorf("%s is stored, but removing the sample knowledge base failed: %w", filename, err)
		}
	}
	return res, k.Refresh(ctx)
}

// removeSample deletes the sample documents and their Q&A entries: once
// the company has documents of its own, answers from the fictional
// company's would be wrong answers. Learned entries stay, they are the
// company's specialists' answers.
func (k *kb) removeSample(ctx context.Context) error {
	if k.sampleGone.Load() {
		return nil
	}
	var docs []store.Document
	cursor := ""
	for {
		list, next, err := k.st.ListDocuments(ctx, 500, cursor)
		if err != nil {
			return fmt.Errorf("list documents: %w", err)
		}
		for _, d := range list {
			if sampledata.IsSample(d.Filename) {
				docs = append(docs, d)
			}
		}
		if next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	var entries []string
	cursor = ""
	for {
		list, next, err := k.st.ListEntries(ctx, store.EntryFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		for _, e := range list {
			if sampledata.IsSample(e.Source) && !e.Learned {
				entries = append(entries, e.ID)
			}
		}
		if next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	// Another replica removing them at the same time is no error.
	for _, d := range docs {
		if err := k.st.DeleteDocument(ctx, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete %s: %w", d.Filename, err)
		}
	}
	for _, id := range entries {
		if err := k.st.DeleteEntry(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete entry %s: %w", id, err)
		}
	}
	if len(docs)+len(entries) > 0 {
		k.log.Info("sample knowledge base removed", "documents", len(docs), "entries", len(entries))
	}
	k.sampleGone.Store(true)
	return nil
}

func (k *kb) deleteEntriesFrom(ctx context.Context, source string) error {
	var doomed []string
	cursor := ""
	for {
		list, next, err := k.st.ListEntries(ctx, store.EntryFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, e := range list {
			if e.Source == source && !e.Learned {
				doomed = append(doomed, e.ID)
			}
		}
		if next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	for _, id := range doomed {
		if err := k.st.DeleteEntry(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Delete implements api.Knowledge.
func (k *kb) Delete(ctx context.Context, documentID string) error {
	d, err := k.st.GetDocument(ctx, documentID)
	if err != nil {
		return err
	}
	if err := k.st.DeleteDocument(ctx, documentID); err != nil {
		return err
	}
	if d.ChunkCount == 0 {
		if err := k.deleteEntriesFrom(ctx, d.Filename); err != nil {
			return err
		}
	}
	return k.Refresh(ctx)
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

// PrepareEntry implements api.Knowledge and tickets.Learner.
func (k *kb) PrepareEntry(ctx context.Context, question, answer, source string) (store.Entry, error) {
	vecs, err := k.base.Embedder().Embed(ctx, []string{question})
	if err != nil {
		return store.Entry{}, fmt.Errorf("embed question: %w", err)
	}
	return store.Entry{Question: question, Answer: answer, Source: source, Embedding: vecs[0], EmbeddingModel: k.base.Embedder().Model()}, nil
}

// Refresh implements api.Knowledge and tickets.Learner.
func (k *kb) Refresh(ctx context.Context) error { return k.base.Sync(ctx, k.st) }

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
