package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/relevo/relevo/server/internal/store"
)

// ListDeliveries lists outbound messages, newest first. Operators read it
// for the replies that need attention (failed, retrying, waiting for the
// customer-service window): an index holds those, so the query does not
// read the outbound history of every conversation.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, string, error) {
	limit := pageLimit(f.Limit)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"m.direction = 'out'", "m.kind <> 'mark_read'"}
	switch {
	case sameStatuses(f.Statuses, store.AttentionStatuses):
		// Written as the partial index's own condition, so that both engines
		// see the index applies (a condition with parameters does not show it).
		where = append(where, "m.status IN ('failed', 'retrying', 'waiting_window')")
	case len(f.Statuses) > 0:
		in := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = arg(string(st))
		}
		where = append(where, "m.status IN ("+strings.Join(in, ", ")+")")
	}
	if f.Channel != "" {
		where = append(where, "c.channel = "+arg(f.Channel))
	}
	if !f.Since.IsZero() {
		where = append(where, "m.created_at >= "+arg(micros(f.Since)))
	}
	cur, ok, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	if ok {
		where = append(where, "m.seq < "+arg(cur.Seq))
	}
	query := `SELECT ` + columns("m", messageColumns) + `, m.seq, c.channel, c.address
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE ` + strings.Join(where, " AND ") + `
ORDER BY m.seq DESC LIMIT ` + arg(limit+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var list []store.Delivery
	var seqs []int64
	for rows.Next() {
		var d store.Delivery
		var seq int64
		if d.Message, err = scanMessage(withExtra{rows, []any{&seq, &d.Channel, &d.Address}}); err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		list = append(list, d)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor{Seq: seqs[limit-1]}.encode()
	}
	return list, next, nil
}

// withExtra scans the columns a query selects after a row's own.
type withExtra struct {
	rowScanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error {
	return w.rowScanner.Scan(append(dest, w.extra...)...)
}

// sameStatuses reports whether a and b hold the same statuses.
func sameStatuses(a, b []store.DeliveryStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
