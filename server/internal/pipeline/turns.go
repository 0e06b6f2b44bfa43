package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/agents/rules"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// Hand-off reasons recorded on the run and the ticket when the customer is
// frustrated or the bot is going round in circles.
const (
	ReasonFrustration = "frustration"
	ReasonLoop        = "loop"
)

// AcceptPolicy is how a new inbound message is stored: the profile's quiet
// window, for messages nobody waits on synchronously, and the channel's
// customer-service window.
func (e *Engine) AcceptPolicy(channel string, synchronous bool) (quiet, quietCap, window time.Duration) {
	c := e.profile.Conversation
	if !synchronous {
		quiet, quietCap = c.QuietWindow, c.QuietWindowMax
	}
	return quiet, quietCap, e.cfg.ServiceWindows[channel]
}

// Typing marks a message read and shows "typing…" at once, while the quiet
// window waits for the customer to finish. Best effort; the run marks the
// newest message read again (the same dedupe key: at most once).
func (e *Engine) Typing(ctx context.Context, channel, conversationID, messageID, channelMessageID string) {
	if !e.readReceipt[channel] || e.profile.Conversation.QuietWindow <= 0 {
		return
	}
	draft := store.OutboundDraft{Kind: message.KindMarkRead, ReplyTo: channelMessageID, DedupeKey: "read:" + messageID}
	if err := e.st.EnqueueOutbound(ctx, conversationID, []store.OutboundDraft{draft}); err != nil {
		e.log.Warn("queue typing indicator", "conversation", conversationID, "err", err)
	}
}

// templateParamRunes bounds the part of a reply a template carries.
const templateParamRunes = 200

// WindowTemplate is the profile's approved template, sent instead of text
// outside the customer-service window, with the first part of text as its
// parameter when it has one; nil when the profile has none.
func (e *Engine) WindowTemplate(text string) *store.OutboundDraft {
	t := e.profile.Conversation.WindowTemplate
	if t.Name == "" {
		return nil
	}
	tmpl := &message.Template{Name: t.Name, Language: t.Language}
	shown := t.Text
	if t.AnswerParam {
		first := firstPart(text)
		tmpl.BodyParams = []string{first}
		shown = strings.ReplaceAll(shown, "{{1}}", first)
	}
	if shown == "" {
		shown = t.Name
	}
	return &store.OutboundDraft{Kind: message.KindTemplate, Text: shown, Details: message.Details{Template: tmpl},
		AuthorName: e.profile.Human.Name}
}

// firstPart is the first paragraph of text on one line (template
// parameters may hold no line breaks), cut at a word.
func firstPart(text string) string {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, "\n\n"); i > 0 {
		text = text[:i]
	}
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= templateParamRunes {
		return text
	}
	cut := string([]rune(text)[:templateParamRunes])
	if i := strings.LastIndex(cut, " "); i > templateParamRunes/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// withWindow gives every text draft the template to send in its place
// outside the customer-service window.
func (e *Engine) withWindow(drafts []store.OutboundDraft) []store.OutboundDraft {
	for i := range drafts {
		if drafts[i].Kind == message.KindText {
			drafts[i].OutsideWindow = e.WindowTemplate(drafts[i].Text)
		}
	}
	return drafts
}

// similarity is the share of two questions' content stems (see stems)
// they have in common (Jaccard).
func similarity(sa, sb map[string]bool) float64 {
	if len(sa) == 0 || len(sb) == 0 {
		return 0
	}
	common := 0
	for s := range sa {
		if sb[s] {
			common++
		}
	}
	return float64(common) / float64(len(sa)+len(sb)-common)
}

// stems are the content stems of a question, small talk and question
// frames aside.
func (e *Engine) stems(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range e.an.Terms(rules.StripSmallTalk(text)) {
		// Question-frame words ("puedo", "necesito") do not make two
		// questions different.
		if t.Weight >= 1 {
			out[t.Stem] = true
		}
	}
	return out
}

// handOffTurn says whether the turn goes to a person before the agents see
// it: the customer is frustrated, or asks again what the bot already
// answered Loop.Repeats times.
func (e *Engine) handOffTurn(text string, history []store.Message) (reason, detail string) {
	c := e.profile.Conversation
	if c.Frustration.Threshold > 0 {
		if w, signs := rules.Frustration(text); w >= c.Frustration.Threshold {
			return ReasonFrustration, fmt.Sprintf("signs of frustration weigh %d (threshold %d): %s",
				w, c.Frustration.Threshold, strings.Join(signs, ", "))
		}
	}
	if c.Loop.Repeats > 0 {
		answered := 0
		// The turn's stems once, not once per message of the history.
		asked := e.stems(text)
		for i, m := range history {
			if m.Direction != store.Inbound || similarity(e.stems(m.Text), asked) < c.Loop.Similarity {
				continue
			}
			if next := nextBotMessage(history[i+1:]); next != nil && next.AuthorName == e.profile.Knowledge.Name {
				answered++
			}
		}
		if answered >= c.Loop.Repeats {
			return ReasonLoop, fmt.Sprintf("the same question was answered %d times already (limit %d)", answered, c.Loop.Repeats)
		}
	}
	return "", ""
}

// repeatedAnswer says whether the bot already gave this answer Loop.Repeats
// times: giving it again is a loop.
func (e *Engine) repeatedAnswer(reply string, history []store.Message) (string, bool) {
	n := e.profile.Conversation.Loop.Repeats
	if n <= 0 {
		return "", false
	}
	given := 0
	for _, m := range history {
		if m.Direction == store.Outbound && m.Author == store.AuthorBot && strings.TrimSpace(m.Text) == strings.TrimSpace(reply) {
			given++
		}
	}
	if given < n {
		return "", false
	}
	return fmt.Sprintf("the bot would give the same answer a %s time (limit %d)", ordinal(given+1), n), true
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

func nextBotMessage(msgs []store.Message) *store.Message {
	for i := range msgs {
		switch {
		case msgs[i].Direction == store.Inbound:
			return nil
		case msgs[i].Author == store.AuthorBot:
			return &msgs[i]
		}
	}
	return nil
}

// settle records, every SettleInterval, the outcomes that time decides
// (answers met by no further question, tickets left unanswered).
func (e *Engine) settle(ctx context.Context) {
	c := e.profile.Conversation
	policy := store.SettlePolicy{ResolveAfter: c.ResolveAfter, AbandonAfter: c.AbandonAfter}
	if policy.ResolveAfter <= 0 && policy.AbandonAfter <= 0 {
		return
	}
	t := time.NewTicker(e.cfg.SettleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			n, err := e.st.SettleConversations(ctx, policy)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("settle conversations", "err", err)
				}
				break
			}
			if n > 0 {
				e.log.Debug("conversations settled", "count", n)
			}
			if n < 100 {
				break
			}
		}
	}
}
