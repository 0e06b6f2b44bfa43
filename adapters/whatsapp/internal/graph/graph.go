// Package graph is a small client of the WhatsApp Cloud API (Meta's Graph
// API): sending messages, marking them read and downloading inbound media.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxJSONResponse bounds the JSON bodies read from the API; real answers are
// a few hundred bytes.
const maxJSONResponse = 1 << 20

// ErrTooLarge is returned by Download when the file exceeds the limit.
var ErrTooLarge = errors.New("media larger than the limit")

// Client calls the Cloud API with one access token. It is safe for
// concurrent use.
type Client struct {
	base    string
	version string
	token   string
	http    *http.Client
}

// New returns a client of the Graph API at baseURL (e.g.
// https://graph.facebook.com) using API version (e.g. v24.0). hc may be nil
// for a client with a 30-second timeout.
func New(baseURL, version, accessToken string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), version: version, token: accessToken, http: hc}
}

// Message is the body of POST /{version}/{phone-number-id}/messages for the
// kinds of messages Relevo sends.
type Message struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type,omitempty"`
	To               string       `json:"to,omitempty"`
	Recipient        string       `json:"recipient,omitempty"`
	Context          *Context     `json:"context,omitempty"`
	Type             string       `json:"type"`
	Text             *Text        `json:"text,omitempty"`
	Interactive      *Interactive `json:"interactive,omitempty"`
	Template         *Template    `json:"template,omitempty"`
}

// Context quotes an earlier message.
type Context struct {
	MessageID string `json:"message_id"`
}

// Text is a text message body.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Interactive is a message with reply buttons.
type Interactive struct {
	Type   string          `json:"type"`
	Body   InteractiveBody `json:"body"`
	Action Action          `json:"action"`
}

// InteractiveBody is the text above the buttons.
type InteractiveBody struct {
	Text string `json:"text"`
}

// Action holds the reply buttons.
type Action struct {
	Buttons []ReplyButton `json:"buttons"`
}

// ReplyButton is one reply button.
type ReplyButton struct {
	Type  string `json:"type"`
	Reply Reply  `json:"reply"`
}

// Reply is the id and title of a reply button.
type Reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Template is an approved template to send.
type Template struct {
	Name       string      `json:"name"`
	Language   Language    `json:"language"`
	Components []Component `json:"components,omitempty"`
}

// Language selects the template's translation.
type Language struct {
	Code string `json:"code"`
}

// Component is a template component with its parameters.
type Component struct {
	Type       string      `json:"type"`
	Parameters []Parameter `json:"parameters"`
}

// Parameter is one positional text parameter.
type Parameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// readReceipt is the body that marks a message read.
type readReceipt struct {
	MessagingProduct string           `json:"messaging_product"`
	Status           string           `json:"status"`
	MessageID        string           `json:"message_id"`
	TypingIndicator  *typingIndicator `json:"typing_indicator,omitempty"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// Send posts a message from the business number phoneNumberID and returns
// the id Meta gave it (wamid....). Meta's acceptance does not mean delivery;
// status webhooks tell that later.
func (c *Client) Send(ctx context.Context, phoneNumberID string, m *Message) (string, error) {
	var resp sendResponse
	if err := c.postJSON(ctx, c.messagesURL(phoneNumberID), m, &resp); err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return "", errors.New("send message: response has no message id")
	}
	return resp.Messages[0].ID, nil
}

// MarkRead marks an inbound message (and the ones before it) read and, with
// typing, shows the typing indicator until the reply or for 25 seconds.
func (c *Client) MarkRead(ctx context.Context, phoneNumberID, messageID string, typing bool) error {
	body := readReceipt{MessagingProduct: "whatsapp", Status: "read", MessageID: messageID}
	if typing {
		body.TypingIndicator = &typingIndicator{Type: "text"}
	}
	return c.postJSON(ctx, c.messagesURL(phoneNumberID), body, nil)
}

// MediaInfo describes an uploaded or received media object.
type MediaInfo struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	// FileSize is a decimal string in Meta's responses.
	FileSize json.Number `json:"file_size"`
}

// Media looks up a media id and returns its short-lived download URL.
func (c *Client) Media(ctx context.Context, mediaID string) (MediaInfo, error) {
	var info MediaInfo
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/"+c.version+"/"+url.PathEscape(mediaID), nil)
	if err != nil {
		return info, fmt.Errorf("media %s: %w", mediaID, err)
	}
	if err := c.do(req, &info); err != nil {
		return info, fmt.Errorf("media %s: %w", mediaID, err)
	}
	if info.URL == "" {
		return info, fmt.Errorf("media %s: response has no url", mediaID)
	}
	return info, nil
}

// Download fetches a media URL with the access token (Meta refuses it
// without) and returns at most limit bytes, or ErrTooLarge.
func (c *Client) Download(ctx context.Context, mediaURL string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, fmt.Errorf("download media: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download media: %w", errorFromResponse(resp))
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("download media: %d bytes: %w", resp.ContentLength, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download media: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("download media: %w", ErrTooLarge)
	}
	return data, nil
}

// FetchMedia resolves a media id and downloads it, refusing files larger
// than limit.
func (c *Client) FetchMedia(ctx context.Context, mediaID string, limit int64) ([]byte, error) {
	info, err := c.Media(ctx, mediaID)
	if err != nil {
		return nil, err
	}
	if n, err := info.FileSize.Int64(); err == nil && n > limit {
		return nil, fmt.Errorf("media %s: %d bytes: %w", mediaID, n, ErrTooLarge)
	}
	return c.Download(ctx, info.URL, limit)
}

func (c *Client) messagesURL(phoneNumberID string) string {
	return c.base + "/" + c.version + "/" + url.PathEscape(phoneNumberID) + "/messages"
}

func (c *Client) postJSON(ctx context.Context, u string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

// do sends req with the token and decodes a 2xx JSON answer into out (when
// not nil); any other answer becomes an *Error.
func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorFromResponse(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONResponse))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// Error is an error answer of the Graph API. Meta asks integrators to act on
// Code (and Details), not on the HTTP status, which is mostly 400.
type Error struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	Details    string
	FBTraceID  string
	// RetryAfter is the Retry-After header, when Meta sent one.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	msg := fmt.Sprintf("graph api: http %d", e.HTTPStatus)
	if e.Code != 0 {
		msg += fmt.Sprintf(", code %d", e.Code)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Details != "" && e.Details != e.Message {
		msg += " (" + e.Details + ")"
	}
	return msg
}

type errorEnvelope struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

func errorFromResponse(resp *http.Response) *Error {
	e := &Error{HTTPStatus: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxJSONResponse))
	var env errorEnvelope
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Code = env.Error.Code
		e.Subcode = env.Error.Subcode
		e.Type = env.Error.Type
		e.Message = env.Error.Message
		e.Details = env.Error.ErrorData.Details
		e.FBTraceID = env.Error.FBTraceID
		return e
	}
	// Not a Graph error (a proxy's page, an empty body): keep a short,
	// printable excerpt for the logs.
	excerpt := strings.TrimSpace(string(body))
	if len(excerpt) > 200 {
		excerpt = excerpt[:200]
	}
	e.Message = strings.ToValidUTF8(excerpt, "?")
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
