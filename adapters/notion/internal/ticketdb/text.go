package ticketdb

import (
	"strings"
	"unicode/utf16"

	"github.com/jomei/notionapi"
)

// Notion's request limits: a text object holds at most MaxTextLen
// characters (counted as JavaScript does, in UTF-16 code units) and an array
// (rich text objects of a value, blocks of a request) at most MaxArrayLen
// elements.
const (
	MaxTextLen  = 2000
	MaxArrayLen = 100
)

// SplitText cuts s into pieces of at most MaxTextLen UTF-16 code units,
// never inside a character. It returns nil for an empty string.
func SplitText(s string) []string {
	var parts []string
	for len(s) > 0 {
		n, units := 0, 0
		for _, r := range s {
			w := utf16.RuneLen(r)
			if w < 0 {
				w = 1 // invalid runes are sent as U+FFFD, one unit
			}
			if units+w > MaxTextLen {
				break
			}
			units += w
			n += len(string(r))
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return parts
}

// richText returns s as plain rich text objects, split to the limits.
func richText(s string) []notionapi.RichText {
	out := []notionapi.RichText{}
	for _, p := range SplitText(s) {
		out = append(out, notionapi.RichText{Text: &notionapi.Text{Content: p}})
	}
	return out
}

// propertyText returns s as the rich text of a property value. A value
// holds at most MaxArrayLen objects; longer text (over 200,000 characters,
// far beyond any chat message) is cut with an ellipsis rather than refused.
func propertyText(s string) []notionapi.RichText {
	rt := richText(s)
	if len(rt) > MaxArrayLen {
		rt = rt[:MaxArrayLen]
		last := rt[MaxArrayLen-1].Text.Content
		rt[MaxArrayLen-1].Text = &notionapi.Text{Content: trimUnits(last, MaxTextLen-1) + "…"}
	}
	return rt
}

// trimUnits shortens s to at most n UTF-16 code units.
func trimUnits(s string, n int) string {
	units := 0
	for i, r := range s {
		units += max(utf16.RuneLen(r), 1)
		if units > n {
			return s[:i]
		}
	}
	return s
}

// Paragraphs renders one message as paragraph blocks: a bold label, the
// text (split to the limits, in as many blocks as needed) and an optional
// marker in small grey text that lets the adapter recognise the message
// later. The label and marker go in the first and last block.
func Paragraphs(label, text, marker string) []notionapi.Block {
	parts := []notionapi.RichText{}
	if label != "" {
		parts = append(parts, notionapi.RichText{
			Text:        &notionapi.Text{Content: label + ": "},
			Annotations: &notionapi.Annotations{Bold: true, Color: notionapi.ColorDefault},
		})
	}
	parts = append(parts, richText(text)...)
	if marker != "" {
		parts = append(parts, notionapi.RichText{
			Text:        &notionapi.Text{Content: " " + marker},
			Annotations: &notionapi.Annotations{Italic: true, Color: notionapi.ColorGray},
		})
	}
	var blocks []notionapi.Block
	for len(parts) > 0 {
		n := min(len(parts), MaxArrayLen)
		blocks = append(blocks, &notionapi.ParagraphBlock{
			BasicBlock: notionapi.BasicBlock{Object: notionapi.ObjectTypeBlock, Type: notionapi.BlockTypeParagraph},
			Paragraph:  notionapi.Paragraph{RichText: parts[:n]},
		})
		parts = parts[n:]
	}
	return blocks
}

// MessageMarker is the text that tags a block with the Relevo message id it
// renders, so that a replayed follow-up is not appended twice.
func MessageMarker(messageID string) string {
	if messageID == "" {
		return ""
	}
	return "[msg " + messageID + "]"
}

// PlainText joins the plain text of rich text objects, all of them.
func PlainText(rt []notionapi.RichText) string {
	var b strings.Builder
	for _, r := range rt {
		switch {
		case r.PlainText != "":
			b.WriteString(r.PlainText)
		case r.Text != nil:
			b.WriteString(r.Text.Content)
		}
	}
	return b.String()
}
