package main

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// fakeKnowledge answers Search from a table of best scores.
type fakeKnowledge struct {
	relevov1.KnowledgeServiceClient // other methods are not called
	scores                          map[string]float64
	err                             error
}

func (f fakeKnowledge) Search(_ context.Context, in *relevov1.SearchRequest, _ ...grpc.CallOption) (*relevov1.SearchResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	resp := &relevov1.SearchResponse{AnswerThreshold: 0.6}
	if s, ok := f.scores[in.GetQuery()]; ok {
		resp.Results = []*relevov1.SearchResult{{Score: s}}
	}
	return resp, nil
}

func TestAnswerable(t *testing.T) {
	candidates := []string{"a", "b", "c"}
	tests := []struct {
		name    string
		kb      fakeKnowledge
		want    []string
		wantErr bool
	}{
		{"questions below the threshold or without hits are left out",
			fakeKnowledge{scores: map[string]float64{"a": 0.9, "b": 0.59}}, []string{"a"}, false},
		{"a score at the threshold is answered",
			fakeKnowledge{scores: map[string]float64{"a": 0.6, "b": 0.6, "c": 0.6}}, candidates, false},
		{"a server that refuses the search gets every question",
			fakeKnowledge{err: status.Error(codes.PermissionDenied, "admin only")}, candidates, false},
		{"no answerable question is an error",
			fakeKnowledge{scores: map[string]float64{"a": 0.1}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := answerable(context.Background(), tt.kb, candidates, slog.New(slog.DiscardHandler))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("answerable = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRouterHandsRepliesToTheirUserAndAcksEveryMessage(t *testing.T) {
	r := newRouter([]string{"u1"})
	msgs := []*relevov1.OutboundMessage{
		{Id: "o1", ConversationId: "c1", To: &relevov1.Contact{Address: "u1"}, Buttons: []*relevov1.Button{{Id: "yes"}}},
		{Id: "o2", ConversationId: "c9", To: &relevov1.Contact{Address: "someone-else"}},
	}
	for _, m := range msgs {
		id, err := r.handle(context.Background(), m)
		if err != nil || id == "" {
			t.Errorf("handle(%s) = %q, %v; want a provider id and no error", m.GetId(), id, err)
		}
	}
	select {
	case rep := <-r.users["u1"]:
		if rep.conversationID != "c1" || !rep.kbAnswer || rep.at.IsZero() {
			t.Errorf("u1 got %+v, want conversation c1, a knowledge-base answer and a time", rep)
		}
	default:
		t.Fatal("u1 got no reply")
	}
	if got := r.received.Load(); got != 2 {
		t.Errorf("received = %d, want 2", got)
	}
	if got := r.stray.Load(); got != 1 {
		t.Errorf("stray = %d, want 1 (the message for an unknown address)", got)
	}
}
