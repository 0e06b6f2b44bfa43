package api

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// fullInbound sets every field of an inbound message and of the messages
// it holds.
func fullInbound() *relevov1.InboundMessage {
	return &relevov1.InboundMessage{
		Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "56911112222", DisplayName: "Ana", Phone: "56911112222"},
		ChannelMessageId: "wamid.full",
		BusinessAddress:  "biz-1",
		SentAt:           timestamppb.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		Kind:             relevov1.InboundKind_INBOUND_KIND_AUDIO,
		Text:             "caption",
		Choice:           &relevov1.Choice{Id: "opt-1", Title: "Horarios"},
		Media: &relevov1.Media{Type: "voice", MediaId: "m-1", MimeType: "audio/ogg; codecs=opus", Filename: "nota.ogg",
			Sha256: "abc", Data: []byte("OggS\x00\x01\x02")},
		Reaction:            &relevov1.Reaction{MessageId: "wamid.prev", Emoji: "👍"},
		ReplyToMessageId:    "wamid.prev",
		Forwarded:           true,
		FrequentlyForwarded: true,
		Referral: &relevov1.Referral{SourceUrl: "https://example.com/ad", SourceType: "ad", SourceId: "ad-1",
			Headline: "Oferta", Body: "20%"},
	}
}

// unset names the fields of m, and of the messages it holds, left unset.
func unset(m protoreflect.Message, prefix string) []string {
	var out []string
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := prefix + string(fd.Name())
		if !m.Has(fd) {
			out = append(out, name)
			continue
		}
		if fd.Message() != nil && !fd.IsList() && !fd.IsMap() && fd.Message().FullName().Parent() == "relevo.v1" {
			out = append(out, unset(m.Get(fd).Message(), name+".")...)
		}
	}
	return out
}

// Everything an inbound message carries reaches the store: its columns or
// its details, the media bytes apart. Read back as the contract, the
// details give the message without what the columns hold.
func TestEveryInboundFieldIsKept(t *testing.T) {
	m := fullInbound()
	if missing := unset(m.ProtoReflect(), ""); len(missing) > 0 {
		t.Fatalf("fullInbound leaves %v unset: set them, and keep them in inboundFromPB", missing)
	}
	in := inboundFromPB(m)
	if in.Contact != (store.Contact{Channel: "whatsapp", Address: "56911112222", DisplayName: "Ana", Phone: "56911112222"}) ||
		in.ChannelMessageID != "wamid.full" || in.BusinessAddress != "biz-1" || !in.SentAt.Equal(m.GetSentAt().AsTime()) ||
		in.Kind != message.KindAudio || in.Text != "caption" || in.ReplyTo != "wamid.prev" || !bytes.Equal(in.MediaData, m.GetMedia().GetData()) {
		t.Errorf("inbound %+v", in)
	}
	b, err := in.Details.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var back relevov1.InboundMessage
	if err := protojson.Unmarshal(b, &back); err != nil {
		t.Fatalf("the details are not in the contract's JSON form: %v\n%s", err, b)
	}
	want := &relevov1.InboundMessage{Choice: m.GetChoice(), Media: proto.Clone(m.GetMedia()).(*relevov1.Media), Reaction: m.GetReaction(),
		Forwarded: true, FrequentlyForwarded: true, Referral: m.GetReferral()}
	want.Media.Data = nil
	if !proto.Equal(&back, want) {
		t.Errorf("details read as the contract:\n%v\nwant\n%v", &back, want)
	}
}

