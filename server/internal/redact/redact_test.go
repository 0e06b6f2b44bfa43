package redact

import "testing"

func TestAddressKeepsOnlyTheLastFourCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"56912345678", "•••••••5678"},
		{"CL.1234567890abcdef", "•••••••••••••••cdef"},
		{"123", "•••"},
		{"", ""},
	} {
		if got := Address(tc.in); got != tc.want {
			t.Errorf("Address(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
