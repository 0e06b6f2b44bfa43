package agents

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Profile is a company's configuration of the chain: names, language,
// instructions, modes, thresholds and models. It is one YAML file, so a new
// company needs no code change.
type Profile struct {
	Company  Company `yaml:"company"`
	LLM      LLM     `yaml:"llm"`
	MaxTurns int     `yaml:"max_turns"`
	// AgentTimeout bounds one agent's turn.
	AgentTimeout time.Duration  `yaml:"agent_timeout"`
	Triage       TriageConfig   `yaml:"triage"`
	Knowledge    KnowledgeCfg   `yaml:"knowledge"`
	Human        HumanConfig    `yaml:"human"`
	Messages     MessagesConfig `yaml:"messages"`
	Learning     LearningConfig `yaml:"learning"`
	// Conversation says how turns are taken and when a conversation ends.
	Conversation ConversationConfig `yaml:"conversation"`
}

// ConversationConfig configures the turns of a conversation: waiting for
// the customer to finish typing, handing off frustration and loops, when an
// answer counts as resolving, and the template that reopens a closed
// customer-service window. Zero values turn each part off.
type ConversationConfig struct {
	// QuietWindow: messages are answered once the customer has been quiet
	// this long ("Hola" / "tengo una duda" / the question are one turn);
	// QuietWindowMax caps the wait from the first message. 0: off.
	QuietWindow    time.Duration `yaml:"quiet_window"`
	QuietWindowMax time.Duration `yaml:"quiet_window_max"`
	// Frustration hands the conversation to a person when the signs of
	// frustration in a turn (insults, "no sirve", "??", "!!!", all caps)
	// weigh at least Threshold. 0: off.
	Frustration FrustrationConfig `yaml:"frustration"`
	// Loop hands the conversation to a person when the bot would answer the
	// same question, or give the same answer, for the Repeats+1-th time.
	Loop LoopConfig `yaml:"loop"`
	// ResolveAfter: an answer met by no further question this long counts
	// as resolved by the bot. 0: only a confirmation does.
	ResolveAfter time.Duration `yaml:"resolve_after"`
	// AbandonAfter: a ticket unanswered this long counts as abandoned.
	// 0: only a ticket closed unanswered does.
	AbandonAfter time.Duration `yaml:"abandon_after"`
	// WindowTemplate is the approved template sent when a reply is due
	// outside the channel's customer-service window (WhatsApp: 24 hours
	// after the customer's last message); the reply follows when the
	// customer writes again. Empty name: the reply just waits.
	WindowTemplate WindowTemplate `yaml:"window_template"`
}

// FrustrationConfig sets the frustration hand-off.
type FrustrationConfig struct {
	// Threshold is the weight of signs that hands off: an insult or a "no
	// sirve" weighs 2, repeated "??"/"!!!" and all caps 1 each. 0: off.
	Threshold int `yaml:"threshold"`
}

// LoopConfig sets the loop hand-off.
type LoopConfig struct {
	// Repeats is how many times the bot may answer the same question (or
	// give the same answer); 0: off.
	Repeats int `yaml:"repeats"`
	// Similarity is the share of words two questions must share to be the
	// same question (default 0.8).
	Similarity float64 `yaml:"similarity"`
}

// WindowTemplate is an approved message template.
type WindowTemplate struct {
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
	// AnswerParam: the template has one body parameter, filled with the
	// first part of the reply.
	AnswerParam bool `yaml:"answer_param"`
	// Text is what the conversation history shows for the template.
	Text string `yaml:"text"`
}

// Company describes the business the bot speaks for.
type Company struct {
	Name        string `yaml:"name"`
	Language    string `yaml:"language"` // "es" or "en": analysis and small-talk lexicon
	Description string `yaml:"description"`
}

// LLM configures the OpenAI-compatible provider used by roles in llm mode.
type LLM struct {
	BaseURL string `yaml:"base_url"` // empty: api.openai.com
	// APIKeyEnv names the environment variable holding the key, so that no
	// secret lives in the profile.
	APIKeyEnv    string        `yaml:"api_key_env"`
	Model        string        `yaml:"model"`
	Timeout      time.Duration `yaml:"timeout"`
	HistoryTurns int           `yaml:"history_turns"`
	Temperature  float32       `yaml:"temperature"`
	// AllowNoAPIKey lets the llm roles start without a key, for a keyless
	// local server. It needs an explicit BaseURL: a missing key is
	// otherwise a mistake the server refuses to start with, rather than
	// every conversation ending with a person after a 401.
	AllowNoAPIKey bool `yaml:"allow_no_api_key"`
}

// TriageConfig configures the "Asistente Inicial".
type TriageConfig struct {
	Name         string `yaml:"name"`
	Mode         string `yaml:"mode"` // rules | llm
	Model        string `yaml:"model"`
	Instructions string `yaml:"instructions"`
}

