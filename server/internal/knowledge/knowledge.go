// Package knowledge is Relevo's knowledge base: it ingests uploaded files
// into chunks and question/answer entries, keeps an in-memory hybrid index
// (BM25-style lexical matching fused with vector similarity) in step with
// the store, and answers searches with a calibrated 0..1 confidence.
//
// The store is the source of truth; Base rebuilds the index from it at start
// (Load) and follows its change log (Apply, Sync), so every server replica
// converges on the same index.
package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
	"github.com/relevo/relevo/server/internal/knowledge/ingest"
	"github.com/relevo/relevo/server/internal/store"
)

// ErrUnreadable is returned, wrapped with the reason, for an upload with no
// usable text: a PDF without a text layer, a corrupt or empty file, a Q&A
// list without entries, an unsupported type. The API maps it to
// InvalidArgument.
var ErrUnreadable = ingest.ErrUnreadable

// Embedder turns texts into vectors.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Model names the model; stored vectors of another model are
	// recomputed.
	Model() string
	Dimensions() int
}

// cosineRanger is implemented by embedders that know the cosine of
// unrelated texts and of paraphrases under their model.
type cosineRanger interface {
	CosineRange() (lo, hi float64)
}

// Source is the part of the store the knowledge base reads.
type Source interface {
	GetDocument(ctx context.Context, id string) (store.Document, error)
	ListDocuments(ctx context.Context, limit int, cursor string) ([]store.Document, string, error)
	DocumentChunks(ctx context.Context, documentID string) ([]store.Chunk, error)
	DocumentIndex(ctx context.Context, documentID string) (store.IndexData, error)
	PutDocumentIndex(ctx context.Context, documentID string, d store.IndexData) error
	GetEntry(ctx context.Context, id string) (store.Entry, error)
	ListEntries(ctx context.Context, f store.EntryFilter) ([]store.Entry, string, error)
	KnowledgeChanges(ctx context.Context, afterSequence int64, limit int) ([]store.KnowledgeChange, error)
	LastKnowledgeSequence(ctx context.Context) (int64, error)
}

// Options configures a Base.
type Options struct {
	// Language of the analysis, "es" or "en" (default "es").
	Language string
	// Embedder; nil for the local hashing embedder.
	Embedder Embedder
	// Chunking; zero for ingest.DefaultChunkOptions.
	Chunking ingest.ChunkOptions
	// LexicalWeight in the fused confidence; 0 for the default.
	LexicalWeight float64
	Logger        *slog.Logger
	// Now returns the current time; nil for time.Now.
	Now func() time.Time
	// Parser reads uploaded files; nil reads them in this process within
	// ingest.DefaultLimits. The server reads them in a child process
	// (package extract).
	Parser Parser
}

// Parser reads an uploaded file into blocks or entries. A file it cannot
// use is an error wrapping ingest.ErrUnreadable.
type Parser interface {
	Parse(ctx context.Context, filename, mediaType string, data []byte) (*ingest.Parsed, error)
}

// InProcess reads files in the calling process within limits: for tests
// and tools, which trust their files.
type InProcess struct{ Limits ingest.Limits }

// Parse implements Parser.
func (p InProcess) Parse(_ context.Context, filename, mediaType string, data []byte) (*ingest.Parsed, error) {
	return ingest.ParseLimited(filename, mediaType, data, p.Limits)
}

// Base owns the index and the embedder: it ingests uploads, loads and
// follows the store, and searches.
type Base struct {
	an     *analysis.Analyzer
	emb    Embedder
	index  *Index
	chunk  ingest.ChunkOptions
	log    *slog.Logger
	now    func() time.Time
	parser Parser

	syncMu  sync.Mutex // serialises Load, Apply and Sync
	lastSeq int64
	// version names the analysis persisted with each document
	// (persist.go).
	version string
}

