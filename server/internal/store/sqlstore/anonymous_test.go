package sqlstore

import (
	"slices"
	"testing"
)

func TestToAnonymous(t *testing.T) {
	for _, tc := range []struct {
		query, want string
		from        []int
	}{
		{`SELECT 1`, "", nil},
		{`SELECT a FROM t WHERE b = $1 AND c = $2`, `SELECT a FROM t WHERE b = ? AND c = ?`, []int{0, 1}},
		{`VALUES ($2, $1, $1), ($12)`, `VALUES (?, ?, ?), (?)`, []int{1, 0, 0, 11}},
		{`SELECT '$1', "$2", $3 -- $4
/* $5 */ FROM t WHERE x = 'it''s $6' AND y = $7`, `SELECT '$1', "$2", ? -- $4
/* $5 */ FROM t WHERE x = 'it''s $6' AND y = ?`, []int{2, 6}},
		{`SELECT $ FROM t`, "", nil},
	} {
		a := toAnonymous(tc.query)
		if tc.from == nil {
			if a != nil {
				t.Errorf("toAnonymous(%q) = %q, want no rewrite", tc.query, a.query)
			}
			continue
		}
		if a == nil || a.query != tc.want || !slices.Equal(a.from, tc.from) {
			t.Errorf("toAnonymous(%q) = %+v, want %q %v", tc.query, a, tc.want, tc.from)
			continue
		}
	}
	a := toAnonymous(`VALUES ($2, $1, $2)`)
	if got := a.args([]any{"x", "y"}); !slices.Equal(got, []any{"y", "x", "y"}) {
		t.Errorf("args = %v, want [y x y]", got)
	}
}
