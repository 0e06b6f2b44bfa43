package drivers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/relevo/relevo/adapters/channelkit"
	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const waSecret = "channelkit-app-secret"

// WhatsApp drives adapters/whatsapp against graphtest's fake Cloud API.
type WhatsApp struct {
	Cmd   Command
	graph *graphtest.Server
	p     *proc
	url   string
	log   *sentLog

	mu     sync.Mutex
	failed map[int]bool // indexes (1-based) of messages calls answered with an error
	users  map[string]string
}

var _ channelkit.Driver = (*WhatsApp)(nil)

// Name implements channelkit.Driver.
func (d *WhatsApp) Name() string { return "whatsapp" }

// Start implements channelkit.Driver.
func (d *WhatsApp) Start(ctx context.Context, server string) error {
	d.graph = graphtest.Start()
	d.log = newSentLog()
	d.failed, d.users = map[int]bool{}, map[string]string{}
	p, addr, err := start(ctx, d.Cmd, []string{
		"RELEVO_WHATSAPP_LISTEN=127.0.0.1:0", "RELEVO_WHATSAPP_SERVER=" + server,
		"RELEVO_WHATSAPP_VERIFY_TOKEN=channelkit", "RELEVO_WHATSAPP_APP_SECRET=" + waSecret,
		"RELEVO_WHATSAPP_ACCESS_TOKEN=" + graphtest.DefaultToken, "RELEVO_WHATSAPP_GRAPH_URL=" + d.graph.URL,
		"RELEVO_WHATSAPP_LOG_FORMAT=json",
	}, "whatsapp adapter started")
	if err != nil {
		d.graph.Close()
		return err
	}
	d.p, d.url = p, "http://"+addr+"/webhook"
	return nil
}

// Stop implements channelkit.Driver.
func (d *WhatsApp) Stop() {
	d.p.stop()
	if d.graph != nil {
		d.graph.Close()
	}
}

func (d *WhatsApp) waID(from string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.users[from]; ok {
		return id
	}
	id := "5691100000" + strconv.Itoa(len(d.users))
	d.users[from] = id
	return id
}

// Deliver implements channelkit.Driver: a signed webhook, as Meta sends it.
func (d *WhatsApp) Deliver(ctx context.Context, in channelkit.Inbound) (int, error) {
	body := graphtest.TextWebhook(graphtest.DefaultBusiness, d.waID(in.From), in.From, "wamid."+in.ID, in.Text, time.Now())
	req, err := graphtest.NewWebhookRequest(d.url, waSecret, body)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sent returns the text messages the fake accepted, with the ids it gave.
func (d *WhatsApp) sent() []channelkit.Sent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []channelkit.Sent
	for i, r := range d.graph.MessageRequests() {
		var body struct {
			Type string `json:"type"`
			Text struct {
				Body string `json:"body"`
			} `json:"text"`
		}
		if json.Unmarshal(r.Body, &body) != nil || body.Type != "text" || d.failed[i+1] {
			continue
		}
		out = append(out, channelkit.Sent{Text: body.Text.Body, ProviderID: graphtest.MessageID(i + 1)})
	}
	return out
}

// WaitSent implements channelkit.Driver.
func (d *WhatsApp) WaitSent(ctx context.Context, n int) ([]channelkit.Sent, error) {
	err := d.log.waitFor(ctx, n, func() int { return len(d.sent()) })
	return d.sent(), err
}

// PrepareFailure implements channelkit.Driver: the Cloud API refuses the
// next message for good (the user's number cannot receive messages).
func (d *WhatsApp) PrepareFailure(*relevov1.OutboundMessage) {
	d.mu.Lock()
	d.failed[len(d.graph.MessageRequests())+1] = true
	d.mu.Unlock()
	d.graph.Queue(graphtest.ErrorResponse(http.StatusBadRequest, 131026, "Message Undeliverable", "Unable to deliver message."))
}
