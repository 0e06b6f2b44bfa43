// Package visitor identifies web chat visitors: an anonymous id kept in a
// signed cookie, or a company's own user id verified with an HMAC the
// company's backend computes (identity verification), so that a known
// user's history follows them across browsers and devices.
package visitor

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Prefixes of a visitor's subject: the contact address the server sees.
// They keep an anonymous id from ever equalling a company's user id.
const (
	AnonymousPrefix = "v_"
	UserPrefix      = "u_"
)

// MaxUserID is the longest company user id accepted, in bytes.
const MaxUserID = 128

// ErrInvalid is returned for a cookie that is malformed, forged or expired.
var ErrInvalid = errors.New("invalid visitor cookie")

// Signer issues and checks visitor cookies.
type Signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSigner returns a signer with the cookie secret key; cookies expire
// after ttl.
func NewSigner(key []byte, ttl time.Duration) *Signer {
	return &Signer{key: key, ttl: ttl, now: time.Now}
}

// NewAnonymous returns a fresh anonymous subject.
func NewAnonymous() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return AnonymousPrefix + hex.EncodeToString(b)
}

// Issue returns the cookie value for subject: subject, expiry and an
// HMAC-SHA256 over both, base64url-encoded and joined by dots.
func (s *Signer) Issue(subject string) string {
	exp := strconv.FormatInt(s.now().Add(s.ttl).Unix(), 10)
	payload := b64(subject) + "." + exp
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// Check returns the subject of a cookie value it issued and that has not
// expired.
func (s *Signer) Check(value string) (string, error) {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return "", ErrInvalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return "", ErrInvalid
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Unix() > exp {
		return "", ErrInvalid
	}
	subject, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || !validSubject(string(subject)) {
		return "", ErrInvalid
	}
	return string(subject), nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("relevo-webchat-visitor\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func validSubject(s string) bool {
	return (strings.HasPrefix(s, AnonymousPrefix) || strings.HasPrefix(s, UserPrefix)) && len(s) > 2 && len(s) <= MaxUserID+len(UserPrefix)
}

// UserHash is what the company's backend computes for its user id and puts
// in the page: hex(HMAC-SHA256(identity secret, user id)), the scheme of
// Intercom's identity verification.
func UserHash(secret []byte, userID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyUser returns the subject of a company user whose hash is right.
func VerifyUser(secret []byte, userID, hash string) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("identity verification is not configured")
	}
	if userID == "" || len(userID) > MaxUserID {
		return "", fmt.Errorf("user_id must be 1 to %d bytes", MaxUserID)
	}
	got, err := hex.DecodeString(hash)
	if err != nil {
		return "", errors.New("user_hash is not hex")
	}
	want, _ := hex.DecodeString(UserHash(secret, userID))
	if !hmac.Equal(got, want) {
		return "", errors.New("user_hash does not match user_id")
	}
	return UserPrefix + userID, nil
}
