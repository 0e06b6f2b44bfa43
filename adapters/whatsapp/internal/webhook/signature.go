package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader is the header carrying Meta's HMAC of the body.
const SignatureHeader = "X-Hub-Signature-256"

// ValidSignature reports whether header ("sha256=<hex>") is the
// HMAC-SHA256 of the raw body keyed with the app secret. The comparison is
// constant-time. The body must be the bytes as received: Meta signs its own
// serialisation, which re-encoding would not reproduce.
func ValidSignature(appSecret string, body []byte, header string) bool {
	if appSecret == "" {
		return false
	}
	const prefix = "sha256="
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got, err := hex.DecodeString(strings.TrimSpace(header[len(prefix):]))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
