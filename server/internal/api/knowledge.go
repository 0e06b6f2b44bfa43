package api

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

// Knowledge is the knowledge base as the API uses it.
type Knowledge interface {
	// Upload parses, chunks and embeds a file, stores it and updates the
	// index. Content it cannot use is an error wrapping ErrUnreadable.
	Upload(ctx context.Context, filename, mediaType string, content []byte) (store.PutDocumentResult, error)
	// Delete removes a document and updates the index.
	Delete(ctx context.Context, documentID string) error
	// Search runs the Knowledge agent's retrieval.
	Search(ctx context.Context, query string, limit int) ([]Hit, error)
	// PrepareEntry embeds a question/answer pair for storing.
	PrepareEntry(ctx context.Context, question, answer, source string) (store.Entry, error)
	// Refresh brings the index up to date with the store.
	Refresh(ctx context.Context) error
	// AnswerThreshold is the confidence the Knowledge agent needs to answer.
	AnswerThreshold() float64
}

// Hit is one search result.
type Hit struct {
	Score, Lexical, Vector float64
	Entry                  bool
	Source                 string
	Page                   int
	Heading                string
	Text                   string
	Question               string
	ID                     string
	DocumentID             string
}

type knowledgeServer struct {
	relevov1.UnimplementedKnowledgeServiceServer
	st  store.Store
	kb  Knowledge
	log *slog.Logger
}

const (
	maxUploadBytes   = 32 << 20
	maxEntryBytes    = 32 << 10
	maxQueryBytes    = 4 << 10
	maxFilenameBytes = 255
)

func (s *knowledgeServer) UploadDocument(ctx context.Context, req *relevov1.UploadDocumentRequest) (*relevov1.UploadDocumentResponse, error) {
	name := req.GetFilename()
	switch {
	case strings.TrimSpace(name) == "":
		return nil, toStatus(ctx, s.log, invalid("filename", "required"))
	case len(name) > maxFilenameBytes:
		return nil, toStatus(ctx, s.log, invalid("filename", "longer than %d bytes", maxFilenameBytes))
	case filepath.Base(name) != name || strings.ContainsAny(name, "\\\x00"):
		return nil, toStatus(ctx, s.log, invalid("filename", "must be a plain file name without directories"))
	case len(req.GetContent()) == 0:
		return nil, toStatus(ctx, s.log, invalid("content", "required (the file is empty)"))
	case len(req.GetContent()) > maxUploadBytes:
		return nil, toStatus(ctx, s.log, invalid("content", "larger than %d MiB", maxUploadBytes>>20))
	}
	res, err := s.kb.Upload(ctx, name, req.GetMediaType(), req.GetContent())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.UploadDocumentResponse{Document: documentPB(res.Document), Replaced: res.Replaced, Unchanged: res.Unchanged}, nil
}

