package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// SignatureHeader is the header carrying Meta's HMAC of the body.
const SignatureHeader = "X-Hub-Signature-256"

// ValidSignature reports whether header ("sha256=<hex>") is the
// HMAC-SHA256 of the raw body keyed with the app secret. The comparison is
// constant-time. The body must be the bytes as received: Meta signs its own
// serialisation, which re-encoding would not reproduce.
func ValidSignature(appSecret string, body []byte, header string) bool {
	return newVerifier(appSecret).valid(body, header)
}

// verifier checks signatures with one app secret, reusing its HMACs: a new
// one hashes the key into its pads and allocates two hashes, for every
// webhook.
type verifier struct {
	secret []byte
	macs   sync.Pool // of hash.Hash, HMAC-SHA256 keyed with secret
}

func newVerifier(appSecret string) *verifier {
	return &verifier{secret: []byte(appSecret)}
}

// valid is ValidSignature with the verifier's secret.
func (v *verifier) valid(body []byte, header string) bool {
	if len(v.secret) == 0 {
		return false
	}
	const prefix = "sha256="
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	hexSum := strings.TrimSpace(header[len(prefix):])
	var got [sha256.Size]byte
	if len(hexSum) != hex.EncodedLen(len(got)) {
		return false
	}
	if _, err := hex.Decode(got[:], []byte(hexSum)); err != nil {
		return false
	}
	mac, _ := v.macs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, v.secret)
	}
	mac.Reset()
	mac.Write(body)
	var want [sha256.Size]byte
	mac.Sum(want[:0])
	v.macs.Put(mac)
	return hmac.Equal(got[:], want[:])
}
