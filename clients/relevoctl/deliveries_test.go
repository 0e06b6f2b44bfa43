package main

import (
	"context"
	"strings"
	"testing"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func (f *fakeRelevo) ListDeliveries(_ context.Context, req *relevov1.ListDeliveriesRequest) (*relevov1.ListDeliveriesResponse, error) {
	return &relevov1.ListDeliveriesResponse{Deliveries: []*relevov1.Delivery{{
		Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"},
		Message: &relevov1.ConversationMessage{Id: "m1", ConversationId: "c1", Text: "Tu pedido llega mañana",
			DeliveryStatus: relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED, Attempts: 3, FailureReason: "131047: more than 24 hours\x1b]0;x\x07"},
	}}}, nil
}

func TestDeliveriesListsWhatNeedsAttention(t *testing.T) {
	f := startFake(t)
	res := f.run(t, "", "deliveries")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"failed", "whatsapp:56911112222", "c1", "131047", "Tu pedido"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.ContainsRune(res.stdout, 0x1b) {
		t.Errorf("a control sequence from the failure reason reached the terminal: %q", res.stdout)
	}
	req := f.requests("ListDeliveries")[0].(*relevov1.ListDeliveriesRequest)
	if len(req.GetStatuses()) != 3 || req.GetSince() == nil {
		t.Errorf("default request %v, want the three attention states of the last 7 days", req)
	}

	if res := f.run(t, "", "deliveries", "--status", "sent,read", "--channel", "webchat"); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	req = f.requests("ListDeliveries")[1].(*relevov1.ListDeliveriesRequest)
	if got := req.GetStatuses(); len(got) != 2 || got[0] != relevov1.DeliveryStatus_DELIVERY_STATUS_SENT || req.GetChannel() != "webchat" {
		t.Errorf("request %v", req)
	}
	if res := f.run(t, "", "deliveries", "--status", "lost"); res.code == 0 || !strings.Contains(res.stderr, "lost") {
		t.Errorf("unknown state: exit %d, stderr %q", res.code, res.stderr)
	}
}
