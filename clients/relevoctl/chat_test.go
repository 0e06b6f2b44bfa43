package main

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// menuBot answers "hola" with a menu of buttons, a choice with its id, and
// anything else with an echo.
func menuBot(req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
	m := req.GetMessage()
	switch {
	case m.GetKind() == relevov1.InboundKind_INBOUND_KIND_CHOICE:
		return &relevov1.ConverseResponse{Replies: []*relevov1.OutboundMessage{{Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT, Text: "elegiste " + m.GetChoice().GetId()}}}, nil
	case m.GetText() == "hola":
		return &relevov1.ConverseResponse{Replies: []*relevov1.OutboundMessage{
			{Kind: relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ},
			{Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT, Text: "¡Hola! ¿Qué necesitas?", Buttons: []*relevov1.Button{
				{Id: "horario", Title: "Horario"}, {Id: "envios", Title: "Envíos"},
			}},
		}}, nil
	}
	return &relevov1.ConverseResponse{Replies: []*relevov1.OutboundMessage{{Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT, Text: "dijiste " + m.GetText()}}}, nil
}

func conversed(f *fakeRelevo) []*relevov1.ConverseRequest {
	var out []*relevov1.ConverseRequest
	for _, r := range f.requests("Converse") {
		out = append(out, r.(*relevov1.ConverseRequest))
	}
	return out
}

func TestChatSendsLinesAndPicksButtonsByNumber(t *testing.T) {
	f := startFake(t)
	f.converse = menuBot

	res := f.run(t, "hola\n\n2\n2\n/quit\nnever sent\n", "chat")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	reqs := conversed(f)
	if len(reqs) != 3 {
		t.Fatalf("sent %d messages, want 3 (empty lines skipped, nothing after /quit)", len(reqs))
	}
	ids := map[string]bool{}
	for _, r := range reqs {
		m := r.GetMessage()
		if m.GetContact().GetChannel() != "cli" || m.GetContact().GetAddress() != "ana@desk" {
			t.Errorf("contact %v, want cli:ana@desk", m.GetContact())
		}
		if r.GetTimeout().AsDuration() != 60*time.Second {
			t.Errorf("timeout %v, want the default 60s", r.GetTimeout().AsDuration())
		}
		if ids[m.GetChannelMessageId()] || m.GetChannelMessageId() == "" {
			t.Errorf("channel_message_id %q is empty or repeated", m.GetChannelMessageId())
		}
		ids[m.GetChannelMessageId()] = true
	}
	if m := reqs[1].GetMessage(); m.GetKind() != relevov1.InboundKind_INBOUND_KIND_CHOICE || m.GetChoice().GetId() != "envios" || m.GetChoice().GetTitle() != "Envíos" {
		t.Errorf("second message %v, want a CHOICE of button 2 (envios)", m)
	}
	// The answer to the choice offered no buttons, so "2" is text again.
	if m := reqs[2].GetMessage(); m.GetKind() != relevov1.InboundKind_INBOUND_KIND_TEXT || m.GetText() != "2" {
		t.Errorf("third message %v, want the text 2", m)
	}
	want := "¡Hola! ¿Qué necesitas?\n  1) Horario\n  2) Envíos\nelegiste envios\ndijiste 2\n"
	if res.stdout != want {
		t.Errorf("stdout %q, want %q", res.stdout, want)
	}
}

func TestChatAddressAndJSON(t *testing.T) {
	f := startFake(t)
	f.converse = menuBot
	res := f.run(t, "buenas", "-o", "json", "chat", "--address", "qa-1", "--wait", "5s")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	req := conversed(f)[0]
	if req.GetMessage().GetContact().GetAddress() != "qa-1" || req.GetTimeout().AsDuration() != 5*time.Second {
		t.Errorf("request %v, want address qa-1 and timeout 5s", req)
	}
	var resp relevov1.ConverseResponse
	if err := protojson.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &resp); err != nil || resp.GetReplies()[0].GetText() != "dijiste buenas" {
		t.Errorf("stdout %q (%v), want the response as JSON", res.stdout, err)
	}
}

func TestChatReportsSilenceAndTimeouts(t *testing.T) {
	f := startFake(t)
	f.converse = func(req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
		return &relevov1.ConverseResponse{TimedOut: req.GetMessage().GetText() == "lento"}, nil
	}
	res := f.run(t, "lento\ncallado\n", "chat")
	if res.code != 0 || res.stdout != "" {
		t.Errorf("exit %d, stdout %q; want 0 and nothing on stdout", res.code, res.stdout)
	}
	for _, s := range []string{"no answer within 1m0s", "a person is in charge"} {
		if !strings.Contains(res.stderr, s) {
			t.Errorf("stderr %q, want %q", res.stderr, s)
		}
	}
}

func TestChatErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantSent int
	}{
		{"a failed message is reported and the chat goes on", status.Error(codes.Internal, "internal error"), 3},
		{"a refused caller ends the chat at once", status.Error(codes.PermissionDenied, "admin or adapter role required"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			f.converse = func(req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
				if req.GetMessage().GetText() == "uno" {
					return nil, tt.err
				}
				return menuBot(req)
			}
			res := f.run(t, "uno\ndos\ntres\n", "chat")
			if res.code != 1 {
				t.Errorf("exit %d, want 1", res.code)
			}
			if got := len(conversed(f)); got != tt.wantSent {
				t.Errorf("sent %d messages, want %d", got, tt.wantSent)
			}
			if want := codes.Code(status.Code(tt.err)).String() + ": " + status.Convert(tt.err).Message(); !strings.Contains(res.stderr, want) {
				t.Errorf("stderr %q, want %q", res.stderr, want)
			}
		})
	}
}