func (s *knowledgeServer) ListDocuments(ctx context.Context, req *relevov1.ListDocumentsRequest) (*relevov1.ListDocumentsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	list, next, err := s.st.ListDocuments(ctx, n, req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &relevov1.ListDocumentsResponse{NextPageToken: next}
	for _, d := range list {
		resp.Documents = append(resp.Documents, documentPB(d))
	}
	return resp, nil
}

func (s *knowledgeServer) GetDocument(ctx context.Context, req *relevov1.GetDocumentRequest) (*relevov1.GetDocumentResponse, error) {
	if err := requireID("document_id", req.GetDocumentId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	d, err := s.st.GetDocument(ctx, req.GetDocumentId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	pb := documentPB(d)
	if req.GetIncludeChunks() {
		chunks, err := s.st.DocumentChunks(ctx, d.ID)
		if err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
		for _, c := range chunks {
			pb.Chunks = append(pb.Chunks, &relevov1.Chunk{Id: c.ID, DocumentId: c.DocumentID, Ordinal: int32(c.Ordinal), Page: int32(c.Page), Heading: c.Heading, Text: c.Text})
		}
	}
	return &relevov1.GetDocumentResponse{Document: pb}, nil
}

func (s *knowledgeServer) DeleteDocument(ctx context.Context, req *relevov1.DeleteDocumentRequest) (*relevov1.DeleteDocumentResponse, error) {
	if err := requireID("document_id", req.GetDocumentId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.kb.Delete(ctx, req.GetDocumentId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.DeleteDocumentResponse{}, nil
}

func (s *knowledgeServer) Search(ctx context.Context, req *relevov1.SearchRequest) (*relevov1.SearchResponse, error) {
	switch {
	case strings.TrimSpace(req.GetQuery()) == "":
		return nil, toStatus(ctx, s.log, invalid("query", "required"))
	case len(req.GetQuery()) > maxQueryBytes:
		return nil, toStatus(ctx, s.log, invalid("query", "longer than %d bytes", maxQueryBytes))
	}
	n, err := pageSize("limit", req.GetLimit(), 5, 50)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	hits, err := s.kb.Search(ctx, req.GetQuery(), n)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &relevov1.SearchResponse{AnswerThreshold: s.kb.AnswerThreshold()}
	for _, h := range hits {
		kind := relevov1.SourceKind_SOURCE_KIND_DOCUMENT
		if h.Entry {
			kind = relevov1.SourceKind_SOURCE_KIND_ENTRY
		}
		resp.Results = append(resp.Results, &relevov1.SearchResult{
			Score: h.Score, LexicalScore: h.Lexical, VectorScore: h.Vector, Kind: kind, Source: h.Source,
			Page: int32(h.Page), Heading: h.Heading, Text: h.Text, Question: h.Question, Id: h.ID, DocumentId: h.DocumentID,
		})
	}
	return resp, nil
}

func validateEntry(question, answer string, required bool) error {
	switch {
	case required && strings.TrimSpace(question) == "":
		return invalid("question", "required")
	case required && strings.TrimSpace(answer) == "":
		return invalid("answer", "required")
	case len(question) > maxEntryBytes:
		return invalid("question", "longer than %d bytes", maxEntryBytes)
	case len(answer) > maxEntryBytes:
		return invalid("answer", "longer than %d bytes", maxEntryBytes)
	}
	return nil
}

func (s *knowledgeServer) CreateEntry(ctx context.Context, req *relevov1.CreateEntryRequest) (*relevov1.CreateEntryResponse, error) {
	if err := validateEntry(req.GetQuestion(), req.GetAnswer(), true); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	source := req.GetSource()
	if source == "" {
		source = "manual"
	}
	e, err := s.kb.PrepareEntry(ctx, strings.TrimSpace(req.GetQuestion()), strings.TrimSpace(req.GetAnswer()), source)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err = s.st.CreateEntry(ctx, e)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.CreateEntryResponse{Entry: entryPB(e)}, nil
}

var entryStatusFilter = map[relevov1.EntryStatus]store.EntryStatus{
	relevov1.EntryStatus_ENTRY_STATUS_UNSPECIFIED: "",
	relevov1.EntryStatus_ENTRY_STATUS_LIVE:        store.EntryLive,
	relevov1.EntryStatus_ENTRY_STATUS_PENDING:     store.EntryPending,
	relevov1.EntryStatus_ENTRY_STATUS_REJECTED:    store.EntryRejected,
}

func (s *knowledgeServer) ListEntries(ctx context.Context, req *relevov1.ListEntriesRequest) (*relevov1.ListEntriesResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	st, ok := entryStatusFilter[req.GetStatus()]
	if !ok {
		return nil, toStatus(ctx, s.log, invalid("status", "unknown status %d", req.GetStatus()))
	}
	list, next, err := s.st.ListEntries(ctx, store.EntryFilter{
		LearnedOnly: req.GetLearnedOnly(), Status: st, Limit: n, Cursor: req.GetPageToken(),
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &relevov1.ListEntriesResponse{NextPageToken: next}
	for _, e := range list {
		resp.Entries = append(resp.Entries, entryPB(e))
	}
	return resp, nil
}

func (s *knowledgeServer) UpdateEntry(ctx context.Context, req *relevov1.UpdateEntryRequest) (*relevov1.UpdateEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if req.GetQuestion() == "" && req.GetAnswer() == "" {
		return nil, toStatus(ctx, s.log, invalid("question", "question or answer required"))
	}
	if err := validateEntry(req.GetQuestion(), req.GetAnswer(), false); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	cur, err := s.st.GetEntry(ctx, req.GetEntryId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	q, a := cur.Question, cur.Answer
	if req.GetQuestion() != "" {
		q = strings.TrimSpace(req.GetQuestion())
	}
	if req.GetAnswer() != "" {
		a = strings.TrimSpace(req.GetAnswer())
	}
	prepared, err := s.kb.PrepareEntry(ctx, q, a, cur.Source)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	cur.Question, cur.Answer = q, a
	cur.Embedding, cur.EmbeddingModel = prepared.Embedding, prepared.EmbeddingModel
	e, err := s.st.UpdateEntry(ctx, cur)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.UpdateEntryResponse{Entry: entryPB(e)}, nil
}

func (s *knowledgeServer) DeleteEntry(ctx context.Context, req *relevov1.DeleteEntryRequest) (*relevov1.DeleteEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.st.DeleteEntry(ctx, req.GetEntryId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.DeleteEntryResponse{}, nil
}

func (s *knowledgeServer) ApproveEntry(ctx context.Context, req *relevov1.ApproveEntryRequest) (*relevov1.ApproveEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	// An edit that is present but blank is a mistake, not "keep the
	// learned text": approving an entry without a question or an answer
	// would teach nothing.
	if req.Question != nil && strings.TrimSpace(req.GetQuestion()) == "" {
		return nil, toStatus(ctx, s.log, invalid("question", "must not be blank when given; leave it out to keep the learned question"))
	}
	if req.Answer != nil && strings.TrimSpace(req.GetAnswer()) == "" {
		return nil, toStatus(ctx, s.log, invalid("answer", "must not be blank when given; leave it out to keep the learned answer"))
	}
	if err := validateEntry(req.GetQuestion(), req.GetAnswer(), false); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	var edit *store.EntryEdit
	if req.Question != nil || req.Answer != nil {
		cur, err := s.st.GetEntry(ctx, req.GetEntryId())
		if err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
		q, a := cur.Question, cur.Answer
		if req.Question != nil {
			q = strings.TrimSpace(req.GetQuestion())
		}
		if req.Answer != nil {
			a = strings.TrimSpace(req.GetAnswer())
		}
		// The question is what customers' questions are matched against,
		// so an edited entry is embedded again before it goes live.
		prepared, err := s.kb.PrepareEntry(ctx, q, a, cur.Source)
		if err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
		edit = &store.EntryEdit{Question: q, Answer: a, Embedding: prepared.Embedding, EmbeddingModel: prepared.EmbeddingModel}
	}
	e, err := s.st.ApproveEntry(ctx, req.GetEntryId(), edit)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	// The next customer must be answered from it now, not when the change
	// notification comes round.
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "entry approved", "entry_id", e.ID, "ticket_id", e.TicketID, "edited", edit != nil)
	return &relevov1.ApproveEntryResponse{Entry: entryPB(e)}, nil
}

func (s *knowledgeServer) RejectEntry(ctx context.Context, req *relevov1.RejectEntryRequest) (*relevov1.RejectEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.st.RejectEntry(ctx, req.GetEntryId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "entry rejected", "entry_id", e.ID, "ticket_id", e.TicketID)
	return &relevov1.RejectEntryResponse{Entry: entryPB(e)}, nil
}
