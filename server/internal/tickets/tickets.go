// Package tickets answers and closes tickets and runs the learning loop:
// a specialist's answer reaches the user on their channel and becomes a
// knowledge-base entry in the same transaction: searchable at once, or
// waiting for an admin's approval, as the company's learning policy and the
// specialist's decision say.
package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/relevo/relevo/server/internal/agents/rules"
	"github.com/relevo/relevo/server/internal/privacy"
	"github.com/relevo/relevo/server/internal/store"
)

// Learner prepares knowledge-base entries (embedding them) and brings the
// in-memory index up to date with the store.
type Learner interface {
	PrepareEntry(ctx context.Context, question, answer, source string) (store.Entry, error)
	Refresh(ctx context.Context) error
}

// Policy is the company's learning policy (the profile's learning.policy).
type Policy string

const (
	// PolicyAuto learns answers live at once; the zero Policy is auto.
	PolicyAuto Policy = "auto"
	// PolicyReview stores answers as pending entries that answer nobody
	// until an admin approves them, unless the specialist approved.
	PolicyReview Policy = "review"
	// PolicyOff learns nothing.
	PolicyOff Policy = "off"
)

// Decision is a specialist's decision on learning one answer
// (AnswerTicketRequest.learn).
type Decision int

const (
	// DecideByPolicy: no decision; the policy applies.
	DecideByPolicy Decision = iota
	// Learn: the specialist approves; live at once unless the policy is off.
	Learn
	// DoNotLearn: never learned.
	DoNotLearn
	// NotApproved: the desk offered approval and it was not given: learned
	// under auto, not under review.
	NotApproved
)

// Judge tells whether an answer concerns one customer only, where a model
// can read what the offline rule cannot (llm mode).
type Judge interface {
	Personal(ctx context.Context, question, answer string) (bool, string, error)
}

// Store is what the desk needs of the store: tickets, and answering one
// with what is learned in the same transaction. store.Store is one.
type Store interface {
	GetTicket(ctx context.Context, id string) (store.Ticket, error)
	AnswerTicket(ctx context.Context, in store.AnswerInput) (t store.Ticket, already bool, err error)
}

// Desk is the ticket desk.
type Desk struct {
	st      Store
	learner Learner
	policy  Policy
	judge   Judge
	window  func(text string) *store.OutboundDraft
	log     *slog.Logger
}

// WithWindowTemplate gives the desk the template to send in place of an
// answer due outside the customer-service window (the answer itself then
// waits for the customer to write).
func (d *Desk) WithWindowTemplate(f func(text string) *store.OutboundDraft) *Desk {
	d.window = f
	return d
}

// WithJudge makes the desk ask j, after the offline rule, whether an
// answer is personal. When j fails the offline rule's verdict stands: the
// answer is scrubbed either way.
func (d *Desk) WithJudge(j Judge) *Desk {
	d.judge = j
	return d
}

// New returns a desk learning under policy ("" is auto); log may be nil.
func New(st Store, learner Learner, policy Policy, log *slog.Logger) *Desk {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if policy == "" {
		policy = PolicyAuto
	}
	return &Desk{st: st, learner: learner, policy: policy, log: log}
}

// AnswerInput is a specialist's answer.
type AnswerInput struct {
	TicketID   string
	Answer     string
	AnsweredBy string
	// SkipLearning keeps the answer out of the knowledge base, as
	// Learn: DoNotLearn does.
	SkipLearning bool
	// Learn is the specialist's decision on learning the answer.
	Learn Decision
	// AlreadyDelivered: the human wrote the answer on the channel itself, so
	// it must not be sent again.
	AlreadyDelivered bool
}

// Reasons recorded on a ticket whose answer was not learned.
const (
	ReasonSpecialist  = "the specialist chose not to learn it"
	ReasonPolicyOff   = "learning.policy is off"
	ReasonNotApproved = "not approved by the specialist, and learning.policy is review"
)

// entryStatus applies the policy to the specialist's decision: the status
// the learned entry gets, or why nothing is learned.
func (d *Desk) entryStatus(in AnswerInput) (store.EntryStatus, string) {
	decision := in.Learn
	if in.SkipLearning {
		decision = DoNotLearn
	}
	switch {
	case decision == DoNotLearn:
		return "", ReasonSpecialist
	case d.policy == PolicyOff:
		// A company that switched learning off is not overruled by one
		// specialist's tick.
		return "", ReasonPolicyOff
	case decision == Learn:
		return store.EntryLive, ""
	case d.policy == PolicyReview && decision == NotApproved:
		return "", ReasonNotApproved
	case d.policy == PolicyReview:
		return store.EntryPending, ""
	}
	return store.EntryLive, ""
}

// LearnedSource is the citation of entries learned from ticket answers.
const LearnedSource = "learned"

