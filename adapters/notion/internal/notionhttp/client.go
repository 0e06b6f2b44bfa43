package notionhttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/jomei/notionapi"
	"golang.org/x/time/rate"
)

// ClientOptions configures NewClient.
type ClientOptions struct {
	// Token is the integration's secret.
	Token string
	// BaseURL is the Notion API base URL (https://api.notion.com, or a fake).
	BaseURL string
	// Version is the Notion-Version header.
	Version string
	// Rate is the average number of requests per second.
	Rate float64
	// Logger receives retry notices.
	Logger *slog.Logger
}

// NewClient returns the notionapi client with a Transport under it: pacing,
// retries and the configured base URL. The adapter and its setup command
// both talk to Notion through it.
func NewClient(o ClientOptions) (*notionapi.Client, error) {
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("notion base URL: %w", err)
	}
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("unexpected http.DefaultTransport")
	}
	tr := dt.Clone()
	// Notion answers within 60 s or gives up itself; an attempt that takes
	// longer is stuck.
	tr.ResponseHeaderTimeout = 75 * time.Second
	burst := max(1, int(o.Rate))
	hc := &http.Client{Transport: New(Options{
		Base:    tr,
		BaseURL: base,
		Limiter: rate.NewLimiter(rate.Limit(o.Rate), burst),
		Logger:  o.Logger,
	})}
	// WithRetry(1): the library's own 429 retry would resend a drained
	// body; the transport retries instead, so the library sees no 429.
	return notionapi.NewClient(notionapi.Token(o.Token),
		notionapi.WithHTTPClient(hc), notionapi.WithVersion(o.Version), notionapi.WithRetry(1)), nil
}
