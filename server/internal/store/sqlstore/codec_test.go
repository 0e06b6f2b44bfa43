package sqlstore

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

func TestNewIDSortsByTimeAndDoesNotRepeat(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := newID(base.Add(time.Duration(i) * time.Millisecond))
		if !valid.MatchString(id) {
			t.Fatalf("id %q is not 26 Crockford base32 digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
		if id <= prev {
			t.Fatalf("id %q of a later millisecond sorts before %q", id, prev)
		}
		prev = id
	}
	// The time prefix is the same for one millisecond: the first 10 digits.
	a, b := newID(base), newID(base)
	if a[:10] != b[:10] || a == b {
		t.Errorf("ids of one millisecond %q and %q", a, b)
	}
}

func TestTicketIDsAreShortAndReadable(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^T-[0-9A-HJKMNP-TV-Z]{6}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newTicketID()
		if !valid.MatchString(id) {
			t.Fatalf("ticket id %q", id)
		}
		seen[id] = true
	}
	if len(seen) < 990 {
		t.Errorf("only %d distinct ticket ids of 1000", len(seen))
	}
}

func TestMicrosKeepZeroTimesZero(t *testing.T) {
	t.Parallel()
	if micros(time.Time{}) != 0 || !fromMicros(0).IsZero() {
		t.Error("the zero time does not round-trip as 0")
	}
	in := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("AR", -3*3600))
	out := fromMicros(micros(in))
	if !out.Equal(in.Truncate(time.Microsecond)) || out.Location() != time.UTC {
		t.Errorf("round trip of %v = %v", in, out)
	}
}

func TestEmbeddingsRoundTrip(t *testing.T) {
	t.Parallel()
	in := []float32{0, 1.5, -2.25, float32(math.Inf(1)), math.SmallestNonzeroFloat32}
	b := encodeEmbedding(in)
	if len(b) != 4*len(in) || b[4] != 0x00 || b[7] != 0x3f { // 1.5 = 0x3fc00000, little-endian
		t.Fatalf("encoding % x", b)
	}
	out, err := decodeEmbedding(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("decoded %v, want %v", out, in)
		}
	}
	if encodeEmbedding(nil) != nil {
		t.Error("an empty embedding is stored as bytes")
	}
	if _, err := decodeEmbedding([]byte{1, 2, 3}); err == nil {
		t.Error("a truncated embedding decoded")
	}
}

func TestCursors(t *testing.T) {
	t.Parallel()
	c := cursor{Time: 1700000000000000, Seq: 42, Key: "01ABC"}
	got, ok, err := decodeCursor(c.encode())
	if err != nil || !ok || got != c {
		t.Fatalf("round trip = %+v %v %v", got, ok, err)
	}
	if _, ok, err := decodeCursor(""); ok || err != nil {
		t.Errorf("empty cursor = %v %v, want the first page", ok, err)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24"} {
		if _, _, err := decodeCursor(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("decodeCursor(%q) error = %v", bad, err)
		}
	}
}

func TestPageLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want int }{{0, 50}, {-1, 50}, {1, 1}, {1000, 1000}, {5000, 1000}} {
		if got := pageLimit(tc.in); got != tc.want {
			t.Errorf("pageLimit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// FuzzDecodeCursor reads page tokens as callers send them: a token is
// refused as invalid, without repeating it, or it reads to a cursor that
// encodes back to a token reading the same.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{Time: 1, Seq: 2, Key: "k"}.encode())
	f.Add("")
	f.Add("eyJ0Ijo5MjIzMzcyMDM2ODU0Nzc1ODA3fQ")
	f.Add("!!not base64")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) || (len(s) > 8 && strings.Contains(err.Error(), s)) {
				t.Fatalf("error %q for %q", err, s)
			}
			return
		}
		if !ok {
			if s != "" {
				t.Fatalf("%q read as the first page", s)
			}
			return
		}
		again, ok, err := decodeCursor(c.encode())
		if err != nil || !ok || again != c {
			t.Fatalf("%+v re-encoded reads %+v (%v, %v)", c, again, ok, err)
		}
	})
}
