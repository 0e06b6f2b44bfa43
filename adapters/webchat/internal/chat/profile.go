package chat

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Defaults of the widget when neither the settings nor the server's
// profile say.
const (
	defaultCompany  = "Relevo"
	defaultLanguage = "es"
)

// profileTTL is how long the server's company profile is reused before it
// is read again, so a changed profile reaches new visitors within a minute
// without one call per page view.
const profileTTL = time.Minute

// profileTimeout bounds the read on a visitor's request: a server that is
// away costs the page little and the widget falls back to what it knows.
const profileTimeout = 2 * time.Second

// widgetProfile completes the configured widget with the company profile
// the server holds: what the settings leave empty (company, language,
// welcome) comes from there.
type widgetProfile struct {
	configured Widget
	channels   Channels
	// reads makes concurrent visitors share one read of the profile.
	reads singleflight.Group

	mu      sync.Mutex
	read    time.Time
	profile *relevov1.GetChannelProfileResponse
}

// widget returns the widget as visitors see it now.
func (p *widgetProfile) widget(ctx context.Context) Widget {
	w := p.configured
	if w.Company != "" && w.Language != "" && w.Welcome != "" {
		return w
	}
	if prof := p.current(ctx); prof != nil {
		if w.Company == "" {
			w.Company = prof.GetCompanyName()
		}
		if w.Language == "" && (prof.GetLanguage() == "es" || prof.GetLanguage() == "en") {
			w.Language = prof.GetLanguage()
		}
		if w.Welcome == "" && (p.configured.Language == "" || p.configured.Language == prof.GetLanguage()) {
			// The profile's greeting is in the profile's language: it is
			// the welcome only of a widget speaking that language.
			w.Welcome = prof.GetGreeting()
		}
	}
	if w.Company == "" {
		w.Company = defaultCompany
	}
	if w.Language == "" {
		w.Language = defaultLanguage
	}
	return w
}

// current returns the server's profile, read at most once per profileTTL.
// While it is read again, visitors get the one read before, if any: a slow
// server holds up only the first visitors, never those after them.
func (p *widgetProfile) current(ctx context.Context) *relevov1.GetChannelProfileResponse {
	p.mu.Lock()
	prof, due := p.profile, time.Since(p.read) >= profileTTL
	p.mu.Unlock()
	if !due {
		return prof
	}
	// The read belongs to no visitor: one who leaves does not cut it short
	// for those waiting on it.
	done := p.reads.DoChan("profile", func() (any, error) {
		p.fetch(context.WithoutCancel(ctx))
		return nil, nil
	})
	if prof != nil {
		return prof
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.profile
}

// fetch reads the profile from the server. A failed read is retried no
// sooner than a success would be, so a server that is away is not asked on
// every page view; the last profile read stays meanwhile.
func (p *widgetProfile) fetch(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, profileTimeout)
	defer cancel()
	prof, err := p.channels.GetChannelProfile(ctx, &relevov1.GetChannelProfileRequest{})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.read = time.Now()
	if err == nil {
		p.profile = prof
	}
}
