//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/openaitest"
)

// TestAVoiceNoteIsTranscribedAndAnswered: the WhatsApp adapter downloads a
// voice note, the server stores its bytes apart from the message, the
// pipeline reads them back for the transcription model and answers the
// words; erasing the contact erases them.
func TestAVoiceNoteIsTranscribedAndAnswered(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { voiceNote(t, t.TempDir()+"/relevo.db") })
	t.Run("postgres", func(t *testing.T) { voiceNote(t, postgresURL(t)) })
}

func voiceNote(t *testing.T, database string) {
	graph := graphtest.New(t)
	audio := bytes.Repeat([]byte("OggS\x00\x02opus-voice-note"), 3000)
	graph.AddMedia("media-voice-1", "audio/ogg; codecs=opus", audio)
	model := openaitest.NewServer()
	t.Cleanup(model.Close)
	model.OnTranscription(func(*openaitest.TranscriptionRequest) openaitest.Transcript {
		return openaitest.Transcript{Text: "¿Cómo recupero mi contraseña?"}
	})

	server := startServer(t, ServerConfig{
		Database: database,
		APIKeys:  []string{"admin:" + journeyAdminKey, "adapter:" + journeyAdapterKey + ":whatsapp"},
		Flags: []string{"--transcription-model=whisper-1", "--openai-base-url=" + model.BaseURL(),
			"--openai-api-key=" + model.APIKey()},
	})
	waAddr := freeAddr(t)
	waURL := "http://" + waAddr + "/webhook"
	startProc(t, ProcSpec{Name: "whatsapp", Binary: binary(t, "./adapters/whatsapp"), Args: []string{
		"--listen=" + waAddr, "--server=" + server.GRPCAddr, "--token=" + journeyAdapterKey,
		"--verify-token=" + journeyVerify, "--app-secret=" + journeyAppSecret,
		"--access-token=" + graphtest.DefaultToken, "--graph-url=" + graph.URL,
	}})
	admin := server.Dial(t, journeyAdminKey)

	const bea = "56955556666"
	body := graphtest.VoiceNoteWebhook(graphtest.DefaultBusiness, bea, "Bea", "wamid.bea.voice", "media-voice-1", "audio/ogg; codecs=opus", time.Now())
	eventually(t, 30*time.Second, "the voice note's webhook to be accepted", func() error {
		req, err := graphtest.NewWebhookRequest(waURL, journeyAppSecret, body)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})

	var reply string
	eventually(t, 30*time.Second, "the answer to the voice note", func() error {
		for _, req := range graph.MessageRequests() {
			v, err := req.JSON()
			if err != nil || strings.TrimPrefix(fmt.Sprint(v["to"]), "+") != bea {
				continue
			}
			switch v["type"] {
			case "text":
				reply = v["text"].(map[string]any)["body"].(string)
				return nil
			case "interactive":
				reply = v["interactive"].(map[string]any)["body"].(map[string]any)["text"].(string)
				return nil
			}
		}
		return fmt.Errorf("no reply yet")
	})
	if !strings.Contains(strings.ToLower(reply), "contraseña") {
		t.Errorf("the reply to the voice note does not answer its words: %q", reply)
	}
	trs := model.TranscriptionRequests()
	if len(trs) != 1 || !bytes.Equal(trs[0].Audio, audio) {
		t.Fatalf("%d transcriptions; want one, of the %d bytes of the voice note", len(trs), len(audio))
	}

	ctx := context.Background()
	conv, err := admin.Conversations.GetConversation(ctx, &relevov1.GetConversationRequest{
		Contact: &relevov1.Contact{Channel: "whatsapp", Address: bea}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(conv.GetMessages()); n < 2 {
		t.Fatalf("history of %d messages, want the voice note and its answer", n)
	}
	erased, err := admin.Conversations.EraseContact(ctx, &relevov1.EraseContactRequest{Contact: &relevov1.Contact{Channel: "whatsapp", Address: bea}})
	if err != nil {
		t.Fatal(err)
	}
	if erased.GetMessagesDeleted() < 2 {
		t.Errorf("erasure %v, want the voice note and its answer gone", erased)
	}
}
