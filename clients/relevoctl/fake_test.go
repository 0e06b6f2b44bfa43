package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// call is one request the fake server received.
type call struct {
	method string // short method name, e.g. "AnswerTicket"
	req    proto.Message
	auth   string // the authorization header, if any
}

// fakeRelevo is an in-memory Relevo server that records every request.
// Tests fill in the data they need before running commands.
type fakeRelevo struct {
	relevov1.UnimplementedTicketServiceServer
	relevov1.UnimplementedKnowledgeServiceServer
	relevov1.UnimplementedConversationServiceServer
	relevov1.UnimplementedChannelServiceServer

	addr   string
	health *health.Server

	mu    sync.Mutex
	calls []call

	pageSize      int                               // page size when the request gives none
	tickets       []*relevov1.Ticket                // newest first
	events        []*relevov1.TicketEvent           // the event log
	streamErr     error                             // StreamTicketEvents fails with it
	docs          []*relevov1.Document              // by file name
	rejects       map[string]string                 // file name -> reason to refuse
	entries       []*relevov1.Entry                 // newest first
	search        *relevov1.SearchResponse          // canned Search answer
	conversations []*relevov1.Conversation          // most recent first
	conversation  *relevov1.GetConversationResponse // canned GetConversation answer
	runs          map[string]*relevov1.Run          // full runs by id
	converse      func(*relevov1.ConverseRequest) (*relevov1.ConverseResponse, error)
}

// startFake serves a fakeRelevo on 127.0.0.1 until the test ends.
func startFake(t *testing.T, opts ...grpc.ServerOption) *fakeRelevo {
	t.Helper()
	f := &fakeRelevo{health: health.NewServer(), pageSize: 100, rejects: map[string]string{}, runs: map[string]*relevov1.Run{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f.addr = lis.Addr().String()
	opts = append(opts, grpc.UnaryInterceptor(f.recordUnary), grpc.StreamInterceptor(f.recordStream))
	srv := grpc.NewServer(opts...)
	relevov1.RegisterTicketServiceServer(srv, f)
	relevov1.RegisterKnowledgeServiceServer(srv, f)
	relevov1.RegisterConversationServiceServer(srv, f)
	relevov1.RegisterChannelServiceServer(srv, f)
	healthpb.RegisterHealthServer(srv, f.health)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return f
}

func authOf(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	return strings.Join(md.Get("authorization"), ",")
}

func shortMethod(full string) string { return full[strings.LastIndex(full, "/")+1:] }

func (f *fakeRelevo) record(ctx context.Context, method string, req proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := call{method: shortMethod(method), auth: authOf(ctx)}
	if req != nil {
		c.req = proto.Clone(req)
	}
	f.calls = append(f.calls, c)
}

func (f *fakeRelevo) recordUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m, _ := req.(proto.Message)
	f.record(ctx, info.FullMethod, m)
	return handler(ctx, req)
}

// recordStream records the stream's opening; the handler records the
// request it reads.
func (f *fakeRelevo) recordStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	f.record(ss.Context(), info.FullMethod, nil)
	return handler(srv, ss)
}

// requests returns the requests of one method, in order.
func (f *fakeRelevo) requests(method string) []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proto.Message
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c.req)
		}
	}
	return out
}

func (f *fakeRelevo) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// page cuts items by the token (an offset) and the page size.
func page[T any](items []T, token string, size int32, def int) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", status.Error(codes.InvalidArgument, "page_token: invalid")
		}
		start = n
	}
	n := def
	if size > 0 {
		n = int(size)
	}
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// Tickets.

func (f *fakeRelevo) ListTickets(_ context.Context, req *relevov1.ListTicketsRequest) (*relevov1.ListTicketsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []*relevov1.Ticket
	for _, t := range f.tickets {
		if (req.GetStatus() == 0 || t.GetStatus() == req.GetStatus()) &&
			(req.GetConversationId() == "" || t.GetConversationId() == req.GetConversationId()) {
			match = append(match, t)
		}
	}
	items, next, err := page(match, req.GetPageToken(), req.GetPageSize(), f.pageSize)
	if err != nil {
		return nil, err
	}
	return &relevov1.ListTicketsResponse{Tickets: items, NextPageToken: next}, nil
}

