package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// LegacyVersion is the last schema version whose message rows held the
// contract's JSON form in their payload, media bytes included.
const LegacyVersion = 6

// CheckLegacyPayloads writes, through db (a database migrated up to
// LegacyVersion), messages as the server stored them then: the payload the
// contract's JSON encoder wrote (with the spaces it adds at random), voice
// notes' bytes in it as base64. It then opens the store, which migrates
// the database, and checks every message reads as it was sent, the bytes
// are in the media table and no payload holds them any more.
func CheckLegacyPayloads(t *testing.T, db *sql.DB, open func(t *testing.T) store.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UnixMicro()
	const conv = "legacy-conv"
	if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, channel, address, created_at, last_activity_at)
VALUES ($1, 'whatsapp', '56911111111', $2, $2)`, conv, now); err != nil {
		t.Fatalf("insert legacy conversation: %v", err)
	}
	// Audio whose lengths end the base64 with no, one and two '=', and
	// whose bytes use every character of the alphabet.
	audio := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		return b
	}
	voice := func(id string, data []byte) string {
		return fmt.Sprintf(`{"contact":{"channel":"whatsapp", "address":"56911111111"}, "channelMessageId":%q,`+
			` "sentAt":"2025-03-01T12:00:00Z", "kind":"INBOUND_KIND_AUDIO", "media":{"type":"voice", "mediaId":"m-%s",`+
			` "mimeType":"audio/ogg; codecs=opus", "sha256":"abc", "data":%q}}`, id, id, base64.StdEncoding.EncodeToString(data))
	}
	voiceMedia := func(id string) *message.Media {
		return &message.Media{Type: "voice", ProviderID: "m-" + id, MIMEType: "audio/ogg; codecs=opus", SHA256: "abc"}
	}
	rows := []struct {
		id, direction, kind, payload string
		want                         message.Details
		media                        []byte
	}{
		{id: "v0", direction: "in", kind: "audio", payload: voice("v0", audio(3000)), want: message.Details{Media: voiceMedia("v0")}, media: audio(3000)},
		{id: "v1", direction: "in", kind: "audio", payload: voice("v1", audio(3001)), want: message.Details{Media: voiceMedia("v1")}, media: audio(3001)},
		{id: "v2", direction: "in", kind: "audio", payload: voice("v2", audio(3002)), want: message.Details{Media: voiceMedia("v2")}, media: audio(3002)},
		{id: "img", direction: "in", kind: "media",
			payload: `{"contact":{"channel":"whatsapp","address":"56911111111"},"channelMessageId":"img","kind":"INBOUND_KIND_MEDIA",` +
				`"text":"mi boleta \"data\"","media":{"type":"image","mediaId":"m-img","mimeType":"image/jpeg"},"forwarded":true}`,
			want: message.Details{Media: &message.Media{Type: "image", ProviderID: "m-img", MIMEType: "image/jpeg"}, Forwarded: true}},
		{id: "choice", direction: "in", kind: "choice",
			payload: `{"contact":{"channel":"whatsapp","address":"56911111111"}, "channelMessageId":"choice", "kind":"INBOUND_KIND_CHOICE",` +
				` "choice":{"id":"relevo.feedback.yes", "title":"Sí, gracias"}}`,
			want: message.Details{Choice: &message.Choice{ID: "relevo.feedback.yes", Title: "Sí, gracias"}}},
		{id: "buttons", direction: "out", kind: "text",
			payload: `{"buttons":[{"id":"relevo.feedback.yes","title":"Sí, gracias"},{"id":"relevo.feedback.human","title":"Hablar con una persona"}]}`,
			want:    buttons},
		{id: "template", direction: "out", kind: "template",
			payload: `{"template":{"name":"respuesta_lista", "language":"es", "bodyParams":["Sí, hasta 12 cuotas."]}}`,
			want:    message.Details{Template: &message.Template{Name: "respuesta_lista", Language: "es", BodyParams: []string{"Sí, hasta 12 cuotas."}}}},
	}
	for i, r := range rows {
		author := "user"
		if r.direction == "out" {
			author = "bot"
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, channel, direction, author, kind, text, payload,
	channel_message_id, sent_at, created_at, updated_at)
VALUES ($1, $2, 'whatsapp', $3, $4, $5, '', $6, $7, $8, $8, $8)`,
			r.id, conv, r.direction, author, r.kind, []byte(r.payload), r.id, now+int64(i)); err != nil {
			t.Fatalf("insert legacy message %s: %v", r.id, err)
		}
	}

	st := open(t)
	for _, r := range rows {
		m, err := st.GetMessage(ctx, r.id)
		if err != nil {
			t.Fatalf("GetMessage(%s) after the migration: %v", r.id, err)
		}
		if string(m.Kind) != r.kind || !reflect.DeepEqual(m.Details, r.want) {
			t.Errorf("message %s: kind %q details %+v, want %q %+v", r.id, m.Kind, m.Details, r.kind, r.want)
		}
		data, err := st.MessageMedia(ctx, r.id)
		switch {
		case r.media == nil && !errors.Is(err, store.ErrNotFound):
			t.Errorf("message %s: MessageMedia = %d bytes, %v; want ErrNotFound", r.id, len(data), err)
		case r.media != nil && (err != nil || !bytes.Equal(data, r.media)):
			t.Errorf("message %s: MessageMedia = %d bytes, %v; want the %d of its payload", r.id, len(data), err, len(r.media))
		}
		var payload []byte
		if err := db.QueryRowContext(ctx, `SELECT payload FROM messages WHERE id = $1`, r.id).Scan(&payload); err != nil {
			t.Fatalf("read payload of %s: %v", r.id, err)
		}
		if r.media != nil && bytes.Contains(payload, []byte(`"data"`)) {
			t.Errorf("message %s: the payload still holds the media bytes: %.200s", r.id, payload)
		}
	}
	msgs, err := st.ListMessages(ctx, conv, 100)
	if err != nil || len(msgs) != len(rows) {
		t.Fatalf("ListMessages after the migration: %d messages, %v; want %d", len(msgs), err, len(rows))
	}
}

