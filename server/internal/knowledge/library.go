package knowledge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"sync/atomic"

	"github.com/relevo/relevo/server/internal/store"
)

// LibraryStore is what the write path needs of the store: the change log
// the index follows (Source) and the document and entry writes.
type LibraryStore interface {
	Source
	PutDocument(ctx context.Context, doc store.Document, chunks []store.Chunk, entries []store.Entry) (store.PutDocumentResult, error)
	DeleteDocument(ctx context.Context, id string) error
	DeleteEntry(ctx context.Context, id string) error
}

// Library is the knowledge base's write path: uploads are read, embedded
// and stored, deletions stored, and the index then follows the store's
// change log, so that every replica sees the same knowledge. It also
// keeps a demo knowledge base (the quick start's sample company) apart
// from the company's own documents.
type Library struct {
	base *Base
	st   LibraryStore
	log  *slog.Logger
	// isDemo reports the file names (and entry sources) of the demo
	// knowledge base; nil: there is none.
	isDemo func(name string) bool
	// demoGone is set once no demo document is known to remain, so that
	// uploads stop looking for them.
	demoGone atomic.Bool
}

// NewLibrary returns the write path of base over st. isDemo marks the demo
// documents that the company's first own upload removes (nil: none).
func NewLibrary(base *Base, st LibraryStore, isDemo func(name string) bool, log *slog.Logger) *Library {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Library{base: base, st: st, isDemo: isDemo, log: log}
}

// Base returns the index the library writes to.
func (l *Library) Base() *Base { return l.base }

// Upload reads, embeds and stores one file. A Q&A file is stored as a
// document without chunks (to track its content and replacement) plus one
// entry per question, whose source is the file name, in the same
// transaction: a failure leaves nothing, so the same file again is stored
// whole rather than found unchanged. A file that cannot be read is
// ErrUnreadable.
func (l *Library) Upload(ctx context.Context, filename, mediaType string, content []byte) (store.PutDocumentResult, error) {
	in, err := l.base.Ingest(ctx, filename, mediaType, content)
	if err != nil {
		return store.PutDocumentResult{}, err
	}
	res, err := l.st.PutDocument(ctx, in.Document, in.Chunks, in.Entries)
	if err != nil {
		return res, fmt.Errorf("store %s: %w", filename, err)
	}
	if len(in.Entries) > 0 {
		res.Document.ChunkCount = len(in.Entries)
	}
	if l.isDemo != nil && !l.isDemo(filename) {
		if err := l.removeDemo(ctx); err != nil {
			// The upload is stored; failing it still tells the operator
			// that demo answers may be mixed with theirs, and the next
			// upload tries again.
			return res, fmt.Errorf("%s is stored, but removing the sample knowledge base failed: %w", filename, err)
		}
	}
	return res, l.Refresh(ctx)
}

// Delete removes a document; a Q&A file goes with its entries, in the
// same transaction.
func (l *Library) Delete(ctx context.Context, documentID string) error {
	if err := l.st.DeleteDocument(ctx, documentID); err != nil {
		return err
	}
	return l.Refresh(ctx)
}

// Refresh brings the index up to date with the store.
func (l *Library) Refresh(ctx context.Context) error { return l.base.Sync(ctx, l.st) }

// PrepareEntry embeds a question for a new Q&A entry (a learned answer).
func (l *Library) PrepareEntry(ctx context.Context, question, answer, source string) (store.Entry, error) {
	emb := l.base.Embedder()
	vecs, err := emb.Embed(ctx, []string{question})
	if err != nil {
		return store.Entry{}, fmt.Errorf("embed question: %w", err)
	}
	return store.Entry{Question: question, Answer: answer, Source: source, Embedding: vecs[0], EmbeddingModel: emb.Model()}, nil
}

// LoadDemoIfEmpty seeds a brand-new knowledge base with the files of fsys,
// each stored as prefix + its name (a name isDemo recognises), so that a
// first start answers real questions.
func (l *Library) LoadDemoIfEmpty(ctx context.Context, fsys fs.FS, prefix string) error {
	docs, _, err := l.st.ListDocuments(ctx, 1, "")
	if err != nil {
		return err
	}
	entries, _, err := l.st.ListEntries(ctx, store.EntryFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(docs) > 0 || len(entries) > 0 {
		return nil
	}
	n := 0
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if _, err := l.Upload(ctx, prefix+path.Base(name), mime.TypeByExtension(path.Ext(name)), data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	l.log.Info("sample knowledge base loaded", "files", n)
	return nil
}

// removeDemo deletes the demo documents and their Q&A entries: once the
// company has documents of its own, answers from the fictional company's
// would be wrong answers. Learned entries stay, they are the company's
// specialists' answers.
func (l *Library) removeDemo(ctx context.Context) error {
	if l.demoGone.Load() {
		return nil
	}
	var docs []store.Document
	cursor := ""
	for {
		list, next, err := l.st.ListDocuments(ctx, 500, cursor)
		if err != nil {
			return fmt.Errorf("list documents: %w", err)
		}
		for _, d := range list {
			if l.isDemo(d.Filename) {
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
		list, next, err := l.st.ListEntries(ctx, store.EntryFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		for _, e := range list {
			if l.isDemo(e.Source) && !e.Learned {
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
		if err := l.st.DeleteDocument(ctx, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete %s: %w", d.Filename, err)
		}
	}
	for _, id := range entries {
		if err := l.st.DeleteEntry(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete entry %s: %w", id, err)
		}
	}
	if len(docs)+len(entries) > 0 {
		l.log.Info("sample knowledge base removed", "documents", len(docs), "entries", len(entries))
	}
	l.demoGone.Store(true)
	return nil
}