// Answer records the answer, queues it to the user and learns it. Answering
// again with the same text returns already = true and sends nothing.
func (d *Desk) Answer(ctx context.Context, in AnswerInput) (t store.Ticket, already bool, err error) {
	t, err = d.st.GetTicket(ctx, in.TicketID)
	if err != nil {
		return store.Ticket{}, false, err
	}
	answer := strings.TrimSpace(in.Answer)
	var learn *store.Entry
	var reason string
	// An answered or closed ticket learns nothing new: the store returns
	// it as it is (the same answer again) or refuses the answer.
	if t.Status == store.TicketOpen {
		p := d.preview(ctx, t, in, true)
		reason = p.Reason
		if reason == "" {
			e, err := d.learner.PrepareEntry(ctx, p.Question, p.Answer, LearnedSource)
			if err != nil {
				return store.Ticket{}, false, fmt.Errorf("prepare learned entry: %w", err)
			}
			e.Learned = true
			e.TicketID = t.ID
			e.Status = p.Status
			e.AnsweredBy = in.AnsweredBy
			learn = &e
		}
	}
	t, already, err = d.st.AnswerTicket(ctx, store.AnswerInput{
		TicketID:         in.TicketID,
		Answer:           answer,
		AnsweredBy:       in.AnsweredBy,
		Deliver:          !in.AlreadyDelivered,
		Learn:            learn,
		NotLearnedReason: reason,
		OutsideWindow:    d.windowTemplate(answer),
	})
	if err != nil {
		return store.Ticket{}, false, err
	}
	if already {
		return t, already, nil
	}
	switch {
	case reason != "":
		d.log.InfoContext(ctx, "answer not learned", "ticket", t.ID, "reason", reason)
	case learn != nil && learn.Status == store.EntryPending:
		d.log.InfoContext(ctx, "answer learned for review", "ticket", t.ID, "entry", t.LearnedEntryID)
	}
	if learn != nil && learn.Status == store.EntryLive {
		// The next user asking the same thing must find it now, not after
		// the change notification comes round.
		if err := d.learner.Refresh(ctx); err != nil {
			return t, already, fmt.Errorf("refresh knowledge index: %w", err)
		}
	}
	return t, already, nil
}

// Preview is what answering a ticket would teach: the entry's question,
// answer and status, or the reason nothing is learned.
type Preview struct {
	Learning
	Status store.EntryStatus
}

// Preview tells what answering the open ticket with in would learn,
// deciding as Answer does, without storing or sending anything. The model
// judge (llm mode) is not asked: a preview is requested as the specialist
// types, and the judge, asked when the answer is sent, can only keep more
// out. An answered or closed ticket is ErrConflict: it learns nothing new.
func (d *Desk) Preview(ctx context.Context, in AnswerInput) (Preview, error) {
	t, err := d.st.GetTicket(ctx, in.TicketID)
	if err != nil {
		return Preview{}, err
	}
	if t.Status != store.TicketOpen {
		return Preview{}, fmt.Errorf("%w: ticket %s is %s; only an open ticket's answer is learned", store.ErrConflict, t.ID, t.Status)
	}
	return d.preview(ctx, t, in, false), nil
}

func (d *Desk) preview(ctx context.Context, t store.Ticket, in AnswerInput, judge bool) Preview {
	answer := strings.TrimSpace(in.Answer)
	status, reason := d.entryStatus(in)
	if reason != "" {
		return Preview{Learning: Learning{Reason: reason}}
	}
	l := Learnable(t, answer, in.AnsweredBy)
	if l.Reason == "" && judge && d.judge != nil {
		personal, why, err := d.judge.Personal(ctx, t.Question, answer)
		switch {
		case err != nil:
			d.log.WarnContext(ctx, "personal-answer judge failed; the offline rule stands", "ticket", t.ID, "err", err)
		case personal:
			l = Learning{Reason: "personal (model): " + why}
		}
	}
	if l.Reason != "" {
		return Preview{Learning: Learning{Reason: l.Reason}}
	}
	return Preview{Learning: l, Status: status}
}

// Learning is what a ticket's answer teaches the knowledge base: the
// general question and the general answer, or, when nothing is to be
// learned, the reason.
type Learning struct {
	Question, Answer string
	Reason           string
}

// Learnable decides what a ticket's answer teaches. A learned answer is
// shown to other customers, so it holds only what is general: the
// customer's question without their personal details and pleasantries,
// and the specialist's answer without greetings, signature and every
// sentence carrying personal data (privacy.General). An answer about one
// customer's own case is not learned at all (rules.Personal), whatever
// route the conversation took to a person.
func Learnable(t store.Ticket, answer, answeredBy string) Learning {
	if personal, why := rules.Personal(t.Question, answer); personal {
		return Learning{Reason: "personal: " + why}
	}
	customer := privacy.Contact{DisplayName: t.Contact.DisplayName, Phone: firstNonEmpty(t.Contact.Phone, t.Contact.Address)}
	q := privacy.General(LearnedQuestion(t), customer)
	a := privacy.General(privacy.General(answer, customer), privacy.Contact{Name: answeredBy})
	switch {
	case strings.TrimSpace(q) == "":
		return Learning{Reason: "nothing general is left of the question once personal data is removed"}
	case strings.TrimSpace(a) == "":
		return Learning{Reason: "nothing general is left of the answer once personal data is removed"}
	}
	return Learning{Question: q, Answer: a}
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// LearnedQuestion is the question under which a ticket's answer is learned:
// the user's question, preceded by their previous message when the question
// alone is too short to stand on its own ("¿y eso cuánto cuesta?").
func LearnedQuestion(t store.Ticket) string {
	q := strings.TrimSpace(t.Question)
	if len(strings.Fields(q)) >= 4 {
		return q
	}
	for i := len(t.Context) - 1; i >= 0; i-- {
		m := t.Context[i]
		if m.Direction == store.Inbound && strings.TrimSpace(m.Text) != "" && m.Text != t.Question {
			return strings.TrimSpace(m.Text) + "\n" + q
		}
	}
	return q
}

func (d *Desk) windowTemplate(answer string) *store.OutboundDraft {
	if d.window == nil {
		return nil
	}
	return d.window(answer)
}
