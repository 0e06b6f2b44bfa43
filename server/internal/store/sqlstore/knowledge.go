package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// appendKnowledgeChange logs a change for the replicas' indexes. Like
// appendTicketEvents, call it at the end of a transaction.
func appendKnowledgeChange(ctx context.Context, tx *wtx, kind, id string, deleted bool) error {
	if err := tx.lockLog(ctx, "knowledge_changes"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_changes (kind, item_id, deleted) VALUES ($1, $2, $3)`,
		kind, id, deleted); err != nil {
		return fmt.Errorf("append knowledge change: %w", err)
	}
	tx.notify(store.TopicKnowledge)
	return nil
}

// chunkBatch is the number of chunks inserted per statement.
const chunkBatch = 50

// PutDocument stores a document with its chunks, or a Q&A file with its
// entries, in one transaction, replacing the document of the same file
// name unless its content is the same.
func (s *Store) PutDocument(ctx context.Context, doc store.Document, chunks []store.Chunk, entries []store.Entry) (store.PutDocumentResult, error) {
	if doc.Filename == "" {
		return store.PutDocumentResult{}, errors.New("put document: file name is required")
	}
	var res store.PutDocumentResult
	err := s.write(ctx, func(tx *wtx) error {
		res = store.PutDocumentResult{}
		now := s.now()
		old, err := scanDocument(tx.QueryRowContext(ctx, `SELECT `+docCols+` FROM documents WHERE filename = $1 `+s.d.LockForUpdate, doc.Filename))
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find document: %w", err)
		}
		if found && doc.SHA256 != "" && old.SHA256 == doc.SHA256 {
			// The same content; for a Q&A file, only if its entries are all
			// there (a file stored before uploads were one transaction may
			// have lost some).
			complete := true
			if len(entries) > 0 {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entries WHERE source = $1 AND NOT learned`, doc.Filename).Scan(&n); err != nil {
					return fmt.Errorf("count entries: %w", err)
				}
				complete = n == len(entries)
			}
			if complete {
				res = store.PutDocumentResult{Document: old, Unchanged: true}
				return errRollback
			}
		}
		d := doc
		d.ChunkCount = len(chunks)
		d.UpdatedAt = now
		if found {
			d.ID, d.CreatedAt = old.ID, old.CreatedAt
			if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = $1`, d.ID); err != nil {
				return fmt.Errorf("delete old chunks: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `
UPDATE documents SET media_type = $2, sha256 = $3, size_bytes = $4, pages = $5, chunk_count = $6, updated_at = $7
WHERE id = $1`, d.ID, d.MediaType, d.SHA256, d.SizeBytes, d.Pages, d.ChunkCount, micros(now)); err != nil {
				return fmt.Errorf("update document: %w", err)
			}
		} else {
			if d.ID == "" {
				d.ID = newID(now)
			}
			d.CreatedAt = now
			res, err := tx.ExecContext(ctx, `
INSERT INTO documents (id, filename, media_type, sha256, size_bytes, pages, chunk_count, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (filename) DO NOTHING`, d.ID, d.Filename, d.MediaType, d.SHA256, d.SizeBytes, d.Pages, d.ChunkCount, micros(now))
			if err != nil {
				return fmt.Errorf("insert document: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("insert document: %w", err)
			} else if n == 0 {
				return fmt.Errorf("document %q is being stored concurrently: %w", d.Filename, store.ErrConflict)
			}
		}
		if err := insertChunks(ctx, tx, d.ID, chunks, now); err != nil {
			return err
		}
		if len(entries) > 0 {
			if err := replaceFileEntries(ctx, tx, d.Filename, entries, now); err != nil {
				return err
			}
		}
		res = store.PutDocumentResult{Document: d, Replaced: found}
		return appendKnowledgeChange(ctx, tx, "document", d.ID, false)
	})
	if err != nil {
		return store.PutDocumentResult{}, fmt.Errorf("put document: %w", err)
	}
	return res, nil
}

// replaceFileEntries replaces a Q&A file's entries (learned ones stay:
// they are the specialists' answers) with entries, none to delete them,
// and logs the changes.
func replaceFileEntries(ctx context.Context, tx *wtx, source string, entries []store.Entry, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `DELETE FROM entries WHERE source = $1 AND NOT learned RETURNING id`, source)
	if err != nil {
		return fmt.Errorf("delete old entries: %w", err)
	}
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("delete old entries: %w", err)
		}
		gone = append(gone, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delete old entries: %w", err)
	}
	for _, id := range gone {
		if err := appendKnowledgeChange(ctx, tx, "entry", id, true); err != nil {
			return err
		}
	}
	for i, e := range entries {
		e.Source = source
		stored, err := insertEntry(ctx, tx, e, now)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
		if err := appendKnowledgeChange(ctx, tx, "entry", stored.ID, false); err != nil {
			return err
		}
	}
	return nil
}

func insertChunks(ctx context.Context, tx *wtx, docID string, chunks []store.Chunk, now time.Time) error {
	const cols = 8
	for start := 0; start < len(chunks); start += chunkBatch {
		batch := chunks[start:min(start+chunkBatch, len(chunks))]
		values := make([]string, len(batch))
		args := make([]any, 0, cols*len(batch))
		for i, c := range batch {
			id := c.ID
			if id == "" {
				id = newID(now)
			}
			values[i] = "(" + placeholders(1+cols*i, cols) + ")"
			args = append(args, id, docID, c.Ordinal, c.Page, c.Heading, c.Text, encodeEmbedding(c.Embedding), c.EmbeddingModel)
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO chunks (id, document_id, ordinal, page, heading, text, embedding, embedding_model)
VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("insert chunks: %w", err)
		}
	}
	return nil
}

// GetDocument returns one document.
func (s *Store) GetDocument(ctx context.Context, id string) (store.Document, error) {
	d, err := scanDocument(s.r.QueryRowContext(ctx, `SELECT `+docCols+` FROM documents WHERE id = $1`, id))
	if err != nil {
		return store.Document{}, notFound(err, "document", id)
	}
	return d, nil
}

// ListDocuments lists documents by file name.
func (s *Store) ListDocuments(ctx context.Context, limit int, cur string) ([]store.Document, string, error) {
	limit = pageLimit(limit)
	c, ok, err := decodeCursor(cur)
	if err != nil {
		return nil, "", fmt.Errorf("list documents: %w", err)
	}
	query, args := `SELECT `+docCols+` FROM documents ORDER BY filename LIMIT $1`, []any{limit + 1}
	if ok {
		query, args = `SELECT `+docCols+` FROM documents WHERE filename > $2 ORDER BY filename LIMIT $1`, []any{limit + 1, c.Key}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var list []store.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list documents: %w", err)
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list documents: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor{Key: list[limit-1].Filename}.encode()
	}
	return list, next, nil
}

// DocumentChunks returns a document's chunks in order.
func (s *Store) DocumentChunks(ctx context.Context, documentID string) ([]store.Chunk, error) {
	if _, err := s.GetDocument(ctx, documentID); err != nil {
		return nil, fmt.Errorf("document chunks: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+chunkCols+` FROM chunks WHERE document_id = $1 ORDER BY ordinal, id`, documentID)
	if err != nil {
		return nil, fmt.Errorf("document chunks: %w", err)
	}
	defer rows.Close()
	var out []store.Chunk
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, fmt.Errorf("document chunks: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("document chunks: %w", err)
	}
	return out, nil
}

// DeleteDocument removes a document and its chunks, or a Q&A file and its
// entries that were not learned.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		// Lock the document before its chunks, as PutDocument does.
		var filename string
		var chunkCount int
		err := tx.QueryRowContext(ctx, `SELECT filename, chunk_count FROM documents WHERE id = $1 `+s.d.LockForUpdate, id).Scan(&filename, &chunkCount)
		if err != nil {
			return notFound(err, "document", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = $1`, id); err != nil {
			return err
		}
		if chunkCount == 0 {
			if err := replaceFileEntries(ctx, tx, filename, nil, s.now()); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = $1`, id); err != nil {
			return err
		}
		return appendKnowledgeChange(ctx, tx, "document", id, true)
	})
	if err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	return nil
}

// insertEntry stores an entry; the caller logs the change.
func insertEntry(ctx context.Context, tx *wtx, e store.Entry, now time.Time) (store.Entry, error) {
	if strings.TrimSpace(e.Question) == "" || strings.TrimSpace(e.Answer) == "" {
		return store.Entry{}, errors.New("an entry needs a question and an answer")
	}
	if e.Status == "" {
		e.Status = store.EntryLive
	}
	if !e.Status.Valid() {
		return store.Entry{}, fmt.Errorf("entry status %q: %w", e.Status, store.ErrInvalid)
	}
	if e.ID == "" {
		e.ID = newID(now)
	}
	if e.Learned && e.LearnedAt.IsZero() {
		e.LearnedAt = now
	}
	e.CreatedAt, e.UpdatedAt = now, now
	_, err := tx.ExecContext(ctx, `
INSERT INTO entries (id, question, answer, source, ticket_id, learned, embedding, embedding_model, created_at, updated_at,
	status, answered_by, learned_at, reviewed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13)`,
		e.ID, e.Question, e.Answer, e.Source, e.TicketID, e.Learned, encodeEmbedding(e.Embedding), e.EmbeddingModel, micros(now),
		string(e.Status), e.AnsweredBy, micros(e.LearnedAt), micros(e.ReviewedAt))
	if err != nil {
		return store.Entry{}, fmt.Errorf("insert entry: %w", err)
	}
	return e, nil
}

// CreateEntry adds a question/answer entry.
func (s *Store) CreateEntry(ctx context.Context, e store.Entry) (store.Entry, error) {
	var out store.Entry
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		if out, err = insertEntry(ctx, tx, e, s.now()); err != nil {
			return err
		}
		return appendKnowledgeChange(ctx, tx, "entry", out.ID, false)
	})
	if err != nil {
		return store.Entry{}, fmt.Errorf("create entry: %w", err)
	}
	return out, nil
}

// GetEntry returns one entry.
func (s *Store) GetEntry(ctx context.Context, id string) (store.Entry, error) {
	e, err := scanEntry(s.r.QueryRowContext(ctx, `SELECT `+entryCols+` FROM entries WHERE id = $1`, id))
	if err != nil {
		return store.Entry{}, notFound(err, "entry", id)
	}
	return e, nil
}

// UpdateEntry changes an entry's question, answer, source and embedding;
// whether it was learned, from which ticket, by whom, and its review status
// stay: editing a pending entry leaves it pending.
func (s *Store) UpdateEntry(ctx context.Context, e store.Entry) (store.Entry, error) {
	if strings.TrimSpace(e.Question) == "" || strings.TrimSpace(e.Answer) == "" {
		return store.Entry{}, errors.New("update entry: an entry needs a question and an answer")
	}
	var out store.Entry
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		out, err = scanEntry(tx.QueryRowContext(ctx, `
UPDATE entries SET question = $2, answer = $3, source = $4, embedding = $5, embedding_model = $6, updated_at = $7
WHERE id = $1 RETURNING `+entryCols,
			e.ID, e.Question, e.Answer, e.Source, encodeEmbedding(e.Embedding), e.EmbeddingModel, micros(s.now())))
		if err != nil {
			return notFound(err, "entry", e.ID)
		}
		return appendKnowledgeChange(ctx, tx, "entry", e.ID, false)
	})
	if err != nil {
		return store.Entry{}, fmt.Errorf("update entry: %w", err)
	}
	return out, nil
}

// DeleteEntry removes an entry.
func (s *Store) DeleteEntry(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM entries WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("entry %q: %w", id, store.ErrNotFound)
		}
		return appendKnowledgeChange(ctx, tx, "entry", id, true)
	})
	if err != nil {
		return fmt.Errorf("delete entry: %w", err)
	}
	return nil
}

// ApproveEntry makes a pending entry live, with an edited wording.
func (s *Store) ApproveEntry(ctx context.Context, id string, edit *store.EntryEdit) (store.Entry, error) {
	if edit != nil && (strings.TrimSpace(edit.Question) == "" || strings.TrimSpace(edit.Answer) == "") {
		return store.Entry{}, fmt.Errorf("approve entry: an entry needs a question and an answer: %w", store.ErrInvalid)
	}
	var out store.Entry
	err := s.write(ctx, func(tx *wtx) error {
		now := micros(s.now())
		cur, err := s.lockEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case store.EntryLive:
			return fmt.Errorf("entry %s is already live: %w", id, store.ErrConflict)
		case store.EntryRejected:
			return fmt.Errorf("entry %s was rejected; create a new entry instead: %w", id, store.ErrConflict)
		}
		q, a, emb, model := cur.Question, cur.Answer, cur.Embedding, cur.EmbeddingModel
		if edit != nil {
			q, a, emb, model = edit.Question, edit.Answer, edit.Embedding, edit.EmbeddingModel
		}
		out, err = scanEntry(tx.QueryRowContext(ctx, `
UPDATE entries SET status = 'live', question = $2, answer = $3, embedding = $4, embedding_model = $5,
	reviewed_at = $6, updated_at = $6
WHERE id = $1 RETURNING `+entryCols, id, q, a, encodeEmbedding(emb), model, now))
		if err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		// The change log is how every replica's index learns that the
		// entry may now answer customers.
		return appendKnowledgeChange(ctx, tx, "entry", id, false)
	})
	if err != nil {
		return store.Entry{}, fmt.Errorf("approve entry: %w", err)
	}
	return out, nil
}

// RejectEntry keeps a pending entry out of the knowledge base.
func (s *Store) RejectEntry(ctx context.Context, id string) (store.Entry, error) {
	var out store.Entry
	err := s.write(ctx, func(tx *wtx) error {
		cur, err := s.lockEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case store.EntryRejected:
			out = cur
			return errRollback
		case store.EntryLive:
			return fmt.Errorf("entry %s is live; delete it to take it out of the knowledge base: %w", id, store.ErrConflict)
		}
		now := micros(s.now())
		out, err = scanEntry(tx.QueryRowContext(ctx, `
UPDATE entries SET status = 'rejected', reviewed_at = $2, updated_at = $2 WHERE id = $1 RETURNING `+entryCols, id, now))
		if err != nil {
			return fmt.Errorf("reject: %w", err)
		}
		// No change is logged: a pending entry was never in any index.
		return nil
	})
	if err != nil {
		return store.Entry{}, fmt.Errorf("reject entry: %w", err)
	}
	return out, nil
}

// lockEntry reads an entry for a change that depends on its status.
func (s *Store) lockEntry(ctx context.Context, tx *wtx, id string) (store.Entry, error) {
	e, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryCols+` FROM entries WHERE id = $1 `+s.d.LockForUpdate, id))
	if err != nil {
		return store.Entry{}, notFound(err, "entry", id)
	}
	return e, nil
}

// ListEntries lists entries, newest first.
func (s *Store) ListEntries(ctx context.Context, ef store.EntryFilter) ([]store.Entry, string, error) {
	var f filter
	if ef.LearnedOnly {
		f.add("learned = $%d", true)
	}
	if ef.Status != "" {
		if !ef.Status.Valid() {
			return nil, "", fmt.Errorf("list entries: status %q: %w", ef.Status, store.ErrInvalid)
		}
		f.add("status = $%d", string(ef.Status))
	}
	list, next, err := newestFirst(ctx, s.r, "entries", entryCols, f, ef.Limit, ef.Cursor, scanEntry)
	if err != nil {
		return nil, "", fmt.Errorf("list entries: %w", err)
	}
	return list, next, nil
}

// KnowledgeChanges returns changes after the sequence, in order.
func (s *Store) KnowledgeChanges(ctx context.Context, afterSequence int64, limit int) ([]store.KnowledgeChange, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT seq, kind, item_id, deleted FROM knowledge_changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
		afterSequence, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("knowledge changes: %w", err)
	}
	defer rows.Close()
	var out []store.KnowledgeChange
	for rows.Next() {
		var c store.KnowledgeChange
		if err := rows.Scan(&c.Sequence, &c.Kind, &c.ID, &c.Deleted); err != nil {
			return nil, fmt.Errorf("knowledge changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("knowledge changes: %w", err)
	}
	return out, nil
}

// LastKnowledgeSequence is the newest change's sequence, 0 when none.
func (s *Store) LastKnowledgeSequence(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM knowledge_changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last knowledge sequence: %w", err)
	}
	return seq, nil
}

// DocumentIndex returns the persisted index data of a document.
func (s *Store) DocumentIndex(ctx context.Context, documentID string) (store.IndexData, error) {
	var d store.IndexData
	err := s.r.QueryRowContext(ctx, `SELECT version, data FROM document_index WHERE document_id = $1`, documentID).Scan(&d.Version, &d.Data)
	if err != nil {
		return store.IndexData{}, notFound(err, "document index", documentID)
	}
	return d, nil
}

// PutDocumentIndex stores a document's index data, replacing what was there.
func (s *Store) PutDocumentIndex(ctx context.Context, documentID string, d store.IndexData) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `
INSERT INTO document_index (document_id, version, data)
SELECT id, $2, $3 FROM documents WHERE id = $1
ON CONFLICT (document_id) DO UPDATE SET version = excluded.version, data = excluded.data`, documentID, d.Version, d.Data)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("document %s: %w", documentID, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put document index: %w", err)
	}
	return nil
}