func (f *fakeRelevo) ticket(id string) (*relevov1.Ticket, error) {
	for _, t := range f.tickets {
		if t.GetId() == id {
			return t, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "ticket %s not found", id)
}

func (f *fakeRelevo) GetTicket(_ context.Context, req *relevov1.GetTicketRequest) (*relevov1.GetTicketResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.ticket(req.GetTicketId())
	if err != nil {
		return nil, err
	}
	return &relevov1.GetTicketResponse{Ticket: t}, nil
}

func (f *fakeRelevo) AnswerTicket(_ context.Context, req *relevov1.AnswerTicketRequest) (*relevov1.AnswerTicketResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.ticket(req.GetTicketId())
	if err != nil {
		return nil, err
	}
	if t.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		if t.GetAnswer() == req.GetAnswer() {
			return &relevov1.AnswerTicketResponse{Ticket: t, AlreadyAnswered: true}, nil
		}
		return nil, status.Error(codes.FailedPrecondition, "ticket already answered with a different text")
	}
	t.Status, t.Answer, t.AnsweredBy = relevov1.TicketStatus_TICKET_STATUS_ANSWERED, req.GetAnswer(), req.GetAnsweredBy()
	if !req.GetSkipLearning() {
		t.LearnedEntryId = "E-" + t.GetId()
	}
	return &relevov1.AnswerTicketResponse{Ticket: t}, nil
}

func (f *fakeRelevo) CloseTicket(_ context.Context, req *relevov1.CloseTicketRequest) (*relevov1.CloseTicketResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.ticket(req.GetTicketId())
	if err != nil {
		return nil, err
	}
	t.Status, t.CloseReason = relevov1.TicketStatus_TICKET_STATUS_CLOSED, req.GetReason()
	return &relevov1.CloseTicketResponse{Ticket: t}, nil
}

func (f *fakeRelevo) StreamTicketEvents(req *relevov1.StreamTicketEventsRequest, stream grpc.ServerStreamingServer[relevov1.StreamTicketEventsResponse]) error {
	f.record(stream.Context(), "StreamTicketEvents.request", req)
	f.mu.Lock()
	events, streamErr := f.events, f.streamErr
	f.mu.Unlock()
	if streamErr != nil {
		return streamErr
	}
	for _, ev := range events {
		if ev.GetSequence() <= req.GetAfterSequence() {
			continue
		}
		if err := stream.Send(&relevov1.StreamTicketEventsResponse{Event: ev}); err != nil {
			return err
		}
	}
	<-stream.Context().Done() // live events would follow; there are none
	return nil
}

// Knowledge.

func (f *fakeRelevo) UploadDocument(_ context.Context, req *relevov1.UploadDocumentRequest) (*relevov1.UploadDocumentResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if reason, ok := f.rejects[req.GetFilename()]; ok {
		return nil, status.Error(codes.InvalidArgument, reason)
	}
	sum := sha256.Sum256(req.GetContent())
	doc := &relevov1.Document{
		Id:         "D-" + req.GetFilename(),
		Filename:   req.GetFilename(),
		MediaType:  req.GetMediaType(),
		Sha256:     hex.EncodeToString(sum[:]),
		SizeBytes:  int64(len(req.GetContent())),
		Pages:      1,
		ChunkCount: int32(bytes.Count(req.GetContent(), []byte("\n")) + 1),
	}
	for i, d := range f.docs {
		if d.GetFilename() == req.GetFilename() {
			if d.GetSha256() == doc.GetSha256() {
				return &relevov1.UploadDocumentResponse{Document: d, Unchanged: true}, nil
			}
			f.docs[i] = doc
			return &relevov1.UploadDocumentResponse{Document: doc, Replaced: true}, nil
		}
	}
	f.docs = append(f.docs, doc)
	return &relevov1.UploadDocumentResponse{Document: doc}, nil
}

