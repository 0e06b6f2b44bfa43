package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/server/internal/store"
)

// InvalidError is a request the caller must fix; it names the field.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ErrUnreadable marks content the knowledge base cannot use (an empty file, a
// PDF without text). Implementations wrap it; it maps to InvalidArgument.
var ErrUnreadable = errors.New("unreadable content")

// toStatus maps an error of the domain to the gRPC status the caller sees.
// The guard's unary and stream interceptors apply it to whatever a handler
// returns: handlers return domain errors as they are. Unknown errors are
// logged and hidden behind Internal: a downstream failure is not the
// caller's fault and its details are not theirs to see.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		if msg := safeMessage(st.Message()); msg != st.Message() {
			return status.Error(st.Code(), msg)
		}
		return err
	}
	return clipStatus(mapError(ctx, log, err))
}

// maxErrorMessage bounds what an error tells the caller: enough to name the
// field and the reason, never a caller's input echoed back in bulk.
const maxErrorMessage = 256

// maxEcho bounds each quoted value an error message carries ("document
// \"…\": not found", the gateway's "invalid value for … field: \"…\""):
// a short prefix names the value without returning it, and an id (a UUID
// has 36 bytes) is named whole.
const maxEcho = 36

func clipStatus(err error) error {
	st := status.Convert(err)
	if msg := safeMessage(st.Message()); msg != st.Message() {
		return status.Error(st.Code(), msg)
	}
	return err
}

// safeMessage is what an error may tell the caller of msg: each quoted
// value cut to maxEcho bytes, the whole to maxErrorMessage.
func safeMessage(msg string) string {
	return clip(shortenQuoted(msg, maxEcho), maxErrorMessage)
}

// escapeLen is the length of the escape sequence s starts with (1 when it
// starts with none).
func escapeLen(s string) int {
	if s[0] != '\\' || len(s) < 2 {
		return 1
	}
	switch c := s[1]; {
	case c == 'x' || '0' <= c && c <= '7':
		return 4
	case c == 'u':
		return 6
	case c == 'U':
		return 10
	}
	return 2
}

// shortenQuoted cuts the contents of every double-quoted string in s (Go
// quoting, as %q and the JSON and protobuf parsers write it) to at most n
// bytes, marking the cut. An escape sequence is never cut in half.
func shortenQuoted(s string, n int) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '"')
		if open < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:open+1])
		s = s[open+1:]
		end, cut := len(s), -1
		for i := 0; i < len(s); {
			if i >= n && cut < 0 {
				cut = i
			}
			if s[i] == '"' {
				end = i
				break
			}
			i += escapeLen(s[i:])
		}
		if cut >= 0 && cut < end {
			b.WriteString(strings.ToValidUTF8(s[:cut], ""))
			b.WriteString("…")
		} else {
			b.WriteString(s[:end])
		}
		if end == len(s) {
			return b.String()
		}
		b.WriteByte('"')
		s = s[end+1:]
	}
}

// clip cuts s to at most n bytes at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A rune cut in half becomes invalid and is dropped.
	return strings.ToValidUTF8(s[:n-len("…")], "") + "…"
}

func mapError(ctx context.Context, log *slog.Logger, err error) error {
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		return status.Error(codes.InvalidArgument, inv.Error())
	case errors.Is(err, store.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrUnreadable):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, store.ErrConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, store.ErrUnavailable):
		// The cause (a database error) is for the log, not the caller.
		log.WarnContext(ctx, "unavailable", "err", err)
		return status.Error(codes.Unavailable, "the operation could not finish now; call again")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}
