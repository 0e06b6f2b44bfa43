package drivers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/relevo/relevo/adapters/channelkit"
	"github.com/relevo/relevo/adapters/notion/notiontest"
)

const (
	notionDB         = "c0ffee00-0000-4000-8000-00000000c1d0"
	notionHookSecret = "channelkit-notion-webhook-secret"
)

// Notion drives adapters/notion, the ticket desk, against notiontest's
// fake Notion API: its pages are the desk items, and "Enviar" is the
// page button's webhook.
type Notion struct {
	Cmd    Command
	notion *notiontest.Server
	p      *proc
	hook   string
}

var _ channelkit.DeskDriver = (*Notion)(nil)

// Name implements channelkit.DeskDriver.
func (d *Notion) Name() string { return "notion" }

// Start implements channelkit.DeskDriver.
func (d *Notion) Start(ctx context.Context, server string) error {
	d.notion = notiontest.Start()
	d.notion.AddDatabase(notionDB, notiontest.TicketSchema("status"))
	// The adapter logs its address in text; reserve one for it instead.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	p, _, err := start(ctx, d.Cmd, []string{
		"RELEVO_NOTION_LISTEN=" + addr, "RELEVO_NOTION_SERVER=" + server, "RELEVO_NOTION_TOKEN=" + notiontest.Token,
		"RELEVO_NOTION_DATABASE_ID=" + notionDB, "RELEVO_NOTION_WEBHOOK_SECRET=" + notionHookSecret,
		"RELEVO_NOTION_URL=" + d.notion.URL,
	}, "")
	if err != nil {
		d.notion.Close()
		return err
	}
	d.p, d.hook = p, "http://"+addr+"/notion/webhook"
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			d.notion.Close()
			return fmt.Errorf("the notion adapter exited before it served:\n%s", p.output())
		case <-ctx.Done():
			d.Stop()
			return fmt.Errorf("the notion adapter did not serve: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop implements channelkit.DeskDriver.
func (d *Notion) Stop() {
	d.p.stop()
	if d.notion != nil {
		d.notion.Close()
	}
}

// Items implements channelkit.DeskDriver.
func (d *Notion) Items(ticketID string) []string {
	return d.notion.FindPages(notionDB, "ID", ticketID)
}

// Submit implements channelkit.DeskDriver: the specialist writes the
// answer and presses the page's "Enviar" button.
func (d *Notion) Submit(ctx context.Context, page, answer string) (int, error) {
	d.notion.SetText(page, "Respuesta", answer)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.hook, bytes.NewReader(d.notion.SendWebhookBody(page, nil)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Relevo-Secret", notionHookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
