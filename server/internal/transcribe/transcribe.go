// Package transcribe turns voice notes into text through the
// OpenAI-compatible /v1/audio/transcriptions endpoint (Whisper or a
// gpt-4o transcription model, on OpenAI, Azure OpenAI or a local server).
package transcribe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// MaxBytes is the endpoint's limit on an audio file (25 MB).
const MaxBytes = 25 << 20

var (
	// ErrUnsupportedFormat reports audio the endpoint cannot decode (for
	// instance WhatsApp's audio/amr and audio/aac).
	ErrUnsupportedFormat = errors.New("unsupported audio format")
	// ErrTooLarge reports audio over MaxBytes.
	ErrTooLarge = errors.New("audio too large to transcribe")
	// ErrEmpty reports audio without bytes.
	ErrEmpty = errors.New("no audio to transcribe")
)

// API is the transcription endpoint. *openai.Client implements it (for
// instance llm.Client.OpenAI(), which adds retries).
type API interface {
	CreateTranscription(ctx context.Context, req openai.AudioRequest) (openai.AudioResponse, error)
}

// Config configures a Transcriber.
type Config struct {
	// Model defaults to whisper-1.
	Model string
	// Language is an ISO-639-1 hint such as "es"; it improves accuracy and
	// latency. Empty lets the model detect it.
	Language string
	// Prompt guides spelling, e.g. the company's and products' names.
	Prompt string
	// Timeout bounds one transcription; the default is 60s.
	Timeout time.Duration
}

// Transcriber transcribes voice notes.
type Transcriber struct {
	api API
	cfg Config
}

// New returns a Transcriber using api.
func New(api API, cfg Config) *Transcriber {
	if cfg.Model == "" {
		cfg.Model = openai.Whisper1
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	return &Transcriber{api: api, cfg: cfg}
}

// Transcribe returns the text spoken in audio, whose MIME type is mimeType
// (WhatsApp voice notes are "audio/ogg; codecs=opus"). Silence yields ""
// and no error.
func (t *Transcriber) Transcribe(ctx context.Context, audio []byte, mimeType string) (string, error) {
	if len(audio) == 0 {
		return "", ErrEmpty
	}
	if len(audio) > MaxBytes {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(audio), MaxBytes)
	}
	name, mediaType, err := FileName(mimeType)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	resp, err := t.api.CreateTranscription(ctx, openai.AudioRequest{
		Model:    t.cfg.Model,
		FilePath: name,
		Reader:   typedReader{Reader: bytes.NewReader(audio), contentType: mediaType},
		Language: t.cfg.Language,
		Prompt:   t.cfg.Prompt,
		Format:   openai.AudioResponseFormatJSON,
	})
	if err != nil {
		return "", fmt.Errorf("transcribe %s with %s: %w", name, t.cfg.Model, err)
	}
	return strings.TrimSpace(resp.Text), nil
}

// typedReader tells go-openai the file part's Content-Type.
type typedReader struct {
	*bytes.Reader
	contentType string
}

func (r typedReader) ContentType() string { return r.contentType }

// extensions maps the media types channels send to the file extensions the
// endpoint accepts; it decides the format from the file name.
var extensions = map[string]string{
	"audio/ogg":       "ogg",
	"audio/opus":      "ogg",
	"application/ogg": "ogg",
	"audio/mpeg":      "mp3",
	"audio/mp3":       "mp3",
	"audio/mp4":       "m4a",
	"audio/m4a":       "m4a",
	"audio/x-m4a":     "m4a",
	"audio/wav":       "wav",
	"audio/x-wav":     "wav",
	"audio/wave":      "wav",
	"audio/webm":      "webm",
	"audio/flac":      "flac",
	"audio/x-flac":    "flac",
}

// FileName returns the file name to upload audio of mimeType as ("voice"
// plus the extension the endpoint recognises) and the bare media type.
func FileName(mimeType string) (name, mediaType string, err error) {
	mediaType, _, err = mime.ParseMediaType(mimeType)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: %v", ErrUnsupportedFormat, mimeType, err)
	}
	ext, ok := extensions[mediaType]
	if !ok {
		return "", "", fmt.Errorf("%w: %s", ErrUnsupportedFormat, mediaType)
	}
	return "voice." + ext, mediaType, nil
}
