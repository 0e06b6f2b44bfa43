package app

import (
	"time"

	"github.com/relevo/relevo/server/internal/agents"
)

// WithLLM runs the Triage and Knowledge roles in llm mode against the
// OpenAI-compatible chat API at baseURL (e.g. an openaitest fake), so every
// answer costs real model calls. It starts from the profile set by an
// earlier WithProfile, or else the embedded sample profile (a --profile file
// is then ignored); put it after WithProfile. The API key is read as usual
// from the environment variable the profile names (see WithGetenv), and New
// fails when it is empty. Load
// benchmarks and end-to-end tests use it, since the profile type is internal.
func WithLLM(baseURL string) Option {
	return func(o *options) {
		p := o.profile
		if p == nil {
			p = agents.DefaultProfile()
		} else {
			cp := *p // leave the caller's profile as it was
			p = &cp
		}
		p.Triage.Mode = "llm"
		p.Knowledge.Mode = "llm"
		p.LLM.BaseURL = baseURL
		o.profile = p
	}
}

// WithQuietWindow sets the profile's quiet window (0: each message is
// answered at once), starting, like WithLLM, from the profile set so far.
// Load benchmarks measure the pipeline, not the customers' typing pace.
func WithQuietWindow(d time.Duration) Option {
	return func(o *options) {
		p := o.profile
		if p == nil {
			p = agents.DefaultProfile()
		} else {
			cp := *p
			p = &cp
		}
		p.Conversation.QuietWindow, p.Conversation.QuietWindowMax = d, 4*d
		o.profile = p
	}
}