// Rows stored before the details had their own encoding hold the
// contract's JSON form of the whole message: they read as the same details.
func TestDetailsReadThePayloadsStoredAsTheContract(t *testing.T) {
	m := fullInbound()
	legacy, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := message.Decode(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if want := detailsFromPB(m); !reflect.DeepEqual(got, want) {
		t.Errorf("legacy inbound payload read as %+v, want %+v", got, want)
	}

	out := &relevov1.OutboundMessage{
		Buttons:  []*relevov1.Button{{Id: "relevo.feedback.yes", Title: "Sí, gracias"}, {Id: "relevo.feedback.human", Title: "Hablar con una persona"}},
		Template: &relevov1.Template{Name: "respuesta_lista", Language: "es", BodyParams: []string{"Sí, hasta 12 cuotas."}},
	}
	legacy, err = protojson.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err = message.Decode(legacy)
	if err != nil {
		t.Fatal(err)
	}
	back := &relevov1.OutboundMessage{Buttons: buttonsPB(got.Buttons), Template: templatePB(got.Template)}
	if !proto.Equal(back, out) {
		t.Errorf("legacy outbound payload gives %v, want %v", back, out)
	}
}

// A voice note's bytes are stored apart from the message, which keeps
// only the reference.
func TestHandleMessageStoresVoiceNoteBytesApart(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	m := inbound("wamid.voice")
	m.Kind = relevov1.InboundKind_INBOUND_KIND_AUDIO
	m.Text = ""
	m.Media = &relevov1.Media{Type: "voice", MediaId: "m-voice", MimeType: "audio/ogg; codecs=opus", Data: bytes.Repeat([]byte{0, 1, 2, 0xff}, 4096)}
	res, err := relevov1.NewChannelServiceClient(ts.conn(t)).HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: m})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ts.st.GetMessage(ctx, res.GetMessageId())
	if err != nil {
		t.Fatal(err)
	}
	wantMedia := &message.Media{Type: "voice", ProviderID: "m-voice", MIMEType: "audio/ogg; codecs=opus"}
	if stored.Kind != message.KindAudio || !reflect.DeepEqual(stored.Details, message.Details{Media: wantMedia}) {
		t.Errorf("stored voice note: kind %q details %+v", stored.Kind, stored.Details)
	}
	data, err := ts.st.MessageMedia(ctx, res.GetMessageId())
	if err != nil || !bytes.Equal(data, m.GetMedia().GetData()) {
		t.Errorf("MessageMedia = %d bytes, %v; want the %d sent", len(data), err, len(m.GetMedia().GetData()))
	}
}

// Buttons and templates stored with a reply reach the adapter in the
// contract's form.
func TestOutboundMessagesCarryTheirButtonsAndTemplate(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: streamBound, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: time.Second})
	ctx := context.Background()
	in, err := ts.st.AcceptInbound(ctx, store.InboundMessage{Contact: store.Contact{Channel: "whatsapp", Address: "56933334444"},
		ChannelMessageID: "wamid.q", Kind: message.KindText, Text: "¿cuotas?"})
	if err != nil {
		t.Fatal(err)
	}
	buttons := []message.Button{{ID: "relevo.feedback.yes", Title: "Sí, gracias"}}
	tmpl := &message.Template{Name: "respuesta_lista", Language: "es", BodyParams: []string{"Sí"}}
	err = ts.st.EnqueueOutbound(ctx, in.ConversationID, []store.OutboundDraft{
		{Kind: message.KindText, Text: "Sí, hasta 12.", Details: message.Details{Buttons: buttons}, DedupeKey: "b"},
		{Kind: message.KindTemplate, Text: "plantilla", Details: message.Details{Template: tmpl}, DedupeKey: "t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := subscribe(t, ts, 10)
	first := a.next(t)
	a.ack(t, first.GetId(), "wamid.out.1") // the conversation's next waits for it
	second := a.next(t)
	if first.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_TEXT || len(first.GetButtons()) != 1 ||
		first.GetButtons()[0].GetId() != "relevo.feedback.yes" || first.GetButtons()[0].GetTitle() != "Sí, gracias" || first.GetTemplate() != nil {
		t.Errorf("text with buttons offered as %v", first)
	}
	if second.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE || len(second.GetButtons()) != 0 ||
		!proto.Equal(second.GetTemplate(), &relevov1.Template{Name: "respuesta_lista", Language: "es", BodyParams: []string{"Sí"}}) {
		t.Errorf("template offered as %v", second)
	}
}
