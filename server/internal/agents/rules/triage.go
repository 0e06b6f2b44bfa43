// Package rules holds the offline, deterministic agents of the chain:
// Triage answers small talk and routes everything else, Knowledge answers
// extractively from the knowledge base when retrieval is confident enough
// and hands off to a human otherwise. They need no model and no network.
package rules

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Triage is the rules implementation of the "Asistente Inicial".
type Triage struct {
	p *agents.Profile
}

// NewTriage returns the triage agent of the profile.
func NewTriage(p *agents.Profile) *Triage { return &Triage{p: p} }

// Act answers pure small talk with the profile's fixed texts, sends an
// explicit request for a person to Human, and everything else — including
// a greeting followed by a question — to Knowledge.
func (t *Triage) Act(_ context.Context, in agents.Input) (agents.Action, error) {
	name := t.p.Triage.Name
	text := strings.TrimSpace(in.Text)
	w := analysis.Words(text)
	if AsksForHuman(w) {
		return agents.Action{Handoff: agents.RoleHuman, Reason: "the user asked for a person"}, nil
	}
	kind, rest := classify(w)
	if len(w) == 0 {
		kind, rest = symbolsOnly(text), nil
	}
	if kind != talkNone && len(rest) == 0 {
		reply := t.reply(kind)
		return agents.Action{
			Reply: reply, Outcome: agents.OutcomeSmalltalk, Reason: "small talk",
			Steps: []agents.Step{{Agent: name, Kind: "decision", Detail: "small talk: " + kind.String()}},
		}, nil
	}
	if len(rest) == 0 {
		// Nothing but punctuation or filler: ask what they need.
		return agents.Action{Reply: t.p.Messages.Presence, Outcome: agents.OutcomeSmalltalk, Reason: "empty message"}, nil
	}
	return agents.Action{Handoff: agents.RoleKnowledge, Reason: "specific question"}, nil
}

func (t *Triage) reply(k talkKind) string {
	m := t.p.Messages
	switch k {
	case talkGoodbye:
		return m.Goodbye
	case talkThanks:
		return m.Thanks
	case talkPresence:
		return m.Presence
	default:
		return m.Greeting
	}
}

func (k talkKind) String() string {
	switch k {
	case talkGreeting:
		return "greeting"
	case talkPresence:
		return "presence"
	case talkThanks:
		return "thanks"
	case talkGoodbye:
		return "goodbye"
	}
	return "none"
}

// symbolsOnly classifies a message without words: emojis, "?", "...".
func symbolsOnly(text string) talkKind {
	switch {
	case text == "":
		return talkNone
	case strings.ContainsAny(text, "👋🙋"):
		return talkGreeting
	case strings.Contains(text, "?"):
		return talkPresence
	}
	for _, r := range text {
		if unicode.IsSymbol(r) || unicode.IsPunct(r) {
			return talkThanks // 👍, 🙏, ❤️, "!!"
		}
	}
	return talkNone
}

type phrase struct {
	kind  talkKind
	words []string
}

// phraseList holds the small-talk phrases, longest first.
var phraseList = func() []phrase {
	var list []phrase
	for k, ps := range phrases {
		for _, p := range ps {
			list = append(list, phrase{k, strings.Fields(p)})
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if len(list[i].words) != len(list[j].words) {
			return len(list[i].words) > len(list[j].words)
		}
		return strings.Join(list[i].words, " ") < strings.Join(list[j].words, " ")
	})
	return list
}()

// classify removes small-talk phrases and fillers from folded words. It
// returns the strongest kind of small talk found and the words left.
func classify(w []string) (talkKind, []string) {
	kind := talkNone
	var rest []string
	for i := 0; i < len(w); {
		matched := false
		for _, p := range phraseList {
			if hasPrefix(w[i:], p.words) {
				kind = max(kind, p.kind)
				i += len(p.words)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if !fillers[w[i]] {
			rest = append(rest, w[i])
		}
		i++
	}
	return kind, rest
}

func hasPrefix(w, p []string) bool {
	if len(p) > len(w) {
		return false
	}
	for i := range p {
		if w[i] != p[i] {
			return false
		}
	}
	return true
}

// AsksForHuman reports whether folded words ask to talk to a person.
func AsksForHuman(w []string) bool {
	joined := " " + strings.Join(w, " ") + " "
	for _, f := range humanFixed {
		if strings.Contains(joined, " "+f+" ") {
			return true
		}
	}
	for i, x := range w {
		switch {
		case contactVerbs[x]:
			for j := i + 1; j < len(w) && j <= i+5; j++ {
				if humanNouns[w[j]] {
					return true
				}
			}
		case wantVerbs[x]:
			j := i + 1
			for j < len(w) && j <= i+3 && articles[w[j]] {
				j++
			}
			if j < len(w) && j > i+1 && humanNouns[w[j]] {
				return true
			}
		}
	}
	return false
}

// StripSmallTalk removes greetings, thanks and courtesy words from a
// message so that only its request is searched ("Hola, buenos días, ¿cómo
// pago?" → "pago"-bearing words). It returns the text unchanged when
// nothing would be left.
func StripSmallTalk(text string) string {
	_, rest := classify(analysis.Words(text))
	if len(rest) == 0 {
		return text
	}
	return strings.Join(rest, " ")
}
