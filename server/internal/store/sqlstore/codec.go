package sqlstore

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so ids read
// aloud or typed by hand are hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns a 26-character id: 48 bits of milliseconds since the epoch
// followed by 80 random bits, in Crockford base32. Ids sort by creation time
// to the millisecond, which keeps index inserts mostly at the end.
func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	// 128 bits as 26 base32 digits, most significant first (the first digit
	// holds only 3 bits).
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ticketIDDigits is the number of random digits of a ticket id: 30 bits,
// short enough to read over the phone; collisions are retried.
const ticketIDDigits = 6

// newTicketID returns a short human id like "T-7F3K2Q".
func newTicketID() string {
	var b [ticketIDDigits]byte
	_, _ = rand.Read(b[:])
	out := []byte("T-")
	for _, v := range b {
		out = append(out, crockford[v&31])
	}
	return string(out)
}

// micros stores a time as UTC microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// encodeEmbedding stores a vector as little-endian float32s; nil for none.
func encodeEmbedding(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeEmbedding(b []byte) ([]float32, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding of %d bytes is not a float32 vector", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Page sizes: callers that pass no limit get defaultLimit; nobody gets more
// than maxLimit rows at once.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return defaultLimit
	case limit > maxLimit:
		return maxLimit
	}
	return limit
}

// cursor is the sort key of the last row of a page, opaque to callers.
type cursor struct {
	Time int64  `json:"t,omitempty"`
	Seq  int64  `json:"s,omitempty"`
	Key  string `json:"k,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor; "" is the first page (ok false).
func decodeCursor(s string) (c cursor, ok bool, err error) {
	if s == "" {
		return cursor{}, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		// The token is not repeated: it is the caller's input, of any size.
		return cursor{}, false, fmt.Errorf("page token: did not come from this API: %w", store.ErrInvalid)
	}
	return c, true, nil
}

// placeholders returns "$from, $from+1, ..." for n arguments.
func placeholders(from, n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "$%d", from+i)
	}
	return sb.String()
}

// nullable stores "" as NULL, for unique columns where "" means none.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
