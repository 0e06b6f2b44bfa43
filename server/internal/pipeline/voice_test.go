package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// recordingTranscriber transcribes every voice note to the same words and
// records what it was given.
type recordingTranscriber struct {
	mu    sync.Mutex
	audio [][]byte
	mime  []string
}

func (r *recordingTranscriber) Transcribe(_ context.Context, audio []byte, mimeType string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audio = append(r.audio, bytes.Clone(audio))
	r.mime = append(r.mime, mimeType)
	return "¿cuál es el horario?", nil
}

func (r *recordingTranscriber) got() ([][]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.audio, r.mime
}

func acceptVoiceNote(t *testing.T, st store.Store, e *Engine, id string, audio []byte) store.AcceptResult {
	t.Helper()
	res, err := st.AcceptInbound(context.Background(), store.InboundMessage{
		Contact: store.Contact{Channel: "test", Address: "u1"}, ChannelMessageID: id, Kind: message.KindAudio,
		Details:   message.Details{Media: &message.Media{Type: "voice", ProviderID: "media-" + id, MIMEType: "audio/ogg; codecs=opus"}},
		MediaData: audio,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Kick()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := e.WaitProcessed(ctx, res.MessageID); err != nil {
		t.Fatalf("waiting for the run of voice note %s: %v", id, err)
	}
	return res
}

// The voice note's bytes, stored apart from the message, reach the
// transcriber, and the agents answer its words.
func TestAVoiceNoteIsTranscribedFromItsStoredMedia(t *testing.T) {
	st := openStore(t)
	chain := &scriptedChain{}
	tr := &recordingTranscriber{}
	cfg := Config{Owner: "test", PollInterval: 50 * time.Millisecond, Workers: 1}
	e := New(st, chain, testProfile(), tr, nil, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	run(t, e)
	audio := bytes.Repeat([]byte("OggS\x00opus"), 2000)
	acceptVoiceNote(t, st, e, "voice-1", audio)

	got, mime := tr.got()
	if len(got) != 1 || !bytes.Equal(got[0], audio) || mime[0] != "audio/ogg; codecs=opus" {
		t.Fatalf("transcriber got %d notes (mime %q), want the stored %d bytes once", len(got), mime, len(audio))
	}
	if seen := chain.seen(); len(seen) != 1 || seen[0].Text != "¿cuál es el horario?" {
		t.Fatalf("the agents saw %+v, want the transcript", seen)
	}
}

// A voice note the adapter passed on without its bytes gets the profile's
// polite reply, as when no transcription is configured.
func TestAVoiceNoteWithoutMediaGetsThePoliteReply(t *testing.T) {
	st := openStore(t)
	tr := &recordingTranscriber{}
	p := testProfile()
	cfg := Config{Owner: "test", PollInterval: 50 * time.Millisecond, Workers: 1}
	e := New(st, &scriptedChain{}, p, tr, nil, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	run(t, e)
	res := acceptVoiceNote(t, st, e, "voice-2", nil)
	if got, _ := tr.got(); len(got) != 0 {
		t.Errorf("transcriber called %d times for a note without bytes", len(got))
	}
	if r := replies(t, st, res.ConversationID); len(r) != 1 || r[0].Text != p.Messages.VoiceNoteUnsupported {
		t.Fatalf("replies %+v, want the polite reply", r)
	}
}
