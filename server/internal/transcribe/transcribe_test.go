package transcribe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/relevo/relevo/internal/sharedtest"
	"github.com/relevo/relevo/server/internal/transcribe"
	"github.com/relevo/relevo/server/openaitest"
)

func newTranscriber(t *testing.T, cfg transcribe.Config) (*openaitest.Server, *transcribe.Transcriber) {
	t.Helper()
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	oc := openai.DefaultConfig(srv.APIKey())
	oc.BaseURL = srv.BaseURL()
	return srv, transcribe.New(openai.NewClientWithConfig(oc), cfg)
}

// oggVoice stands for a WhatsApp voice note: binary, so the fake hears
// nothing unless a test scripts a transcript.
var oggVoice = []byte("OggS\x00\x02\x00\x00\x00\x00\xff\xfeOpusHead")

func TestAWhatsAppVoiceNoteIsTranscribed(t *testing.T) {
	srv, tr := newTranscriber(t, transcribe.Config{Language: "es", Prompt: "C1DO1, Teach1"})
	srv.QueueTranscription(openaitest.Transcript{Text: "  Hola, ¿cuánto cuesta el curso?  "})

	got, err := tr.Transcribe(context.Background(), oggVoice, "audio/ogg; codecs=opus")
	if err != nil {
		t.Fatal(err)
	}
	if got != "Hola, ¿cuánto cuesta el curso?" {
		t.Errorf("text = %q", got)
	}
	reqs := srv.TranscriptionRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.FileName != "voice.ogg" || r.ContentType != "audio/ogg" || r.Model != "whisper-1" || r.Language != "es" || r.Prompt != "C1DO1, Teach1" {
		t.Errorf("request = %+v", r)
	}
	if !bytes.Equal(r.Audio, oggVoice) {
		t.Error("the audio was not sent intact")
	}
}

func TestTheModelIsConfigurable(t *testing.T) {
	srv, tr := newTranscriber(t, transcribe.Config{Model: openai.GPT4oMiniTranscribe})
	if _, err := tr.Transcribe(context.Background(), oggVoice, "audio/ogg"); err != nil {
		t.Fatal(err)
	}
	if got := srv.TranscriptionRequests()[0]; got.Model != "gpt-4o-mini-transcribe" || got.Language != "" {
		t.Errorf("request = %+v", got)
	}
}

func TestSilenceIsEmptyTextWithoutError(t *testing.T) {
	_, tr := newTranscriber(t, transcribe.Config{})
	got, err := tr.Transcribe(context.Background(), oggVoice, "audio/ogg; codecs=opus")
	if err != nil || got != "" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestAudioThatCannotBeSentFailsWithoutARequest(t *testing.T) {
	tests := []struct {
		name  string
		audio []byte
		mime  string
		want  error
	}{
		{"AMR, which the endpoint cannot decode", oggVoice, "audio/amr", transcribe.ErrUnsupportedFormat},
		{"raw AAC, which the endpoint cannot decode", oggVoice, "audio/aac", transcribe.ErrUnsupportedFormat},
		{"a malformed MIME type", oggVoice, "audio/ogg; =", transcribe.ErrUnsupportedFormat},
		{"no bytes", nil, "audio/ogg", transcribe.ErrEmpty},
		{"more than 25 MB", make([]byte, transcribe.MaxBytes+1), "audio/ogg", transcribe.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, tr := newTranscriber(t, transcribe.Config{})
			_, err := tr.Transcribe(context.Background(), tt.audio, tt.mime)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestProviderFailuresAreErrors(t *testing.T) {
	tests := []struct {
		name    string
		reply   openaitest.Transcript
		timeout time.Duration
		check   func(error) bool
	}{
		{"a 500", openaitest.Transcript{Fault: openaitest.Fail(500, "The server had an error")}, 0, func(err error) bool {
			var apiErr *openai.APIError
			return errors.As(err, &apiErr) && apiErr.HTTPStatusCode == 500 && strings.Contains(err.Error(), "voice.ogg")
		}},
		{"a hang past the timeout", openaitest.Transcript{Fault: openaitest.Fault{Hang: true}}, 20 * time.Millisecond, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, tr := newTranscriber(t, transcribe.Config{Timeout: tt.timeout})
			srv.QueueTranscription(tt.reply)
			_, err := tr.Transcribe(context.Background(), oggVoice, "audio/ogg; codecs=opus")
			if err == nil || !tt.check(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ mime, want string }{
		{"audio/ogg; codecs=opus", "voice.ogg"},
		{"AUDIO/OGG", "voice.ogg"},
		{"audio/mpeg", "voice.mp3"},
		{"audio/mp4", "voice.m4a"},
		{"audio/wav", "voice.wav"},
		{"audio/webm;codecs=opus", "voice.webm"},
	}
	for _, tt := range tests {
		got, _, err := transcribe.FileName(tt.mime)
		if err != nil || got != tt.want {
			t.Errorf("FileName(%q) = %q, %v; want %q", tt.mime, got, err, tt.want)
		}
	}
}

func TestTheMIMETypeOfARealWhatsAppVoiceNoteIsAccepted(t *testing.T) {
	path := filepath.Join(sharedtest.Dir(t, "fixtures", "whatsapp"), "audio_voice_note.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("WhatsApp webhook fixture: %v", err)
	}
	var hook struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						Audio struct {
							MimeType string `json:"mime_type"`
						} `json:"audio"`
					} `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &hook); err != nil {
		t.Fatal(err)
	}
	mimeType := hook.Entry[0].Changes[0].Value.Messages[0].Audio.MimeType
	srv, tr := newTranscriber(t, transcribe.Config{})
	srv.QueueTranscription(openaitest.Transcript{Text: "hola"})
	if got, err := tr.Transcribe(context.Background(), oggVoice, mimeType); err != nil || got != "hola" {
		t.Fatalf("Transcribe(%q) = %q, %v", mimeType, got, err)
	}
	if r := srv.TranscriptionRequests()[0]; r.FileName != "voice.ogg" {
		t.Errorf("file name = %q", r.FileName)
	}
}