// SeedLegacyVoiceNotes writes, through db (a database migrated up to
// LegacyVersion), n voice notes of size bytes each as the server stored
// them then: base64 in the payload. For benchmarks of the migration.
func SeedLegacyVoiceNotes(tb testing.TB, db *sql.DB, n, size int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, channel, address, created_at, last_activity_at)
VALUES ('legacy-voice', 'whatsapp', '56922222222', 1, 1)`); err != nil {
		tb.Fatal(err)
	}
	audio := make([]byte, size)
	for i := range audio {
		audio[i] = byte(i * 31)
	}
	payload := fmt.Appendf(nil, `{"kind":"INBOUND_KIND_AUDIO", "media":{"type":"voice", "mimeType":"audio/ogg", "data":%q}}`,
		base64.StdEncoding.EncodeToString(audio))
	for i := range n {
		id := fmt.Sprint("voice-", i)
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, channel, direction, author, kind, payload,
	channel_message_id, sent_at, created_at, updated_at)
VALUES ($1, 'legacy-voice', 'whatsapp', 'in', 'user', 'audio', $2, $1, 1, 1, 1)`, id, payload); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchLegacyMediaMigration times the migration after LegacyVersion moving
// the voice notes' bytes out of the payloads of rows stored before it, for
// the engine whose fresh database and migrations migrator returns.
func BenchLegacyMediaMigration(b *testing.B, migrator func(b *testing.B) (*sql.DB, *goose.Provider)) {
	for _, c := range []struct{ notes, size int }{{200, 100 << 10}, {1, 16 << 20}} {
		b.Run(fmt.Sprintf("notes=%d/size=%dKiB", c.notes, c.size>>10), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db, p := migrator(b)
				if _, err := p.UpTo(context.Background(), LegacyVersion); err != nil {
					b.Fatal(err)
				}
				SeedLegacyVoiceNotes(b, db, c.notes, c.size)
				b.StartTimer()
				if _, err := p.Up(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
	}
}
