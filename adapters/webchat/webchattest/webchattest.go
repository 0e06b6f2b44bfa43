// Package webchattest is a Go client of the web chat adapter's browser API,
// doing what the widget does (session, messages, the event stream, history,
// "seen"), for tests and the adapter conformance kit.
package webchattest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
)

// Client is one visitor's browser.
type Client struct {
	// Base is the adapter's URL, e.g. http://127.0.0.1:8092.
	Base string
	// Origin is the page's origin sent with every request.
	Origin string
	// Header holds further headers sent with every request, such as the
	// address a proxy in front of the adapter adds.
	Header http.Header
	hc     *http.Client
}

// New returns a visitor with an empty cookie jar.
func New(base, origin string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Base: strings.TrimSuffix(base, "/"), Origin: origin, hc: &http.Client{Jar: jar}}
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with the visitor's cookie and origin.
func (c *Client) Do(ctx context.Context, method, path string, body any) (Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{}, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, r)
	if err != nil {
		return Response{}, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if c.Origin != "" {
		req.Header.Set("Origin", c.Origin)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// Session opens the visitor's session (anonymous when userID is empty).
func (c *Client) Session(ctx context.Context, userID, userHash string) (Response, error) {
	body := map[string]string{}
	if userID != "" {
		body["user_id"], body["user_hash"] = userID, userHash
	}
	return c.Do(ctx, http.MethodPost, "/v1/session", body)
}

// Send posts a message with the widget's id for it.
func (c *Client) Send(ctx context.Context, id, text string) (Response, error) {
	return c.Do(ctx, http.MethodPost, "/v1/messages", map[string]string{"id": id, "text": text})
}

// Message is a message of the history or of the event stream.
type Message struct {
	ID        string `json:"id"`
	Author    string `json:"author"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Status    string `json:"status"`
	Buttons   []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"buttons"`
}

// History returns the visitor's conversation.
func (c *Client) History(ctx context.Context) ([]Message, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/history", nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("history: %d %s", resp.Status, resp.Body)
	}
	var h struct {
		Messages []Message `json:"messages"`
	}
	return h.Messages, json.Unmarshal(resp.Body, &h)
}

// Event is one server-sent event.
type Event struct {
	Type    string
	Data    []byte
	Message Message // for "message" events
}

// Events opens the event stream; the channel closes when it ends (ctx
// cancelled or the adapter gone). The first event is "ready".
func (c *Client) Events(ctx context.Context) (<-chan Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", c.Origin)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("events: %d %s", resp.StatusCode, b)
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var e Event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Type != "" {
					if e.Type == "message" {
						_ = json.Unmarshal(e.Data, &e.Message)
					}
					select {
					case ch <- e:
					case <-ctx.Done():
						return
					}
				}
				e = Event{}
			case strings.HasPrefix(line, "event: "):
				e.Type = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.Data = []byte(strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return ch, nil
}

// Seen reports that the visitor saw the business's messages.
func (c *Client) Seen(ctx context.Context, ids ...string) (Response, error) {
	return c.Do(ctx, http.MethodPost, "/v1/seen", map[string][]string{"ids": ids})
}
