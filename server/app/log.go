package app

import (
	"io"
	"log/slog"

	"github.com/relevo/relevo/server/internal/redact"
)

// personalKeys are log attribute keys whose values identify a person; they
// are masked whatever the call site passed.
var personalKeys = map[string]bool{"phone": true, "address": true, "contact": true, "wa_id": true, "to": true, "from": true}

// NewLogger returns the server's structured logger.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{
		Level: lvl,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if personalKeys[a.Key] && a.Value.Kind() == slog.KindString {
				return slog.String(a.Key, redact.Address(a.Value.String()))
			}
			return a
		},
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