func (f *fakeRelevo) ListDocuments(_ context.Context, req *relevov1.ListDocumentsRequest) (*relevov1.ListDocumentsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items, next, err := page(f.docs, req.GetPageToken(), req.GetPageSize(), f.pageSize)
	if err != nil {
		return nil, err
	}
	return &relevov1.ListDocumentsResponse{Documents: items, NextPageToken: next}, nil
}

func (f *fakeRelevo) DeleteDocument(_ context.Context, req *relevov1.DeleteDocumentRequest) (*relevov1.DeleteDocumentResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.docs {
		if d.GetId() == req.GetDocumentId() {
			f.docs = append(f.docs[:i], f.docs[i+1:]...)
			return &relevov1.DeleteDocumentResponse{}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "document %s not found", req.GetDocumentId())
}

func (f *fakeRelevo) Search(context.Context, *relevov1.SearchRequest) (*relevov1.SearchResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.search == nil {
		return &relevov1.SearchResponse{}, nil
	}
	return f.search, nil
}

func (f *fakeRelevo) CreateEntry(_ context.Context, req *relevov1.CreateEntryRequest) (*relevov1.CreateEntryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := &relevov1.Entry{Id: fmt.Sprintf("E-%d", len(f.entries)+1), Question: req.GetQuestion(), Answer: req.GetAnswer(), Source: req.GetSource()}
	f.entries = append([]*relevov1.Entry{e}, f.entries...)
	return &relevov1.CreateEntryResponse{Entry: e}, nil
}

func (f *fakeRelevo) ListEntries(_ context.Context, req *relevov1.ListEntriesRequest) (*relevov1.ListEntriesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []*relevov1.Entry
	for _, e := range f.entries {
		if (!req.GetLearnedOnly() || e.GetLearned()) && (req.GetStatus() == 0 || e.GetStatus() == req.GetStatus()) {
			match = append(match, e)
		}
	}
	items, next, err := page(match, req.GetPageToken(), req.GetPageSize(), f.pageSize)
	if err != nil {
		return nil, err
	}
	return &relevov1.ListEntriesResponse{Entries: items, NextPageToken: next}, nil
}

func (f *fakeRelevo) UpdateEntry(_ context.Context, req *relevov1.UpdateEntryRequest) (*relevov1.UpdateEntryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e.GetId() == req.GetEntryId() {
			if req.GetQuestion() != "" {
				e.Question = req.GetQuestion()
			}
			if req.GetAnswer() != "" {
				e.Answer = req.GetAnswer()
			}
			return &relevov1.UpdateEntryResponse{Entry: e}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "entry %s not found", req.GetEntryId())
}

func (f *fakeRelevo) DeleteEntry(context.Context, *relevov1.DeleteEntryRequest) (*relevov1.DeleteEntryResponse, error) {
	return &relevov1.DeleteEntryResponse{}, nil
}

func (f *fakeRelevo) entry(id string) (*relevov1.Entry, error) {
	for _, e := range f.entries {
		if e.GetId() == id {
			return e, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "entry %q: not found", id)
}

func (f *fakeRelevo) ApproveEntry(_ context.Context, req *relevov1.ApproveEntryRequest) (*relevov1.ApproveEntryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(req.GetEntryId())
	if err != nil {
		return nil, err
	}
	if e.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_PENDING {
		return nil, status.Errorf(codes.FailedPrecondition, "entry %s is %s", e.GetId(), e.GetStatus())
	}
	if req.Question != nil {
		e.Question = req.GetQuestion()
	}
	if req.Answer != nil {
		e.Answer = req.GetAnswer()
	}
	e.Status = relevov1.EntryStatus_ENTRY_STATUS_LIVE
	return &relevov1.ApproveEntryResponse{Entry: e}, nil
}

func (f *fakeRelevo) RejectEntry(_ context.Context, req *relevov1.RejectEntryRequest) (*relevov1.RejectEntryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(req.GetEntryId())
	if err != nil {
		return nil, err
	}
	if e.GetStatus() == relevov1.EntryStatus_ENTRY_STATUS_LIVE {
		return nil, status.Errorf(codes.FailedPrecondition, "entry %s is live; delete it to take it out of the knowledge base", e.GetId())
	}
	e.Status = relevov1.EntryStatus_ENTRY_STATUS_REJECTED
	return &relevov1.RejectEntryResponse{Entry: e}, nil
}

// Conversations.

func (f *fakeRelevo) ListConversations(_ context.Context, req *relevov1.ListConversationsRequest) (*relevov1.ListConversationsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items, next, err := page(f.conversations, req.GetPageToken(), req.GetPageSize(), f.pageSize)
	if err != nil {
		return nil, err
	}
	return &relevov1.ListConversationsResponse{Conversations: items, NextPageToken: next}, nil
}

func (f *fakeRelevo) GetConversation(context.Context, *relevov1.GetConversationRequest) (*relevov1.GetConversationResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conversation == nil {
		return nil, status.Error(codes.NotFound, "conversation not found")
	}
	return f.conversation, nil
}

func (f *fakeRelevo) GetRun(_ context.Context, req *relevov1.GetRunRequest) (*relevov1.GetRunResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.runs[req.GetRunId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "run %s not found", req.GetRunId())
	}
	return &relevov1.GetRunResponse{Run: r}, nil
}

func (f *fakeRelevo) PauseConversation(_ context.Context, req *relevov1.PauseConversationRequest) (*relevov1.PauseConversationResponse, error) {
	return &relevov1.PauseConversationResponse{Conversation: &relevov1.Conversation{
		Id: req.GetConversationId(), State: relevov1.ConversationState_CONVERSATION_STATE_PAUSED,
	}}, nil
}

func (f *fakeRelevo) ResumeConversation(_ context.Context, req *relevov1.ResumeConversationRequest) (*relevov1.ResumeConversationResponse, error) {
	return &relevov1.ResumeConversationResponse{Conversation: &relevov1.Conversation{
		Id: req.GetConversationId(), State: relevov1.ConversationState_CONVERSATION_STATE_BOT,
	}}, nil
}

func (f *fakeRelevo) EraseContact(context.Context, *relevov1.EraseContactRequest) (*relevov1.EraseContactResponse, error) {
	return &relevov1.EraseContactResponse{ConversationsDeleted: 1, MessagesDeleted: 7, RunsDeleted: 3, TicketsDeleted: 1, EntriesDeleted: 1}, nil
}

// Channels.

func (f *fakeRelevo) Converse(_ context.Context, req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
	f.mu.Lock()
	converse := f.converse
	f.mu.Unlock()
	if converse == nil {
		return &relevov1.ConverseResponse{}, nil
	}
	return converse(req)
}

// The command line harness.

// result is what one run of relevoctl left behind.
type result struct {
	code           int
	stdout, stderr string
}

// testEnv is a fixed environment: user "ana" on host "desk", no RELEVO_*
// variables unless vars sets them.
func testEnv(vars map[string]string) env {
	all := map[string]string{"USER": "ana"}
	for k, v := range vars {
		all[k] = v
	}
	return env{
		getenv:   func(k string) string { return all[k] },
		hostname: func() (string, error) { return "desk", nil },
	}
}

// run runs relevoctl against the fake with stdin as input.
func (f *fakeRelevo) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runWith(t, testEnv(nil), stdin, append([]string{"--server", f.addr}, args...)...)
}

func runWith(t *testing.T, e env, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr, e)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// lineWaiter is a stdout that signals once it has seen n lines, for
// commands that run until interrupted.
type lineWaiter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	n     int
	reach chan struct{}
}

func newLineWaiter(n int) *lineWaiter { return &lineWaiter{n: n, reach: make(chan struct{})} }

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := bytes.Count(w.buf.Bytes(), []byte("\n"))
	w.buf.Write(p)
	after := bytes.Count(w.buf.Bytes(), []byte("\n"))
	if before < w.n && after >= w.n {
		close(w.reach)
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

var _ io.Writer = (*lineWaiter)(nil)
