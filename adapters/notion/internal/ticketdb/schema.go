// Package ticketdb holds the Notion side of tickets: the shape of the
// ticket database (property names and types, detected from Notion), how a
// ticket is written as a page (properties, conversation blocks, Notion's
// size limits) and the API calls the adapter makes on that database.
package ticketdb

import (
	"fmt"
	"slices"

	"github.com/jomei/notionapi"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Names are the property names of the ticket database. Question and Answer
// are required; an empty Contact, TicketID, Status or Learn name means the
// database has no such property.
type Names struct {
	Question string // title: the user's question
	Answer   string // rich text: the specialist's answer
	Contact  string // phone number or rich text: who asked
	TicketID string // rich text: the Relevo ticket id
	Status   string // status or select: Labels
	// Learn is a checkbox the specialist ticks to have the answer learned
	// (AnswerTicketRequest.learn); Open adds it to a database that lacks it.
	Learn string
}

// DefaultNames are the names the setup command creates.
func DefaultNames() Names {
	return Names{Question: "Pregunta", Answer: "Respuesta", Contact: "Celular", TicketID: "ID", Status: "Estado", Learn: "Aprender"}
}

// Labels are the options of the status property.
type Labels struct {
	Pending string // ticket open
	Sent    string // answered
	Closed  string // closed without an answer
}

// DefaultLabels are the option names the setup command creates.
func DefaultLabels() Labels {
	return Labels{Pending: "Pendiente", Sent: "Enviado", Closed: "Cerrado"}
}

// For returns the label of a ticket status.
func (l Labels) For(s relevov1.TicketStatus) string {
	switch s {
	case relevov1.TicketStatus_TICKET_STATUS_ANSWERED:
		return l.Sent
	case relevov1.TicketStatus_TICKET_STATUS_CLOSED:
		return l.Closed
	default:
		return l.Pending
	}
}

// Schema is the ticket database as found in Notion: names, labels and the
// types of the properties whose type may vary.
type Schema struct {
	Names  Names
	Labels Labels
	// StatusType is "status" or "select"; empty without a status property.
	StatusType string
	// ContactType is "phone_number" or "rich_text"; empty without one.
	ContactType string
}

// SchemaError says which configured property does not fit the database.
type SchemaError struct {
	Setting  string // the name of the setting (flag) to fix
	Property string
	Problem  string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s: property %q %s", e.Setting, e.Property, e.Problem)
}

// Setting names used in SchemaError, matching the adapter's flags.
const (
	SettingQuestion = "prop-question"
	SettingAnswer   = "prop-answer"
	SettingContact  = "prop-contact"
	SettingTicketID = "prop-id"
	SettingStatus   = "prop-status"
	SettingLearn    = "prop-learn"
)

// DetectSchema checks the configured names against a database's properties
// and detects the variable types. A missing Learn checkbox is an error like
// any other missing property: Open adds it before detecting.
func DetectSchema(db *notionapi.Database, names Names, labels Labels) (Schema, error) {
	s := Schema{Names: names, Labels: labels}
	typeOf := func(setting, name string, allowed ...notionapi.PropertyConfigType) (notionapi.PropertyConfig, error) {
		if name == "" {
			return nil, &SchemaError{Setting: setting, Property: name, Problem: "is required"}
		}
		p, ok := db.Properties[name]
		if !ok {
			return nil, &SchemaError{Setting: setting, Property: name, Problem: "does not exist in the database"}
		}
		if !slices.Contains(allowed, p.GetType()) {
			return nil, &SchemaError{Setting: setting, Property: name,
				Problem: fmt.Sprintf("has type %s; want %v", p.GetType(), allowed)}
		}
		return p, nil
	}
	if _, err := typeOf(SettingQuestion, names.Question, notionapi.PropertyConfigTypeTitle); err != nil {
		return s, err
	}
	if _, err := typeOf(SettingAnswer, names.Answer, notionapi.PropertyConfigTypeRichText); err != nil {
		return s, err
	}
	if names.Contact != "" {
		p, err := typeOf(SettingContact, names.Contact, notionapi.PropertyConfigTypePhoneNumber, notionapi.PropertyConfigTypeRichText)
		if err != nil {
			return s, err
		}
		s.ContactType = string(p.GetType())
	}
	if names.TicketID != "" {
		// Ticket ids are text ("T-7F3K2Q"), so a number column cannot hold them.
		if _, err := typeOf(SettingTicketID, names.TicketID, notionapi.PropertyConfigTypeRichText); err != nil {
			return s, err
		}
	}
	if names.Learn != "" {
		if _, err := typeOf(SettingLearn, names.Learn, notionapi.PropertyConfigTypeCheckbox); err != nil {
			return s, err
		}
	}
	if names.Status != "" {
		p, err := typeOf(SettingStatus, names.Status, notionapi.PropertyConfigStatus, notionapi.PropertyConfigTypeSelect)
		if err != nil {
			return s, err
		}
		s.StatusType = string(p.GetType())
		// Options of a status property cannot be created through the API,
		// so they must exist; select options are added on first use.
		if sp, ok := p.(*notionapi.StatusPropertyConfig); ok {
			for _, want := range []string{labels.Pending, labels.Sent, labels.Closed} {
				if !slices.ContainsFunc(sp.Status.Options, func(o notionapi.Option) bool { return o.Name == want }) {
					return s, &SchemaError{Setting: SettingStatus, Property: names.Status,
						Problem: fmt.Sprintf("has no option %q; add it in Notion", want)}
				}
			}
		}
	}
	return s, nil
}

// DatabaseProperties is the schema the setup command creates. The status
// column is a select: the API cannot create the options of a status
// property.
func DatabaseProperties(names Names, labels Labels) notionapi.PropertyConfigs {
	props := notionapi.PropertyConfigs{
		names.Question: &notionapi.TitlePropertyConfig{Type: notionapi.PropertyConfigTypeTitle},
		names.Answer:   &notionapi.RichTextPropertyConfig{Type: notionapi.PropertyConfigTypeRichText},
	}
	if names.Contact != "" {
		props[names.Contact] = &notionapi.PhoneNumberPropertyConfig{Type: notionapi.PropertyConfigTypePhoneNumber}
	}
	if names.TicketID != "" {
		props[names.TicketID] = &notionapi.RichTextPropertyConfig{Type: notionapi.PropertyConfigTypeRichText}
	}
	if names.Learn != "" {
		props[names.Learn] = LearnPropertyConfig()
	}
	if names.Status != "" {
		props[names.Status] = &notionapi.SelectPropertyConfig{
			Type: notionapi.PropertyConfigTypeSelect,
			Select: notionapi.Select{Options: []notionapi.Option{
				{Name: labels.Pending, Color: notionapi.ColorYellow},
				{Name: labels.Sent, Color: notionapi.ColorGreen},
				{Name: labels.Closed, Color: notionapi.ColorGray},
			}},
		}
	}
	return props
}

// LearnPropertyConfig is the schema of the Learn checkbox.
func LearnPropertyConfig() notionapi.PropertyConfig {
	return &notionapi.CheckboxPropertyConfig{Type: notionapi.PropertyConfigTypeCheckbox}
}

// ContactText is how a specialist should see the customer: the phone number
// when the channel disclosed it, else the name and the channel address.
func ContactText(c *relevov1.Contact) string {
	if c == nil {
		return ""
	}
	if c.GetPhone() != "" {
		return "+" + c.GetPhone()
	}
	addr := c.GetAddress()
	if c.GetChannel() != "" && addr != "" {
		addr = c.GetChannel() + ": " + addr
	}
	switch {
	case c.GetDisplayName() != "" && addr != "":
		return c.GetDisplayName() + " (" + addr + ")"
	case c.GetDisplayName() != "":
		return c.GetDisplayName()
	}
	return addr
}

// StatusValue is the property value that sets the status to label.
func (s Schema) StatusValue(label string) notionapi.Property {
	if s.StatusType == "select" {
		return notionapi.SelectProperty{Select: notionapi.Option{Name: label}}
	}
	return notionapi.StatusProperty{Status: notionapi.Option{Name: label}}
}

// AnswerValue is the property value that sets the answer.
func (s Schema) AnswerValue(answer string) notionapi.Property {
	return notionapi.RichTextProperty{RichText: propertyText(answer)}
}

// PageProperties are the properties of a new ticket page.
func (s Schema) PageProperties(t *relevov1.Ticket) notionapi.Properties {
	n := s.Names
	props := notionapi.Properties{
		n.Question: notionapi.TitleProperty{Title: propertyText(t.GetQuestion())},
		n.Answer:   s.AnswerValue(t.GetAnswer()),
	}
	if n.Contact != "" {
		contact := ContactText(t.GetContact())
		if s.ContactType == "rich_text" {
			props[n.Contact] = notionapi.RichTextProperty{RichText: propertyText(contact)}
		} else {
			// Notion caps phone number values at 200 characters.
			props[n.Contact] = notionapi.PhoneNumberProperty{PhoneNumber: trimUnits(contact, 200)}
		}
	}
	if n.TicketID != "" {
		props[n.TicketID] = notionapi.RichTextProperty{RichText: propertyText(t.GetId())}
	}
	if n.Status != "" {
		props[n.Status] = s.StatusValue(s.Labels.For(t.GetStatus()))
	}
	return props
}

// Author labels of conversation blocks.
const (
	LabelUser       = "Usuario"
	LabelBot        = "Bot"
	LabelHuman      = "Especialista"
	LabelFollowUp   = "Usuario (seguimiento)"
	LabelRelevoNote = "Relevo"
)

// ContextBlocks renders the conversation before the question, one message
// per paragraph, each tagged with its message id.
func ContextBlocks(t *relevov1.Ticket) []notionapi.Block {
	var blocks []notionapi.Block
	for _, m := range t.GetContext() {
		label := LabelBot
		switch m.GetAuthor() {
		case relevov1.Author_AUTHOR_USER:
			label = LabelUser
		case relevov1.Author_AUTHOR_HUMAN:
			label = LabelHuman
		}
		blocks = append(blocks, Paragraphs(label, m.GetText(), MessageMarker(m.GetId()))...)
	}
	return blocks
}

// FollowUpBlocks renders a message the user sent while the ticket was open.
func FollowUpBlocks(f *relevov1.TicketFollowUp) []notionapi.Block {
	return Paragraphs(LabelFollowUp, f.GetText(), MessageMarker(f.GetMessageId()))
}

// TicketIDOf returns the ticket id stored in a page's values.
func (s Schema) TicketIDOf(v Values) (string, bool) {
	if s.Names.TicketID == "" {
		return "", false
	}
	val, ok := v[s.Names.TicketID]
	if !ok {
		return "", false
	}
	return val.Text, true
}

// AnswerOf returns a page's answer, all rich text parts joined; ok is false
// when the values do not include the answer property.
func (s Schema) AnswerOf(v Values) (string, bool) {
	val, ok := v[s.Names.Answer]
	return val.Text, ok
}

// LearnOf returns whether a page's Learn box is ticked; ok is false when
// the database has no such property or the values do not include it.
func (s Schema) LearnOf(v Values) (ticked, ok bool) {
	if s.Names.Learn == "" {
		return false, false
	}
	val, ok := v[s.Names.Learn]
	if !ok {
		return false, false
	}
	return val.Text == "true", true
}

// LearnDecision is what a page's Learn box tells the server: a ticked box
// is the specialist's approval (learned at once, even when the company
// reviews learned answers); an unticked one is an approval not given, which
// the company's learning policy weighs (learned under "auto", not under
// "review"). Without the property the policy alone decides.
func (s Schema) LearnDecision(v Values) relevov1.LearnDecision {
	ticked, ok := s.LearnOf(v)
	switch {
	case !ok:
		return relevov1.LearnDecision_LEARN_DECISION_UNSPECIFIED
	case ticked:
		return relevov1.LearnDecision_LEARN_DECISION_LEARN
	}
	return relevov1.LearnDecision_LEARN_DECISION_NOT_APPROVED
}

// StatusOf returns a page's status label.
func (s Schema) StatusOf(v Values) string {
	if s.Names.Status == "" {
		return ""
	}
	return v[s.Names.Status].Text
}
