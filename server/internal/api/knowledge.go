package api

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/gaps"
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

// Decider runs the Knowledge agent on a question without sending or
// recording anything: what the bot would do.
type Decider interface {
	Decide(ctx context.Context, question string) (agents.Action, error)
}

// KnowledgeStore is what the knowledge service reads and writes itself;
// uploads and deletions of documents go through Knowledge, which keeps the
// index current. store.Store is one.
type KnowledgeStore interface {
	ListDocuments(ctx context.Context, limit int, cursor string) (list []store.Document, next string, err error)
	GetDocument(ctx context.Context, id string) (store.Document, error)
	DocumentChunks(ctx context.Context, documentID string) ([]store.Chunk, error)
	CreateEntry(ctx context.Context, e store.Entry) (store.Entry, error)
	GetEntry(ctx context.Context, id string) (store.Entry, error)
	UpdateEntry(ctx context.Context, e store.Entry) (store.Entry, error)
	DeleteEntry(ctx context.Context, id string) error
	ListEntries(ctx context.Context, f store.EntryFilter) (list []store.Entry, next string, err error)
	ApproveEntry(ctx context.Context, id string, edit *store.EntryEdit) (store.Entry, error)
	RejectEntry(ctx context.Context, id string) (store.Entry, error)
}

type knowledgeServer struct {
	relevov1.UnimplementedKnowledgeServiceServer
	st      KnowledgeStore
	kb      Knowledge
	decider Decider
	gaps    *gaps.Finder
	log     *slog.Logger
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
		return nil, invalid("filename", "required")
	case len(name) > maxFilenameBytes:
		return nil, invalid("filename", "longer than %d bytes", maxFilenameBytes)
	case filepath.Base(name) != name || strings.ContainsAny(name, "\\\x00") || name == "." || name == "..":
		return nil, invalid("filename", "must be a plain file name without directories")
	case strings.IndexFunc(name, unshowable) >= 0:
		return nil, invalid("filename", "must not hold control or text-direction characters")
	case len(req.GetContent()) == 0:
		return nil, invalid("content", "required (the file is empty)")
	case len(req.GetContent()) > maxUploadBytes:
		return nil, invalid("content", "larger than %d MiB", maxUploadBytes>>20)
	}
	res, err := s.kb.Upload(ctx, name, req.GetMediaType(), req.GetContent())
	if err != nil {
		return nil, err
	}
	return &relevov1.UploadDocumentResponse{Document: documentPB(res.Document), Replaced: res.Replaced, Unchanged: res.Unchanged}, nil
}

// unshowable reports characters a file name must not hold: it is shown in
// terminals, the console and the citations customers read, where control
// characters move the cursor and direction overrides turn text around.
func unshowable(r rune) bool {
	return unicode.IsControl(r) || '\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069'
}

func (s *knowledgeServer) ListDocuments(ctx context.Context, req *relevov1.ListDocumentsRequest) (*relevov1.ListDocumentsResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, err
	}
	list, next, err := s.st.ListDocuments(ctx, n, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListDocumentsResponse{NextPageToken: next}
	for _, d := range list {
		resp.Documents = append(resp.Documents, documentPB(d))
	}
	return resp, nil
}