// New returns an empty knowledge base.
func New(opt Options) *Base {
	an := analysis.New(opt.Language)
	emb := opt.Embedder
	if emb == nil {
		emb = embed.NewHash(an, embed.DefaultHashDims)
	}
	io := IndexOptions{LexicalWeight: opt.LexicalWeight}
	if r, ok := emb.(cosineRanger); ok {
		io.CosineLow, io.CosineHigh = r.CosineRange()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Parser == nil {
		opt.Parser = InProcess{}
	}
	ix := NewIndex(an, emb.Dimensions(), io)
	return &Base{
		an: an, emb: emb, index: ix,
		chunk: opt.Chunking, log: opt.Logger, now: opt.Now, parser: opt.Parser,
		version: ix.analysisVersion(),
	}
}

// Index returns the base's index.
func (b *Base) Index() *Index { return b.index }

// Embedder returns the base's embedder.
func (b *Base) Embedder() Embedder { return b.emb }

// Ingested is a parsed, chunked and embedded upload, ready to be stored:
// a document with its chunks, or (for Q&A files) entries.
type Ingested struct {
	Document store.Document
	Chunks   []store.Chunk
	Entries  []store.Entry
}

// Ingest parses an upload, cuts it into chunks and embeds them. It does not
// touch the index: the caller stores the result, and the index follows the
// store (or call Put for a store-less base). Q&A files come back as
// entries whose Source is the file name. Files without usable text fail
// with ErrUnreadable.
func (b *Base) Ingest(ctx context.Context, filename, mediaType string, data []byte) (Ingested, error) {
	parsed, err := b.parser.Parse(ctx, filename, mediaType, data)
	if err != nil {
		return Ingested{}, err
	}
	now := b.now().UTC()
	sum := sha256.Sum256(data)
	doc := store.Document{
		ID: uuid.NewString(), Filename: filename, MediaType: parsed.Format.MediaType(),
		SHA256: hex.EncodeToString(sum[:]), SizeBytes: int64(len(data)), Pages: parsed.Pages,
		CreatedAt: now, UpdatedAt: now,
	}
	if parsed.Format.IsQA() {
		entries := make([]store.Entry, len(parsed.Entries))
		questions := make([]string, len(parsed.Entries))
		for i, qa := range parsed.Entries {
			entries[i] = store.Entry{ID: uuid.NewString(), Question: qa.Question, Answer: qa.Answer, Source: filename, CreatedAt: now, UpdatedAt: now}
			questions[i] = qa.Question
		}
		vecs, err := b.emb.Embed(ctx, questions)
		if err != nil {
			return Ingested{}, fmt.Errorf("embed %s: %w", filename, err)
		}
		for i := range entries {
			entries[i].Embedding, entries[i].EmbeddingModel = vecs[i], b.emb.Model()
		}
		return Ingested{Document: doc, Entries: entries}, nil
	}
	pieces := ingest.ChunkBlocks(parsed.Blocks, b.chunk)
	if len(pieces) == 0 {
		return Ingested{}, fmt.Errorf("%w: %s has no text", ErrUnreadable, filename)
	}
	chunks := make([]store.Chunk, len(pieces))
	texts := make([]string, len(pieces))
	for i, p := range pieces {
		chunks[i] = store.Chunk{ID: uuid.NewString(), DocumentID: doc.ID, Ordinal: p.Ordinal, Page: p.Page, Heading: p.Heading, Text: p.Text}
		texts[i] = chunkEmbedText(chunks[i])
	}
	vecs, err := b.emb.Embed(ctx, texts)
	if err != nil {
		return Ingested{}, fmt.Errorf("embed %s: %w", filename, err)
	}
	for i := range chunks {
		chunks[i].Embedding, chunks[i].EmbeddingModel = vecs[i], b.emb.Model()
	}
	doc.ChunkCount = len(chunks)
	return Ingested{Document: doc, Chunks: chunks}, nil
}

func chunkEmbedText(c store.Chunk) string {
	if c.Heading == "" {
		return c.Text
	}
	return c.Heading + "\n\n" + c.Text
}

// Put indexes an ingested upload directly, for a base without a store (the
// eval runner, tests).
func (b *Base) Put(ctx context.Context, in Ingested) error {
	if len(in.Chunks) > 0 {
		if err := b.PutDocument(ctx, in.Document, in.Chunks); err != nil {
			return err
		}
	}
	for _, e := range in.Entries {
		if err := b.PutEntry(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// PutDocument indexes a document's chunks, embedding those whose stored
// vector is missing or from another model.
func (b *Base) PutDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	chunks, err := b.embedStale(ctx, doc, chunks)
	if err != nil {
		return err
	}
	b.index.PutDocument(doc, chunks)
	return nil
}

// embedStale returns the chunks with every missing vector, or vector of
// another model, computed.
func (b *Base) embedStale(ctx context.Context, doc store.Document, chunks []store.Chunk) ([]store.Chunk, error) {
	var stale []int
	for i, c := range chunks {
		if !b.current(c.Embedding, c.EmbeddingModel) {
			stale = append(stale, i)
		}
	}
	if len(stale) > 0 {
		chunks = slicesClone(chunks)
		texts := make([]string, len(stale))
		for j, i := range stale {
			texts[j] = chunkEmbedText(chunks[i])
		}
		vecs, err := b.emb.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("embed chunks of %s: %w", doc.Filename, err)
		}
		for j, i := range stale {
			chunks[i].Embedding, chunks[i].EmbeddingModel = vecs[j], b.emb.Model()
		}
	}
	return chunks, nil
}

// PutEntry indexes an entry, embedding its question when needed. An entry
// that is not live (waiting for review, or rejected) must answer nobody: it
// is taken out of the index instead, so that a change of status is applied
// like any other change.
func (b *Base) PutEntry(ctx context.Context, e store.Entry) error {
	if !e.Live() {
		b.index.RemoveEntry(e.ID)
		return nil
	}
	if !b.current(e.Embedding, e.EmbeddingModel) {
		vecs, err := b.emb.Embed(ctx, []string{e.Question})
		if err != nil {
			return fmt.Errorf("embed entry %s: %w", e.ID, err)
		}
		e.Embedding, e.EmbeddingModel = vecs[0], b.emb.Model()
	}
	b.index.PutEntry(e)
	return nil
}

// RemoveDocument drops a document from the index.
func (b *Base) RemoveDocument(id string) { b.index.RemoveDocument(id) }

// RemoveEntry drops an entry from the index.
func (b *Base) RemoveEntry(id string) { b.index.RemoveEntry(id) }

func (b *Base) current(vec []float32, model string) bool {
	return model == b.emb.Model() && len(vec) == b.emb.Dimensions()
}

func slicesClone(c []store.Chunk) []store.Chunk { return append([]store.Chunk(nil), c...) }

// Search embeds the query and searches the index. When the embedder fails
// (a remote model down), it falls back to lexical search rather than fail
// the user's question.
func (b *Base) Search(ctx context.Context, query string, limit int) ([]Result, error) {
	var qvec []float32
	vecs, err := b.emb.Embed(ctx, []string{query})
	switch {
	case err == nil && len(vecs) == 1:
		qvec = vecs[0]
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		b.log.WarnContext(ctx, "query embedding failed; lexical search only", "err", err)
	}
	return b.index.Search(query, qvec, limit), nil
}

// pageSize is how many rows Load reads per store call.
const pageSize = 200

// Load rebuilds the index from the store: every document's chunks and every
// live entry. Changes that happen while it runs are caught by the next Sync,
// because Load notes the change sequence before reading.
func (b *Base) Load(ctx context.Context, src Source) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	seq, err := src.LastKnowledgeSequence(ctx)
	if err != nil {
		return fmt.Errorf("knowledge sequence: %w", err)
	}
	start := time.Now()
	defer b.index.bulkLoad()()
	docs, entries := 0, 0
	cursor := ""
	for {
		list, next, err := src.ListDocuments(ctx, pageSize, cursor)
		if err != nil {
			return fmt.Errorf("list documents: %w", err)
		}
		// Reading a document from the store and decoding (or analysing)
		// it is most of the work, and runs in parallel; adding it to the
		// index is the least, and keeps the store's order, so that a
		// restart numbers the passages as before.
		prepared := make([]preparedDoc, len(list))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i, d := range list {
			g.Go(func() (err error) {
				prepared[i], err = b.prepareDocument(gctx, src, d)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for _, p := range prepared {
			b.index.putAnalysed(p.doc, p.chunks, p.analysed)
			docs++
		}
		if next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	cursor = ""
	for {
		list, next, err := src.ListEntries(ctx, store.EntryFilter{Status: store.EntryLive, Limit: pageSize, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		for _, e := range list {
			if err := b.PutEntry(ctx, e); err != nil {
				return err
			}
			entries++
		}
		if next == "" || len(list) == 0 {
			break
		}
		cursor = next
	}
	b.lastSeq = seq
	b.log.InfoContext(ctx, "knowledge base loaded", "documents", docs, "entries", entries, "items", b.index.Len(), "took", time.Since(start))
	return nil
}

func (b *Base) loadDocument(ctx context.Context, src Source, d store.Document) error {
	p, err := b.prepareDocument(ctx, src, d)
	if err != nil {
		return err
	}
	b.index.putAnalysed(p.doc, p.chunks, p.analysed)
	return nil
}

// preparedDoc is a document read from the store, ready to be indexed.
type preparedDoc struct {
	doc      store.Document
	chunks   []store.Chunk
	analysed *analysedDoc
}

// prepareDocument reads a document's chunks and their persisted analysis
// when it is of this version and these chunks; otherwise it analyses the
// chunks and persists the result for the next load.
func (b *Base) prepareDocument(ctx context.Context, src Source, d store.Document) (preparedDoc, error) {
	chunks, err := src.DocumentChunks(ctx, d.ID)
	if err != nil {
		return preparedDoc{}, fmt.Errorf("chunks of %s: %w", d.ID, err)
	}
	if chunks, err = b.embedStale(ctx, d, chunks); err != nil {
		return preparedDoc{}, err
	}
	data, err := src.DocumentIndex(ctx, d.ID)
	switch {
	case err == nil && data.Version == b.version:
		a, err := decodeAnalysed(d, chunks, data.Data)
		if err == nil {
			a.quantise(b.index.dims, chunks)
			return preparedDoc{d, chunks, a}, nil
		}
		if !errors.Is(err, errStale) {
			b.log.WarnContext(ctx, "persisted analysis unreadable; analysing again", "document", d.ID, "err", err)
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return preparedDoc{}, fmt.Errorf("analysis of %s: %w", d.ID, err)
	}
	a := b.index.analyse(d, chunks)
	a.quantise(b.index.dims, chunks)
	err = src.PutDocumentIndex(ctx, d.ID, store.IndexData{Version: b.version, Data: encodeAnalysed(chunks, a)})
	if err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
		// The index is right without it; the next load analyses again.
		b.log.WarnContext(ctx, "could not persist a document's analysis", "document", d.ID, "err", err)
	}
	return preparedDoc{d, chunks, a}, nil
}

// Apply brings the index up to date with the given changes, reading the
// current state of each changed document or entry from the store. Applying
// a change twice is harmless.
func (b *Base) Apply(ctx context.Context, src Source, changes []store.KnowledgeChange) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	return b.applyLocked(ctx, src, changes)
}

func (b *Base) applyLocked(ctx context.Context, src Source, changes []store.KnowledgeChange) error {
	for _, c := range changes {
		if err := b.applyOne(ctx, src, c); err != nil {
			return err
		}
		if c.Sequence > b.lastSeq {
			b.lastSeq = c.Sequence
		}
	}
	return nil
}

func (b *Base) applyOne(ctx context.Context, src Source, c store.KnowledgeChange) error {
	switch c.Kind {
	case "document":
		if c.Deleted {
			b.index.RemoveDocument(c.ID)
			return nil
		}
		d, err := src.GetDocument(ctx, c.ID)
		if errors.Is(err, store.ErrNotFound) {
			b.index.RemoveDocument(c.ID) // deleted after this change was logged
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %s: %w", c.ID, err)
		}
		return b.loadDocument(ctx, src, d)
	case "entry":
		if c.Deleted {
			b.index.RemoveEntry(c.ID)
			return nil
		}
		e, err := src.GetEntry(ctx, c.ID)
		if errors.Is(err, store.ErrNotFound) {
			b.index.RemoveEntry(c.ID)
			return nil
		}
		if err != nil {
			return fmt.Errorf("entry %s: %w", c.ID, err)
		}
		return b.PutEntry(ctx, e)
	default:
		b.log.WarnContext(ctx, "unknown knowledge change kind", "kind", c.Kind, "id", c.ID)
		return nil
	}
}

// Sync applies every change logged since the last one applied. Call it when
// the store signals TopicKnowledge (and now and then as a safety net).
func (b *Base) Sync(ctx context.Context, src Source) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	for {
		changes, err := src.KnowledgeChanges(ctx, b.lastSeq, pageSize)
		if err != nil {
			return fmt.Errorf("knowledge changes: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		if err := b.applyLocked(ctx, src, changes); err != nil {
			return err
		}
		if len(changes) < pageSize {
			return nil
		}
	}
}

// Follow keeps the index current until ctx ends: it syncs whenever the
// store signals a knowledge change, and every interval in case a signal
// was lost. Errors are logged and retried on the next signal.
func (b *Base) Follow(ctx context.Context, src Source, signals <-chan string, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-signals:
			if !ok {
				return
			}
		case <-t.C:
		}
		if err := b.Sync(ctx, src); err != nil && ctx.Err() == nil {
			b.log.ErrorContext(ctx, "knowledge sync failed", "err", err)
		}
	}
}

// LastSequence returns the sequence of the last change applied.
func (b *Base) LastSequence() int64 {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	return b.lastSeq
}
