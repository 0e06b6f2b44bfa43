package ticketdb

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jomei/notionapi"
)

// Value is a page property reduced to what the adapter reads: its type and
// its text (rich text joined, a phone number, a number, an option name,
// "true" or "false" for a checkbox).
type Value struct {
	Type string
	Text string
}

// Values are the properties of a page by name.
type Values map[string]Value

// ValuesFromProperties reduces the properties of a page fetched through the
// API.
func ValuesFromProperties(props notionapi.Properties) Values {
	out := make(Values, len(props))
	for name, p := range props {
		var v Value
		switch p := p.(type) {
		case *notionapi.TitleProperty:
			v = Value{"title", PlainText(p.Title)}
		case *notionapi.RichTextProperty:
			v = Value{"rich_text", PlainText(p.RichText)}
		case *notionapi.PhoneNumberProperty:
			v = Value{"phone_number", p.PhoneNumber}
		case *notionapi.NumberProperty:
			v = Value{"number", strconv.FormatFloat(p.Number, 'f', -1, 64)}
		case *notionapi.SelectProperty:
			v = Value{"select", p.Select.Name}
		case *notionapi.StatusProperty:
			v = Value{"status", p.Status.Name}
		case *notionapi.CheckboxProperty:
			v = Value{"checkbox", strconv.FormatBool(p.Checkbox)}
		default:
			v = Value{Type: string(p.GetType())}
		}
		out[name] = v
	}
	return out
}

// ParseValues reduces raw page property values (the "properties" object of
// a page, as the API and the Send-webhook action write it). It never fails:
// a property it cannot read is kept with its type and no text, or skipped.
func ParseValues(raw map[string]json.RawMessage) Values {
	out := make(Values, len(raw))
	for name, msg := range raw {
		var p struct {
			Type        string          `json:"type"`
			Title       []rawRichText   `json:"title"`
			RichText    []rawRichText   `json:"rich_text"`
			PhoneNumber *string         `json:"phone_number"`
			Number      json.RawMessage `json:"number"`
			Select      *rawOption      `json:"select"`
			Status      *rawOption      `json:"status"`
			Checkbox    *bool           `json:"checkbox"`
		}
		if err := json.Unmarshal(msg, &p); err != nil || p.Type == "" {
			continue
		}
		v := Value{Type: p.Type}
		switch p.Type {
		case "title":
			v.Text = joinRaw(p.Title)
		case "rich_text":
			v.Text = joinRaw(p.RichText)
		case "phone_number":
			if p.PhoneNumber != nil {
				v.Text = *p.PhoneNumber
			}
		case "number":
			if n := strings.TrimSpace(string(p.Number)); n != "" && n != "null" {
				if f, err := strconv.ParseFloat(n, 64); err == nil {
					v.Text = strconv.FormatFloat(f, 'f', -1, 64)
				}
			}
		case "select":
			if p.Select != nil {
				v.Text = p.Select.Name
			}
		case "status":
			if p.Status != nil {
				v.Text = p.Status.Name
			}
		case "checkbox":
			v.Text = strconv.FormatBool(p.Checkbox != nil && *p.Checkbox)
		}
		out[name] = v
	}
	return out
}

type rawRichText struct {
	PlainText *string `json:"plain_text"`
	Text      *struct {
		Content string `json:"content"`
	} `json:"text"`
}

type rawOption struct {
	Name string `json:"name"`
}

func joinRaw(rt []rawRichText) string {
	var b strings.Builder
	for _, r := range rt {
		switch {
		case r.PlainText != nil:
			b.WriteString(*r.PlainText)
		case r.Text != nil:
			b.WriteString(r.Text.Content)
		}
	}
	return b.String()
}
