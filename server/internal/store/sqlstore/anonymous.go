package sqlstore

import (
	"strings"
	"sync"
)

// SQLite treats "$N" as a named parameter, and the modernc driver asks for
// the name of every parameter it binds, which SQLite finds by a linear scan
// of the statement's names: binding costs the square of the parameter
// count. A batch statement of 128 messages has 1,408 parameters, and the
// scan took a tenth of the whole server's CPU, on the single writer. Plain
// "?" parameters have no names, so the scan ends at once: the store
// rewrites its write statements for such engines, "$N" to "?" with the
// arguments repeated and reordered to match.

// anonymous is a statement rewritten with "?" parameters: its text, and
// for each parameter the index of the argument it takes.
type anonymous struct {
	query string
	from  []int
}

// args returns the arguments of the rewritten statement.
func (a *anonymous) args(args []any) []any {
	out := make([]any, len(a.from))
	for i, j := range a.from {
		if 0 <= j && j < len(args) {
			out[i] = args[j]
		}
	}
	return out
}

// maxAnonymous bounds the cache of rewritten statements, as
// maxCachedStatements bounds the prepared ones.
const maxAnonymous = 512

// anonymizer rewrites statements and remembers the rewrites.
type anonymizer struct {
	mu   sync.Mutex
	done map[string]*anonymous
}

// rewrite returns query with "?" parameters, or nil when it has no
// numbered parameter (nothing to rewrite).
func (z *anonymizer) rewrite(query string) *anonymous {
	z.mu.Lock()
	a, ok := z.done[query]
	z.mu.Unlock()
	if ok {
		return a
	}
	a = toAnonymous(query)
	z.mu.Lock()
	if z.done == nil {
		z.done = make(map[string]*anonymous)
	}
	if len(z.done) < maxAnonymous {
		z.done[query] = a
	}
	z.mu.Unlock()
	return a
}

// toAnonymous rewrites "$N" outside string literals, quoted identifiers and
// comments to "?"; nil when query has none.
func toAnonymous(query string) *anonymous {
	var sb strings.Builder
	var from []int
	i, copied := 0, 0
	for i < len(query) {
		switch c := query[i]; {
		case c == '\'' || c == '"':
			// A doubled quote is an escaped one: skipping to the next quote
			// twice gets past it.
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				i = len(query)
				continue
			}
			i += end + 2
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				i = len(query)
				continue
			}
			i += end + 1
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				i = len(query)
				continue
			}
			i += end + 4
		case c == '$' && i+1 < len(query) && isDigit(query[i+1]):
			j, n := i+1, 0
			for j < len(query) && isDigit(query[j]) {
				n = n*10 + int(query[j]-'0')
				j++
			}
			if from == nil {
				sb.Grow(len(query))
			}
			sb.WriteString(query[copied:i])
			sb.WriteByte('?')
			from = append(from, n-1)
			i, copied = j, j
		default:
			i++
		}
	}
	if from == nil {
		return nil
	}
	sb.WriteString(query[copied:])
	return &anonymous{query: sb.String(), from: from}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
