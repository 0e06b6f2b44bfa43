package openaitest

import (
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
)

// MaxAudioBytes is the API's limit on an uploaded audio file (25 MB).
const MaxAudioBytes = 25 << 20

// supportedAudio lists the file extensions the transcription endpoint
// accepts; it decides the format from the file name.
var supportedAudio = []string{"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"}

// TranscriptionRequest is a decoded POST /v1/audio/transcriptions form.
type TranscriptionRequest struct {
	Model          string
	FileName       string
	ContentType    string // of the file part
	Audio          []byte
	Language       string
	Prompt         string
	ResponseFormat string
	Temperature    string
}

// Transcript is the scripted answer to one transcription.
type Transcript struct {
	Text     string
	Language string
	// Duration in seconds, reported by verbose_json.
	Duration float64
	Fault
}

// TranscriptionHandler decides the transcript of a request.
type TranscriptionHandler func(req *TranscriptionRequest) Transcript

func decodeTranscription(w http.ResponseWriter, r *http.Request) (*TranscriptionRequest, error) {
	// A little over the file limit leaves room for the other fields.
	r.Body = http.MaxBytesReader(w, r.Body, MaxAudioBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("expected a multipart/form-data body: %w", err)
	}
	req := &TranscriptionRequest{}
	sawFile := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading form: %w", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, fmt.Errorf("reading form field %s: %w", part.FormName(), err)
		}
		switch part.FormName() {
		case "file":
			sawFile = true
			req.FileName = part.FileName()
			req.ContentType = part.Header.Get("Content-Type")
			req.Audio = b
		case "model":
			req.Model = string(b)
		case "language":
			req.Language = string(b)
		case "prompt":
			req.Prompt = string(b)
		case "response_format":
			req.ResponseFormat = string(b)
		case "temperature":
			req.Temperature = string(b)
		}
	}
	if !sawFile {
		return nil, fmt.Errorf("you must provide a file parameter")
	}
	if req.Model == "" {
		return nil, fmt.Errorf("you must provide a model parameter")
	}
	if len(req.Audio) > MaxAudioBytes {
		return nil, fmt.Errorf("Maximum content size limit (%d) exceeded", MaxAudioBytes)
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(req.FileName)), ".")
	ok := false
	for _, s := range supportedAudio {
		ok = ok || s == ext
	}
	if !ok {
		return nil, fmt.Errorf("Invalid file format. Supported formats: %v", supportedAudio)
	}
	switch req.ResponseFormat {
	case "", "json", "text", "srt", "vtt", "verbose_json":
	default:
		return nil, fmt.Errorf("Invalid value for 'response_format': %q", req.ResponseFormat)
	}
	return req, nil
}

func (s *Server) handleTranscription(w http.ResponseWriter, r *http.Request) {
	req, err := decodeTranscription(w, r)
	if err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, err.Error(), "invalid_request_error", "")
		return
	}
	s.trN.Add(1)
	s.keep(Request{Path: r.URL.Path, Header: r.Header.Clone(), Transcription: req})

	t := s.transcript(req)
	if !s.wait(r.Context(), t.Fault) || s.fail(w, t.Fault) {
		return
	}
	lang := t.Language
	if lang == "" {
		lang = req.Language
	}
	switch req.ResponseFormat {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, t.Text+"\n")
	case "srt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintf(w, "1\n00:00:00,000 --> %s\n%s\n\n", srtTime(t.Duration), t.Text)
	case "vtt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintf(w, "WEBVTT\n\n00:00:00.000 --> %s\n%s\n\n", strings.Replace(srtTime(t.Duration), ",", ".", 1), t.Text)
	case "verbose_json":
		writeJSON(w, http.StatusOK, map[string]any{
			"task":     "transcribe",
			"language": lang,
			"duration": t.Duration,
			"text":     t.Text,
			"segments": []any{map[string]any{"id": 0, "seek": 0, "start": 0.0, "end": t.Duration, "text": t.Text}},
		})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"text": t.Text})
	}
}

func (s *Server) transcript(req *TranscriptionRequest) Transcript {
	s.mu.Lock()
	if len(s.transcripts) > 0 {
		t := s.transcripts[0]
		s.transcripts = s.transcripts[1:]
		s.mu.Unlock()
		return t
	}
	h := s.transcriber
	s.mu.Unlock()
	if h != nil {
		return h(req)
	}
	return Transcript{Text: s.sim.transcript(req.Audio)}
}

func srtTime(sec float64) string {
	ms := int(sec * 1000)
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
