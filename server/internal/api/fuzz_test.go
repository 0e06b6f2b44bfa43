package api

import (
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// FuzzRequestCodec decodes arbitrary bytes as a request, as the server does
// before any handler: a request either fails to decode, is marked as
// carrying a string that is not UTF-8 (naming a field of the request), or
// holds only UTF-8 strings; the bounds check then never panics.
func FuzzRequestCodec(f *testing.F) {
	good, _ := proto.Marshal(&relevov1.HandleMessageRequest{Message: inbound("wamid.f")})
	f.Add(good)
	bad, _ := proto.Marshal(&relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{Text: "XXXX", Choice: &relevov1.Choice{Title: "YY"}}})
	f.Add([]byte(strings.Replace(string(bad), "XXXX", "\xff\xfe\xfd\xfc", 1)))
	f.Add([]byte(strings.Replace(string(bad), "YY", "\xc3\x28", 1)))
	c := newRequestCodec(true)
	f.Fuzz(func(t *testing.T, b []byte) {
		var req relevov1.HandleMessageRequest
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &req); err != nil {
			return
		}
		if path, ok := markedInvalidUTF8(&req); ok {
			if path == "" || len(path) > 128 {
				t.Fatalf("marked path %q", path)
			}
			return
		}
		var walk func(m protoreflect.Message)
		walk = func(m protoreflect.Message) {
			m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
				switch {
				case fd.Kind() == protoreflect.StringKind && !fd.IsList() && !utf8.ValidString(v.String()):
					t.Fatalf("%s: invalid UTF-8 reached the handler", fd.FullName())
				case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
					walk(v.Message())
				}
				return true
			})
		}
		walk(req.ProtoReflect())
		if err := checkBounds(&req); err != nil && len(err.Error()) > maxErrorMessage {
			t.Fatalf("bounds error of %d bytes", len(err.Error()))
		}
	})
}

// FuzzAuthorization reads arbitrary authorization values: only the key,
// after a Bearer scheme in any case, is let in.
func FuzzAuthorization(f *testing.F) {
	keys, err := ParseKeys([]string{"admin:" + adminKey})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Bearer " + adminKey, "bearer " + adminKey, "Basic " + adminKey, adminKey, "Bearer", "Bearer  " + adminKey + " ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p, err := keys.authenticate([]string{v})
		if err != nil {
			return
		}
		scheme, token, _ := strings.Cut(strings.TrimSpace(v), " ")
		if p.role != RoleAdmin || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) != adminKey {
			t.Fatalf("%q let in as %v", v, p)
		}
	})
}

// BenchmarkCheckBounds is the guard's cost on a typical inbound message.
func BenchmarkCheckBounds(b *testing.B) {
	m := inbound("wamid.bench")
	m.Contact.DisplayName, m.Contact.Phone = "Ana", "56911112222"
	m.Text = strings.Repeat("¿Cómo recupero mi contraseña? ", 10)
	m.Referral = &relevov1.Referral{SourceUrl: "https://fb.me/x", Headline: "Cursos", Body: "Aprende en línea"}
	req := &relevov1.HandleMessageRequest{Message: m}
	b.ReportAllocs()
	for b.Loop() {
		if err := checkBounds(req); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzShortenQuoted cuts the quoted values of error messages, which quote
// callers' input: any message keeps its UTF-8 validity, and a value between
// quotes keeps at most a prefix of maxEcho bytes with the text around it.
func FuzzShortenQuoted(f *testing.F) {
	f.Add("field ", strings.Repeat("Q", 100), ": bad", "a\"b\\\"c")
	f.Add("", "ñññññññññññññññññññññññññññ", "", `"\x00\u00e9`)
	f.Fuzz(func(t *testing.T, pre, value, post, raw string) {
		if out := shortenQuoted(raw, maxEcho); utf8.ValidString(raw) && !utf8.ValidString(out) {
			t.Fatalf("%q shortened to invalid UTF-8 %q", raw, out)
		}
		if strings.ContainsAny(pre+value+post, "\"\\") || !utf8.ValidString(value) {
			return
		}
		out := shortenQuoted(pre+`"`+value+`"`+post, maxEcho)
		want := pre + `"` + value + `"` + post
		if len(value) > maxEcho {
			want = pre + `"` + strings.ToValidUTF8(value[:maxEcho], "") + `…"` + post
		}
		if out != want {
			t.Fatalf("got %q, want %q", out, want)
		}
	})
}
