package rules

import "testing"

func TestFrustrationWeighsTheSignsInSpanishAndEnglish(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"esto es una porquería… estoy harto", 4},
		{"no sirve", 2},
		{"No me sirve para nada!!!", 3},
		{"NO ENTIENDO NADA", 1},
		{"??", 1},
		{"ya te dije que no funciona nada??", 5},
		{"this is useless", 2},
		{"you don't understand!!", 3},
		{"WHERE IS MY CERTIFICATE", 1},
		// Ordinary support questions carry no sign.
		{"¿Cómo recupero mi contraseña?", 0},
		{"mi contraseña no funciona", 0},
		{"Hola, tengo una duda sobre el pago", 0},
		{"My password does not work, can you help?", 0},
		{"OK", 0},
	} {
		if got, signs := Frustration(tc.text); got != tc.want {
			t.Errorf("Frustration(%q) = %d %v, want %d", tc.text, got, signs, tc.want)
		}
	}
}

func FuzzFrustration(f *testing.F) {
	for _, s := range []string{"no sirve!!!", "ÑÑÑÑÑÑÑÑ", "??¿¿", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, signs := Frustration(s)
		if w < 0 || (w == 0) != (len(signs) == 0) {
			t.Fatalf("Frustration(%q) = %d %v", s, w, signs)
		}
	})
}
