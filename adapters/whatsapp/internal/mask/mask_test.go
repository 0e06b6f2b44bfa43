package mask

import "testing"

func TestAddress(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a phone number keeps its last four digits", "16505551234", "****1234"},
		{"a business-scoped id keeps its last four characters", "US.13491208655302741918", "****1918"},
		{"a short value is hidden entirely", "1234", "****"},
		{"an empty value is hidden", "", "****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Address(tt.in); got != tt.want {
				t.Errorf("Address(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
