package webhook

import (
	"strconv"
	"strings"
)

// Readable renderings of non-text messages. They are language-neutral
// (symbols, no words) because the company's language is configured on the
// server, not here.

// renderLocation renders a shared location as
// "📍 name, address (lat, long) url".
func renderLocation(l *waLocation) string {
	var parts []string
	if place := joinNonEmpty(", ", l.Name, l.Address); place != "" {
		parts = append(parts, place)
	}
	if l.Latitude.Valid && l.Longitude.Valid {
		parts = append(parts, "("+strconv.FormatFloat(l.Latitude.Value, 'f', -1, 64)+", "+strconv.FormatFloat(l.Longitude.Value, 'f', -1, 64)+")")
	}
	if l.URL != "" {
		parts = append(parts, l.URL)
	}
	return "📍 " + strings.Join(parts, " ")
}

// renderContacts renders shared contact cards, one line each, as
// "👤 name · company · phone (type) · email".
func renderContacts(cards []waSharedContact) string {
	lines := make([]string, 0, len(cards))
	for _, c := range cards {
		name := c.Name.FormattedName
		if name == "" {
			name = joinNonEmpty(" ", c.Name.FirstName, c.Name.LastName)
		}
		fields := []string{name, c.Org.Company}
		for _, p := range c.Phones {
			phone := p.Phone
			if phone != "" && p.Type != "" {
				phone += " (" + p.Type + ")"
			}
			fields = append(fields, phone)
		}
		for _, e := range c.Emails {
			fields = append(fields, e.Email)
		}
		lines = append(lines, "👤 "+joinNonEmpty(" · ", fields...))
	}
	return strings.Join(lines, "\n")
}

// renderMediaEcho renders media a person sent from the WhatsApp Business
// app: its caption, or "[type]" (with the file name for documents).
func renderMediaEcho(typ string, md *waMedia) string {
	if md != nil && md.Caption != "" {
		return md.Caption
	}
	if md != nil && md.Filename != "" {
		return "[" + typ + ": " + md.Filename + "]"
	}
	return "[" + typ + "]"
}

func joinNonEmpty(sep string, parts ...string) string {
	kept := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
