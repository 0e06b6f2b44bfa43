package knowledge

import (
	"slices"
	"testing"
)

func TestVocabularyFindsWordsOneEditAway(t *testing.T) {
	v := newVocab()
	postings := map[string]*posting{}
	for i, term := range []string{"factur", "fractur", "contrasen", "pag", "pagu", "cañon", "canon"} {
		p := &posting{slots: make([]int32, i+1)} // later terms are more frequent
		postings[term] = p
		v.add(term, p)
	}
	names := func(ps []*posting) []string {
		var out []string
		for _, p := range ps {
			for term, q := range postings {
				if p == q {
					out = append(out, term)
				}
			}
		}
		return out
	}
	tests := []struct {
		name, stem string
		want       []string
	}{
		{"transposed letters", "fatcur", []string{"factur"}},
		{"several matches, most frequent first", "pagy", []string{"pagu", "pag"}},
		{"a missing letter", "contrasn", []string{"contrasen"}},
		{"an extra letter", "contrasenn", []string{"contrasen"}},
		{"a wrong letter", "contrasan", []string{"contrasen"}},
		{"non-ASCII letters", "cañin", []string{"cañon"}},
		{"the word itself is not a typo of itself", "pag", []string{"pagu"}},
		{"two edits away is too far", "contrasxnx", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(v.nearby(tt.stem, 3, nil)); !slices.Equal(got, tt.want) {
				t.Fatalf("nearby(%q) = %v, want %v (most frequent first)", tt.stem, got, tt.want)
			}
		})
	}
	v.remove("fractur")
	v.remove("pag")
	v.remove("never-added")
	if got := names(v.nearby("factur", 3, nil)); got != nil {
		t.Fatalf("after removal: %v", got)
	}
	if got := names(v.nearby("pagx", 3, nil)); !slices.Equal(got, []string{"pagu"}) {
		t.Fatalf("after removal: %v", got)
	}
}
