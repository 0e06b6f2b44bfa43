package visitor

import (
	"strings"
	"testing"
	"time"
)

func TestCookieRoundTripAndForgery(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	subject := NewAnonymous()
	v := s.Issue(subject)
	got, err := s.Check(v)
	if err != nil || got != subject {
		t.Fatalf("Check(Issue(%q)) = %q, %v", subject, got, err)
	}
	other := NewSigner([]byte("another-secret-another-secret-xx"), time.Hour)
	if _, err := other.Check(v); err == nil {
		t.Fatal("a cookie signed with another secret was accepted")
	}
	// Swapping the subject for a user's keeps the signature of the
	// anonymous one: refused.
	parts := strings.Split(v, ".")
	forged := b64(UserPrefix+"alice") + "." + parts[1] + "." + parts[2]
	if _, err := s.Check(forged); err == nil {
		t.Fatal("a cookie with a swapped subject was accepted")
	}
	s.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := s.Check(v); err == nil {
		t.Fatal("an expired cookie was accepted")
	}
}

func TestVerifyUser(t *testing.T) {
	secret := []byte("identity-secret")
	hash := UserHash(secret, "42")
	if got, err := VerifyUser(secret, "42", hash); err != nil || got != "u_42" {
		t.Fatalf("VerifyUser(right hash) = %q, %v", got, err)
	}
	if _, err := VerifyUser(secret, "43", hash); err == nil {
		t.Fatal("the hash of another user was accepted")
	}
	if _, err := VerifyUser(nil, "42", hash); err == nil {
		t.Fatal("a user was verified without a secret configured")
	}
	if _, err := VerifyUser(secret, strings.Repeat("x", MaxUserID+1), hash); err == nil {
		t.Fatal("an over-long user id was accepted")
	}
}

func FuzzCheck(f *testing.F) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	f.Add(s.Issue("v_abc"))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		subject, err := s.Check(v)
		if err == nil && !validSubject(subject) {
			t.Fatalf("accepted invalid subject %q", subject)
		}
	})
}
