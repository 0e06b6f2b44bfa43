package drivers

import (
	"context"
	"fmt"
	"sync"

	"github.com/relevo/relevo/adapters/channelkit"
	"github.com/relevo/relevo/adapters/webchat/webchattest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const webchatOrigin = "http://site.channelkit.test"

// Webchat drives adapters/webchat as visitors' browsers do: a session, POSTed
// messages, and the event stream on which replies arrive.
type Webchat struct {
	Cmd  Command
	p    *proc
	base string
	log  *sentLog
	stop context.CancelFunc

	mu       sync.Mutex
	visitors map[string]*webchattest.Client
}

var _ channelkit.Driver = (*Webchat)(nil)

// Name implements channelkit.Driver.
func (d *Webchat) Name() string { return "webchat" }

// Start implements channelkit.Driver.
func (d *Webchat) Start(ctx context.Context, server string) error {
	d.log, d.visitors = newSentLog(), map[string]*webchattest.Client{}
	p, addr, err := start(ctx, d.Cmd, []string{
		"RELEVO_WEBCHAT_LISTEN=127.0.0.1:0", "RELEVO_WEBCHAT_SERVER=" + server,
		"RELEVO_WEBCHAT_ALLOWED_ORIGINS=" + webchatOrigin, "RELEVO_WEBCHAT_COOKIE_SECRET=channelkit-cookie-secret-0123456789",
		"RELEVO_WEBCHAT_RATE_PER_MINUTE=6000", "RELEVO_WEBCHAT_BURST=1000", "RELEVO_WEBCHAT_ADDRESS_RATE_PER_MINUTE=0", "RELEVO_WEBCHAT_LOG_FORMAT=json",
	}, "webchat adapter started")
	if err != nil {
		return err
	}
	d.p, d.base = p, "http://"+addr
	d.stop = func() {}
	return nil
}

// Stop implements channelkit.Driver.
func (d *Webchat) Stop() {
	d.mu.Lock()
	stop := d.stop
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
	d.p.stop()
}

// visitor returns the browser of from, with a session and its event stream
// open, so that replies to it are observed.
func (d *Webchat) visitor(ctx context.Context, from string) (*webchattest.Client, error) {
	d.mu.Lock()
	c := d.visitors[from]
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c = webchattest.New(d.base, webchatOrigin)
	resp, err := c.Session(ctx, "", "")
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		return nil, fmt.Errorf("session: %d %s", resp.Status, resp.Body)
	}
	sctx, cancel := context.WithCancel(context.Background())
	d.mu.Lock()
	prev := d.stop
	d.stop = func() { cancel(); prev() }
	d.mu.Unlock()
	events, err := c.Events(sctx)
	if err != nil {
		return nil, err
	}
	if e := <-events; e.Type != "ready" {
		return nil, fmt.Errorf("event stream opened with %q, want ready", e.Type)
	}
	go func() {
		for e := range events {
			if e.Type != "message" {
				continue
			}
			d.log.add(channelkit.Sent{Text: e.Message.Text, ProviderID: "wc_" + e.Message.ID})
		}
	}()
	d.mu.Lock()
	d.visitors[from] = c
	d.mu.Unlock()
	return c, nil
}

// Deliver implements channelkit.Driver: the widget's POST, whose id a
// retry repeats.
func (d *Webchat) Deliver(ctx context.Context, in channelkit.Inbound) (int, error) {
	c, err := d.visitor(ctx, in.From)
	if err != nil {
		return 0, err
	}
	resp, err := c.Send(ctx, in.ID, in.Text)
	return resp.Status, err
}

// WaitSent implements channelkit.Driver.
func (d *Webchat) WaitSent(ctx context.Context, n int) ([]channelkit.Sent, error) {
	return d.log.wait(ctx, n)
}

// PrepareFailure implements channelkit.Driver: a web chat has no
// templates, so one must be failed.
func (d *Webchat) PrepareFailure(m *relevov1.OutboundMessage) {
	m.Kind = relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE
	m.Template = &relevov1.Template{Name: "reengage", Language: "es"}
}
