package sender

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{name: "a short text is one part", text: "  Hola.  ", max: 10, want: []string{"Hola."}},
		{name: "blank text has no parts", text: " \n ", max: 10, want: nil},
		{name: "a paragraph break wins over a later sentence end", text: "Uno dos tres.\n\nCu. Cinco seis siete", max: 20, want: []string{"Uno dos tres.", "Cu. Cinco seis siete"}},
		{name: "a sentence end wins over a later space", text: "Uno dos. Tres cuatro cinco", max: 20, want: []string{"Uno dos. Tres", "cuatro cinco"}},
		{name: "a sentence end in the second half is used", text: "Uno dos tres. Cuatro cinco", max: 20, want: []string{"Uno dos tres.", "Cuatro cinco"}},
		{name: "a word longer than the limit is cut mid-word", text: "abcdefghijkl", max: 5, want: []string{"abcde", "fghij", "kl"}},
		{name: "characters, not bytes, are counted", text: "ñññññ ñññññ", max: 5, want: []string{"ñññññ", "ñññññ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitText(tt.text, tt.max); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func TestSplitTail(t *testing.T) {
	tests := []struct {
		name             string
		text             string
		max              int
		wantHead, wantTl string
	}{
		{name: "a short text is all tail", text: "Hola", max: 10, wantTl: "Hola"},
		{name: "the tail starts after a sentence end", text: "Uno dos tres. Cuatro cinco.", max: 16, wantHead: "Uno dos tres.", wantTl: "Cuatro cinco."},
		{name: "the tail starts at a space without a sentence end", text: "uno dos tres cuatro", max: 10, wantHead: "uno dos tres", wantTl: "cuatro"},
		{name: "a word longer than the limit is cut", text: "abcdefghij", max: 4, wantHead: "abcdef", wantTl: "ghij"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, tail := splitTail(tt.text, tt.max)
			if head != tt.wantHead || tail != tt.wantTl {
				t.Errorf("splitTail(%q, %d) = %q, %q; want %q, %q", tt.text, tt.max, head, tail, tt.wantHead, tt.wantTl)
			}
		})
	}
}

func TestClip(t *testing.T) {
	if got := clip("Hablar con una persona", 20); got != "Hablar con una pers…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("Sí", 20); got != "Sí" {
		t.Errorf("clip = %q", got)
	}
}

func BenchmarkSplitText(b *testing.B) {
	text := strings.Repeat("Esta es una frase de ejemplo que explica algo útil. ", 2000) // ~100k characters
	for b.Loop() {
		splitText(text, 4096)
	}
}