// KnowledgeCfg configures the "Especialista en Conocimiento".
type KnowledgeCfg struct {
	Name         string `yaml:"name"`
	Mode         string `yaml:"mode"` // rules | llm
	Model        string `yaml:"model"`
	Instructions string `yaml:"instructions"`
	// AnswerThreshold is the minimum retrieval confidence to answer; below
	// it the question goes to a human. See the profile file for where the
	// default value was measured.
	AnswerThreshold float64 `yaml:"answer_threshold"`
	// RetrievalFloor is, in llm mode, the lowest confidence of a passage
	// shown to the model, which then decides itself whether the passages
	// answer the question. It is low on purpose: the answer threshold is
	// the rules mode's decision, and a model that reads the passages can
	// answer some questions the confidence is unsure about. Unset: 0.05.
	// Use Floor to read it.
	RetrievalFloor *float64 `yaml:"retrieval_floor"`
	TopK           int      `yaml:"top_k"`
	// OfferFeedback adds "¿Te sirvió?" buttons to knowledge-base answers.
	OfferFeedback bool `yaml:"offer_feedback"`
}

// DefaultRetrievalFloor is the retrieval floor of a profile that sets
// none: low enough that a passage the model could answer from is rarely
// held back, high enough to spare it passages that share no word with the
// question.
const DefaultRetrievalFloor = 0.05

// Floor returns the retrieval floor, or the default when unset.
func (k KnowledgeCfg) Floor() float64 {
	if k.RetrievalFloor == nil {
		return DefaultRetrievalFloor
	}
	return *k.RetrievalFloor
}

// HumanConfig configures the "Especialista Humano" hand-off.
type HumanConfig struct {
	Name string `yaml:"name"`
	// HandoffMessage tells the user a person will answer.
	HandoffMessage string `yaml:"handoff_message"`
	// WaitingMessage is sent when the user writes while a ticket is open, at
	// most once per NoticeInterval.
	WaitingMessage string        `yaml:"waiting_message"`
	NoticeInterval time.Duration `yaml:"notice_interval"`
	// TakeoverPause is how long the bot stays silent after a human writes on
	// the channel itself.
	TakeoverPause time.Duration `yaml:"takeover_pause"`
}

// Learning policies: what becomes of a specialist's answer to a ticket.
const (
	// LearnAuto: the answer is learned and answers the next customer at once.
	LearnAuto = "auto"
	// LearnReview: the answer is stored as a candidate entry that no customer
	// sees until an admin approves it (relevoctl kb entries review).
	LearnReview = "review"
	// LearnOff: nothing is learned; the ticket records why.
	LearnOff = "off"
)

// LearningConfig configures the learning loop.
type LearningConfig struct {
	// Policy is auto, review or off (default auto). A ticket desk may let
	// the specialist decide per answer (the Notion "Aprender" box): see
	// AnswerTicketRequest.learn.
	Policy string `yaml:"policy"`
}

// MessagesConfig holds fixed texts the bot sends.
type MessagesConfig struct {
	Greeting    string `yaml:"greeting"`
	Thanks      string `yaml:"thanks"`
	Goodbye     string `yaml:"goodbye"`
	Presence    string `yaml:"presence"` // "¿estás ahí?"
	Unsupported string `yaml:"unsupported"`
	// VoiceNoteUnsupported answers voice notes when no transcription model is
	// configured.
	VoiceNoteUnsupported string `yaml:"voice_note_unsupported"`
	FeedbackQuestion     string `yaml:"feedback_question"`
	FeedbackYes          string `yaml:"feedback_yes"`
	FeedbackHuman        string `yaml:"feedback_human"`
	FeedbackThanks       string `yaml:"feedback_thanks"`
}

//go:embed profile_c1do1.yaml
var defaultProfile []byte

// DefaultProfile returns the embedded sample profile (the company C1DO1,
// Spanish, e-learning), which runs fully offline.
func DefaultProfile() *Profile {
	p, err := ParseProfile(defaultProfile)
	if err != nil {
		panic(fmt.Sprintf("embedded profile is invalid: %v", err))
	}
	return p
}

