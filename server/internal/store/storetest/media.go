package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// voiceNote is an inbound voice note carrying n bytes of audio whose
// content depends on seed.
func voiceNote(c store.Contact, n int, seed byte) store.InboundMessage {
	in := inbound(c, "")
	in.Kind = message.KindAudio
	in.Details = message.Details{Media: &message.Media{Type: "voice", ProviderID: uniq("media"), MIMEType: "audio/ogg; codecs=opus"}}
	in.MediaData = make([]byte, n)
	for i := range in.MediaData {
		in.MediaData[i] = byte(i) + seed
	}
	return in
}

var mediaTests = []test{
	{"media bytes are stored apart from the message and read by MessageMedia alone", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", uniq("voice"))
		in := voiceNote(c, 64<<10, 7)
		res := accept(t, st, in)
		text := accept(t, st, inbound(c, "¿me escuchaste?"))

		m, err := st.GetMessage(ctx, res.MessageID)
		noErr(t, "GetMessage", err)
		if m.Kind != message.KindAudio || !reflect.DeepEqual(m.Details, in.Details) {
			t.Errorf("stored voice note = kind %q details %+v, want %q %+v", m.Kind, m.Details, message.KindAudio, in.Details)
		}
		data, err := st.MessageMedia(ctx, res.MessageID)
		noErr(t, "MessageMedia", err)
		if !bytes.Equal(data, in.MediaData) {
			t.Errorf("MessageMedia = %d bytes, want the %d accepted", len(data), len(in.MediaData))
		}
		if _, err := st.MessageMedia(ctx, text.MessageID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MessageMedia of a text message: %v, want ErrNotFound", err)
		}
		if _, err := st.MessageMedia(ctx, "no-such-message"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MessageMedia of no message: %v, want ErrNotFound", err)
		}
		cl := mustClaim(t, st, "w")
		if len(cl.Messages) != 2 || !reflect.DeepEqual(cl.Messages[0].Details, in.Details) {
			t.Errorf("claimed messages = %+v", cl.Messages)
		}
	}},
	{"a re-delivered voice note keeps the media first stored", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		in := voiceNote(contact("whatsapp", uniq("voice")), 1000, 1)
		first := accept(t, st, in)
		again := in
		again.MediaData = bytes.Repeat([]byte{0xff}, 10)
		if res := accept(t, st, again); !res.Duplicate || res.MessageID != first.MessageID {
			t.Fatalf("re-delivery = %+v, want a duplicate of %s", res, first.MessageID)
		}
		data, err := st.MessageMedia(ctx, first.MessageID)
		noErr(t, "MessageMedia", err)
		if !bytes.Equal(data, in.MediaData) {
			t.Errorf("MessageMedia after a re-delivery = %d bytes, want the first %d", len(data), len(in.MediaData))
		}
	}},
	{"voice notes accepted together each keep their own media", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const n = 48
		ins := make([]store.InboundMessage, n)
		results := make([]store.AcceptResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			// Some contacts send two, some a text beside: batches mix them.
			c := contact("whatsapp", fmt.Sprint(7000+i/2))
			ins[i] = voiceNote(c, 100+i*37, byte(i))
			if i%3 == 0 {
				ins[i].MediaData = nil
				ins[i].Kind, ins[i].Details, ins[i].Text = message.KindText, message.Details{}, fmt.Sprint("texto ", i)
			}
			wg.Go(func() { results[i], errs[i] = st.AcceptInbound(ctx, ins[i]) })
		}
		wg.Wait()
		for i := range n {
			noErr(t, "AcceptInbound", errs[i])
			data, err := st.MessageMedia(ctx, results[i].MessageID)
			if ins[i].MediaData == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("message %d without media: MessageMedia = %d bytes, %v", i, len(data), err)
				}
				continue
			}
			noErr(t, "MessageMedia", err)
			if !bytes.Equal(data, ins[i].MediaData) {
				t.Errorf("message %d: MessageMedia = %d bytes, want its own %d", i, len(data), len(ins[i].MediaData))
			}
		}
	}},
	{"erasing a contact erases its media, and only its", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		gone, kept := contact("whatsapp", uniq("erase")), contact("whatsapp", uniq("keep"))
		a := accept(t, st, voiceNote(gone, 500, 3))
		b := accept(t, st, voiceNote(gone, 600, 4))
		k := accept(t, st, voiceNote(kept, 700, 5))
		e, err := st.EraseContact(ctx, gone.Channel, gone.Address)
		noErr(t, "EraseContact", err)
		if e.Media != 2 || e.Messages != 2 {
			t.Errorf("Erasure = %+v, want 2 messages with 2 media", e)
		}
		for _, id := range []string{a.MessageID, b.MessageID} {
			if _, err := st.MessageMedia(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("media of an erased message: %v, want ErrNotFound", err)
			}
		}
		if data, err := st.MessageMedia(ctx, k.MessageID); err != nil || len(data) != 700 {
			t.Errorf("another contact's media after the erasure: %d bytes, %v", len(data), err)
		}
	}},
}
