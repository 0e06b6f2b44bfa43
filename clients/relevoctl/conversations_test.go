package main

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func conversationFixture(f *fakeRelevo) {
	run := &relevov1.Run{
		Id:      "R-1",
		Outcome: relevov1.RunOutcome_RUN_OUTCOME_ESCALATE,
		Reason:  "no relevant passage above threshold",
		Agents:  []string{"Asistente Inicial", "Especialista en Conocimiento", "Especialista Humano"},
		Steps: []*relevov1.RunStep{
			{Agent: "Asistente Inicial", Kind: "handoff", Detail: "Especialista en Conocimiento"},
			{Agent: "Especialista en Conocimiento", Kind: "tool_call", Detail: `search_knowledge {"query":"cambio de dirección"}`},
			{Agent: "Especialista en Conocimiento", Kind: "search", Passages: []*relevov1.RunPassage{{Source: "envios.pdf", Page: 2, Score: 0.31, Snippet: "Los envíos salen en 24 h"}}},
		},
		PromptTokens: 812, CompletionTokens: 64, TicketId: "T-1",
		Duration: durationpb.New(1500 * time.Millisecond),
	}
	f.runs["R-1"] = run
	f.conversation = &relevov1.GetConversationResponse{
		Conversation: &relevov1.Conversation{
			Id: "C-1", Contact: &relevov1.Contact{Channel: "whatsapp", Address: "34600111222"},
			State: relevov1.ConversationState_CONVERSATION_STATE_TICKET_OPEN, OpenTicketId: "T-1", MessageCount: 2,
		},
		Messages: []*relevov1.ConversationMessage{
			{Id: "M-1", Author: relevov1.Author_AUTHOR_USER, Text: "¿Puedo cambiar la dirección?"},
			{Id: "M-2", Author: relevov1.Author_AUTHOR_BOT, AuthorName: "Especialista Humano", Text: "Te responderá una persona.",
				DeliveryStatus: relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED, Attempts: 3, FailureReason: "131047: re-engagement message"},
		},
		// The listing carries runs without their steps.
		Runs: []*relevov1.Run{{Id: "R-1", Outcome: run.GetOutcome()}},
	}
}

func TestConversationsShowPrintsMessagesAndFullRuns(t *testing.T) {
	f := startFake(t)
	conversationFixture(f)

	res := f.run(t, "", "conversations", "show", "C-1")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if req := f.requests("GetRun"); len(req) != 1 || req[0].(*relevov1.GetRunRequest).GetRunId() != "R-1" {
		t.Errorf("GetRun requests %v, want one for R-1", req)
	}
	for _, s := range []string{
		"State         ticket_open",
		"user", "¿Puedo cambiar la dirección?",
		"bot (Especialista Humano)  [failed, 3 attempts: 131047: re-engagement message]",
		"decision  escalate: no relevant passage above threshold",
		"agents    Asistente Inicial → Especialista en Conocimiento → Especialista Humano",
		"Asistente Inicial handoff: Especialista en Conocimiento",
		`tool_call: search_knowledge {"query":"cambio de dirección"}`,
		"0.310  envios.pdf p.2  Los envíos salen en 24 h",
		"tokens    812 prompt + 64 completion",
		"took 1.5s",
	} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("stdout %q, want %q", res.stdout, s)
		}
	}
}

func TestConversationsShowJSONCarriesFullRuns(t *testing.T) {
	f := startFake(t)
	conversationFixture(f)
	res := f.run(t, "", "-o", "json", "conversations", "show", "--channel", "whatsapp", "--address", "34600111222")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	req := f.requests("GetConversation")[0].(*relevov1.GetConversationRequest)
	if req.GetConversationId() != "" || req.GetContact().GetChannel() != "whatsapp" || req.GetContact().GetAddress() != "34600111222" {
		t.Errorf("request %v, want the contact", req)
	}
	var got relevov1.GetConversationResponse
	if err := protojson.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", res.stdout, err)
	}
	if len(got.GetRuns()) != 1 || !proto.Equal(got.GetRuns()[0], f.runs["R-1"]) {
		t.Errorf("runs %v, want the full run with its steps", got.GetRuns())
	}
}

func TestConversationsCommandsSendTheirFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		method string
		want   proto.Message
	}{
		{
			name: "list filters by channel and state", args: []string{"conversations", "list", "--channel", "whatsapp", "--state", "ticket_open"},
			method: "ListConversations", want: &relevov1.ListConversationsRequest{Channel: "whatsapp", State: relevov1.ConversationState_CONVERSATION_STATE_TICKET_OPEN},
		},
		{
			name: "pause sends the duration", args: []string{"conversations", "pause", "C-1", "--for", "2h"},
			method: "PauseConversation", want: &relevov1.PauseConversationRequest{ConversationId: "C-1", Duration: durationpb.New(2 * time.Hour)},
		},
		{
			name: "pause without --for leaves the default to the server", args: []string{"conversations", "pause", "C-1"},
			method: "PauseConversation", want: &relevov1.PauseConversationRequest{ConversationId: "C-1"},
		},
		{
			name: "resume sends the id", args: []string{"conversations", "resume", "C-1"},
			method: "ResumeConversation", want: &relevov1.ResumeConversationRequest{ConversationId: "C-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			res := f.run(t, "", tt.args...)
			reqs := f.requests(tt.method)
			if res.code != 0 || len(reqs) != 1 || !proto.Equal(reqs[0], tt.want) {
				t.Errorf("exit %d (stderr %q), requests %v; want 0 and %v", res.code, res.stderr, reqs, tt.want)
			}
		})
	}
}

func TestConversationsEraseAsksFirst(t *testing.T) {
	tests := []struct {
		name      string
		stdin     string
		yes       bool
		wantErase bool
	}{
		{name: "yes on stdin confirms", stdin: "yes\n", wantErase: true},
		{name: "anything else aborts", stdin: "no\n"},
		{name: "end of input aborts", stdin: ""},
		{name: "--yes skips the question", yes: true, wantErase: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			args := []string{"conversations", "erase", "--channel", "whatsapp", "--address", "34600111222"}
			if tt.yes {
				args = append(args, "--yes")
			}
			res := f.run(t, tt.stdin, args...)
			reqs := f.requests("EraseContact")
			if !tt.wantErase {
				if res.code != 1 || len(reqs) != 0 || !strings.Contains(res.stderr, "nothing was erased") {
					t.Errorf("exit %d, stderr %q, %d erase calls; want 1, a note, and no call", res.code, res.stderr, len(reqs))
				}
				return
			}
			want := &relevov1.EraseContactRequest{Contact: &relevov1.Contact{Channel: "whatsapp", Address: "34600111222"}}
			if res.code != 0 || len(reqs) != 1 || !proto.Equal(reqs[0], want) {
				t.Errorf("exit %d (stderr %q), requests %v; want 0 and %v", res.code, res.stderr, reqs, want)
			}
			if !strings.Contains(res.stdout, "1 conversation(s), 7 message(s), 3 run(s), 1 ticket(s), 1 learned entr(ies)") {
				t.Errorf("stdout %q, want the counts", res.stdout)
			}
		})
	}
}