// LoadProfile reads a profile file.
func LoadProfile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p, err := ParseProfile(b)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// ParseProfile decodes and validates a profile. Unknown keys are errors, so
// a misspelt setting is caught at start instead of silently ignored.
func ParseProfile(b []byte) (*Profile, error) {
	p := &Profile{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	p.applyDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Profile) applyDefaults() {
	if p.MaxTurns == 0 {
		p.MaxTurns = 6
	}
	if p.AgentTimeout == 0 {
		p.AgentTimeout = defaultAgentTimeout
	}
	if p.Company.Language == "" {
		p.Company.Language = "es"
	}
	if p.Triage.Mode == "" {
		p.Triage.Mode = "rules"
	}
	if p.Knowledge.Mode == "" {
		p.Knowledge.Mode = "rules"
	}
	if p.Knowledge.RetrievalFloor == nil {
		floor := DefaultRetrievalFloor
		p.Knowledge.RetrievalFloor = &floor
	}
	if p.Knowledge.TopK == 0 {
		p.Knowledge.TopK = 5
	}
	if p.LLM.Timeout == 0 {
		p.LLM.Timeout = 30 * time.Second
	}
	if p.LLM.HistoryTurns == 0 {
		p.LLM.HistoryTurns = 10
	}
	if p.LLM.APIKeyEnv == "" {
		p.LLM.APIKeyEnv = "OPENAI_API_KEY"
	}
	if p.Human.NoticeInterval == 0 {
		p.Human.NoticeInterval = 30 * time.Minute
	}
	if p.Human.TakeoverPause == 0 {
		p.Human.TakeoverPause = 12 * time.Hour
	}
	if p.Learning.Policy == "" {
		p.Learning.Policy = LearnAuto
	}
	if p.Conversation.QuietWindowMax == 0 {
		p.Conversation.QuietWindowMax = 4 * p.Conversation.QuietWindow
	}
	if p.Conversation.Loop.Similarity == 0 {
		p.Conversation.Loop.Similarity = 0.8
	}
	if p.Conversation.WindowTemplate.Name != "" && p.Conversation.WindowTemplate.Language == "" {
		p.Conversation.WindowTemplate.Language = p.Company.Language
	}
}

// Validate reports the first invalid setting, naming it.
func (p *Profile) Validate() error {
	for _, m := range []struct{ key, mode string }{{"triage.mode", p.Triage.Mode}, {"knowledge.mode", p.Knowledge.Mode}} {
		if m.mode != "rules" && m.mode != "llm" {
			return fmt.Errorf("%s: %q is not rules or llm", m.key, m.mode)
		}
	}
	if p.Company.Language != "es" && p.Company.Language != "en" {
		return fmt.Errorf("company.language: %q is not supported (es, en)", p.Company.Language)
	}
	if p.Knowledge.AnswerThreshold <= 0 || p.Knowledge.AnswerThreshold >= 1 {
		return fmt.Errorf("knowledge.answer_threshold: %v is not between 0 and 1", p.Knowledge.AnswerThreshold)
	}
	if f := p.Knowledge.Floor(); f < 0 || f > 1 {
		return fmt.Errorf("knowledge.retrieval_floor: %v is not between 0 and 1", f)
	}
	if p.LLM.AllowNoAPIKey && strings.TrimSpace(p.LLM.BaseURL) == "" {
		return fmt.Errorf("llm.allow_no_api_key: needs an explicit llm.base_url (a keyless local server); the default provider always needs a key")
	}
	if p.Human.HandoffMessage == "" {
		return fmt.Errorf("human.handoff_message: required")
	}
	switch p.Learning.Policy {
	case LearnAuto, LearnReview, LearnOff:
	default:
		return fmt.Errorf("learning.policy: %q is not auto, review or off", p.Learning.Policy)
	}
	c := p.Conversation
	switch {
	case c.QuietWindow < 0 || c.QuietWindow > time.Minute:
		return fmt.Errorf("conversation.quiet_window: %v is not between 0 and 1m", c.QuietWindow)
	case c.QuietWindowMax < c.QuietWindow || c.QuietWindowMax > 5*time.Minute:
		return fmt.Errorf("conversation.quiet_window_max: %v is not between quiet_window and 5m", c.QuietWindowMax)
	case c.Frustration.Threshold < 0:
		return fmt.Errorf("conversation.frustration.threshold: %d is negative", c.Frustration.Threshold)
	case c.Loop.Repeats < 0:
		return fmt.Errorf("conversation.loop.repeats: %d is negative", c.Loop.Repeats)
	case c.Loop.Similarity <= 0 || c.Loop.Similarity > 1:
		return fmt.Errorf("conversation.loop.similarity: %v is not between 0 and 1", c.Loop.Similarity)
	case c.ResolveAfter < 0:
		return fmt.Errorf("conversation.resolve_after: %v is negative", c.ResolveAfter)
	case c.AbandonAfter < 0:
		return fmt.Errorf("conversation.abandon_after: %v is negative", c.AbandonAfter)
	}
	if (p.Triage.Mode == "llm" || p.Knowledge.Mode == "llm") && p.LLM.Model == "" && p.Triage.Model == "" && p.Knowledge.Model == "" {
		return fmt.Errorf("llm.model: required when a role runs in llm mode")
	}
	return nil
}

// UsesLLM reports whether a role runs in llm mode.
func (p *Profile) UsesLLM() bool { return p.Triage.Mode == "llm" || p.Knowledge.Mode == "llm" }

// NameOf returns the display name of a role.
func (p *Profile) NameOf(r Role) string {
	switch r {
	case RoleTriage:
		return p.Triage.Name
	case RoleKnowledge:
		return p.Knowledge.Name
	default:
		return p.Human.Name
	}
}