func (s *knowledgeServer) GetDocument(ctx context.Context, req *relevov1.GetDocumentRequest) (*relevov1.GetDocumentResponse, error) {
	if err := requireID("document_id", req.GetDocumentId()); err != nil {
		return nil, err
	}
	d, err := s.st.GetDocument(ctx, req.GetDocumentId())
	if err != nil {
		return nil, err
	}
	pb := documentPB(d)
	if req.GetIncludeChunks() {
		chunks, err := s.st.DocumentChunks(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range chunks {
			pb.Chunks = append(pb.Chunks, &relevov1.Chunk{Id: c.ID, DocumentId: c.DocumentID, Ordinal: int32(c.Ordinal), Page: int32(c.Page), Heading: c.Heading, Text: c.Text})
		}
	}
	return &relevov1.GetDocumentResponse{Document: pb}, nil
}

func (s *knowledgeServer) DeleteDocument(ctx context.Context, req *relevov1.DeleteDocumentRequest) (*relevov1.DeleteDocumentResponse, error) {
	if err := requireID("document_id", req.GetDocumentId()); err != nil {
		return nil, err
	}
	if err := s.kb.Delete(ctx, req.GetDocumentId()); err != nil {
		return nil, err
	}
	return &relevov1.DeleteDocumentResponse{}, nil
}

func (s *knowledgeServer) Search(ctx context.Context, req *relevov1.SearchRequest) (*relevov1.SearchResponse, error) {
	switch {
	case strings.TrimSpace(req.GetQuery()) == "":
		return nil, invalid("query", "required")
	case len(req.GetQuery()) > maxQueryBytes:
		return nil, invalid("query", "longer than %d bytes", maxQueryBytes)
	}
	n, err := pageSize("limit", req.GetLimit(), 5, 50)
	if err != nil {
		return nil, err
	}
	hits, err := s.kb.Search(ctx, req.GetQuery(), n)
	if err != nil {
		return nil, err
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
	if req.GetDecide() {
		if s.decider == nil {
			return nil, status.Error(codes.Unimplemented, "this server has no Knowledge agent to decide with")
		}
		act, err := s.decider.Decide(ctx, req.GetQuery())
		if err != nil {
			return nil, err
		}
		d := &relevov1.SearchDecision{
			Answer: act.Handoff == "" && act.Reply != "", Reason: act.Reason,
			PromptTokens: int32(act.Usage.PromptTokens), CompletionTokens: int32(act.Usage.CompletionTokens),
		}
		if d.Answer {
			d.Reply = act.Reply
		}
		for _, st := range act.Steps {
			if st.Check != nil {
				d.Detail = answerDecisionPB(st.Check)
			}
		}
		resp.Decision = d
	}
	return resp, nil
}

// Content gaps read at most this far back.
const maxGapPeriod = 366 * 24 * time.Hour

func (s *knowledgeServer) ListContentGaps(ctx context.Context, req *relevov1.ListContentGapsRequest) (*relevov1.ListContentGapsResponse, error) {
	n, err := pageSize("limit", req.GetLimit(), 50, 500)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	since := now.Add(-30 * 24 * time.Hour)
	if req.GetSince() != nil {
		if err := req.GetSince().CheckValid(); err != nil {
			return nil, invalid("since", "%v", err)
		}
		since = req.GetSince().AsTime()
		if now.Sub(since) > maxGapPeriod {
			return nil, invalid("since", "at most %d days ago", int(maxGapPeriod.Hours()/24))
		}
	}
	low := req.GetLowConfidenceBelow()
	switch {
	case math.IsNaN(low) || low < 0 || low > 1:
		return nil, invalid("low_confidence_below", "must be between 0 and 1")
	case low == 0:
		low = min(s.kb.AnswerThreshold()+0.1, 1)
	}
	if s.gaps == nil {
		return nil, status.Error(codes.Unimplemented, "content gaps are not available on this server")
	}
	gs, read, err := s.gaps.Find(ctx, gaps.Query{Since: since, LowConfidenceBelow: low, Limit: n})
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListContentGapsResponse{Questions: int32(read), LowConfidenceBelow: low}
	for _, g := range gs {
		resp.Gaps = append(resp.Gaps, &relevov1.ContentGap{
			Question: g.Question, Count: int32(g.Count), HandedOff: int32(g.HandedOff), LowConfidence: int32(g.LowConfidence),
			Examples: g.Examples, ConversationIds: g.ConversationIDs, TicketIds: g.TicketIDs, LastAskedAt: ts(g.LastAskedAt),
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
		return nil, err
	}
	source := req.GetSource()
	if source == "" {
		source = "manual"
	}
	e, err := s.kb.PrepareEntry(ctx, strings.TrimSpace(req.GetQuestion()), strings.TrimSpace(req.GetAnswer()), source)
	if err != nil {
		return nil, err
	}
	e, err = s.st.CreateEntry(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, err
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
		return nil, err
	}
	st, ok := entryStatusFilter[req.GetStatus()]
	if !ok {
		return nil, invalid("status", "unknown status %d", req.GetStatus())
	}
	list, next, err := s.st.ListEntries(ctx, store.EntryFilter{
		LearnedOnly: req.GetLearnedOnly(), Status: st, Limit: n, Cursor: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListEntriesResponse{NextPageToken: next}
	for _, e := range list {
		resp.Entries = append(resp.Entries, entryPB(e))
	}
	return resp, nil
}

func (s *knowledgeServer) UpdateEntry(ctx context.Context, req *relevov1.UpdateEntryRequest) (*relevov1.UpdateEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, err
	}
	if req.GetQuestion() == "" && req.GetAnswer() == "" {
		return nil, invalid("question", "question or answer required")
	}
	if err := validateEntry(req.GetQuestion(), req.GetAnswer(), false); err != nil {
		return nil, err
	}
	cur, err := s.st.GetEntry(ctx, req.GetEntryId())
	if err != nil {
		return nil, err
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
		return nil, err
	}
	cur.Question, cur.Answer = q, a
	cur.Embedding, cur.EmbeddingModel = prepared.Embedding, prepared.EmbeddingModel
	e, err := s.st.UpdateEntry(ctx, cur)
	if err != nil {
		return nil, err
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, err
	}
	return &relevov1.UpdateEntryResponse{Entry: entryPB(e)}, nil
}

func (s *knowledgeServer) DeleteEntry(ctx context.Context, req *relevov1.DeleteEntryRequest) (*relevov1.DeleteEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, err
	}
	if err := s.st.DeleteEntry(ctx, req.GetEntryId()); err != nil {
		return nil, err
	}
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, err
	}
	return &relevov1.DeleteEntryResponse{}, nil
}

func (s *knowledgeServer) ApproveEntry(ctx context.Context, req *relevov1.ApproveEntryRequest) (*relevov1.ApproveEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, err
	}
	// An edit that is present but blank is a mistake, not "keep the
	// learned text": approving an entry without a question or an answer
	// would teach nothing.
	if req.Question != nil && strings.TrimSpace(req.GetQuestion()) == "" {
		return nil, invalid("question", "must not be blank when given; leave it out to keep the learned question")
	}
	if req.Answer != nil && strings.TrimSpace(req.GetAnswer()) == "" {
		return nil, invalid("answer", "must not be blank when given; leave it out to keep the learned answer")
	}
	if err := validateEntry(req.GetQuestion(), req.GetAnswer(), false); err != nil {
		return nil, err
	}
	var edit *store.EntryEdit
	if req.Question != nil || req.Answer != nil {
		cur, err := s.st.GetEntry(ctx, req.GetEntryId())
		if err != nil {
			return nil, err
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
			return nil, err
		}
		edit = &store.EntryEdit{Question: q, Answer: a, Embedding: prepared.Embedding, EmbeddingModel: prepared.EmbeddingModel}
	}
	e, err := s.st.ApproveEntry(ctx, req.GetEntryId(), edit)
	if err != nil {
		return nil, err
	}
	// The next customer must be answered from it now, not when the change
	// notification comes round.
	if err := s.kb.Refresh(ctx); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "entry approved", "entry_id", e.ID, "ticket_id", e.TicketID, "edited", edit != nil)
	return &relevov1.ApproveEntryResponse{Entry: entryPB(e)}, nil
}

func (s *knowledgeServer) RejectEntry(ctx context.Context, req *relevov1.RejectEntryRequest) (*relevov1.RejectEntryResponse, error) {
	if err := requireID("entry_id", req.GetEntryId()); err != nil {
		return nil, err
	}
	e, err := s.st.RejectEntry(ctx, req.GetEntryId())
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "entry rejected", "entry_id", e.ID, "ticket_id", e.TicketID)
	return &relevov1.RejectEntryResponse{Entry: entryPB(e)}, nil
}
