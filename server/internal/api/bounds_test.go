package api

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

// huge is far beyond the bound of every field it is sent in, within what
// their methods take (1 MiB): a caller sending it must be told which
// field, and nothing of it may be stored or echoed.
var huge = strings.Repeat("A", 512<<10)

func TestOversizedFieldsAreRefusedNamingTheField(t *testing.T) {
	ts := startServer(t)
	conn := ts.conn(t)
	ch := relevov1.NewChannelServiceClient(conn)
	tk := relevov1.NewTicketServiceClient(conn)
	ctx := context.Background()
	msg := func(edit func(m *relevov1.InboundMessage)) *relevov1.HandleMessageRequest {
		m := inbound("wamid.bounds")
		edit(m)
		return &relevov1.HandleMessageRequest{Message: m}
	}
	for _, tc := range []struct {
		field string
		call  func() error
	}{
		{"message.contact.phone", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) { m.Contact.Phone = huge }))
			return err
		}},
		{"message.business_address", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) { m.BusinessAddress = huge }))
			return err
		}},
		{"message.reply_to_message_id", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) { m.ReplyToMessageId = huge }))
			return err
		}},
		{"message.choice.id", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) {
				m.Kind, m.Choice = relevov1.InboundKind_INBOUND_KIND_CHOICE, &relevov1.Choice{Id: huge, Title: "Sí"}
			}))
			return err
		}},
		{"message.choice.title", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) {
				m.Text, m.Kind, m.Choice = "", relevov1.InboundKind_INBOUND_KIND_CHOICE, &relevov1.Choice{Id: "yes", Title: huge}
			}))
			return err
		}},
		{"message.referral.body", func() error {
			_, err := ch.HandleMessage(ctx, msg(func(m *relevov1.InboundMessage) { m.Referral = &relevov1.Referral{Body: huge} }))
			return err
		}},
		{"author_name", func() error {
			_, err := ch.SendHumanMessage(ctx, &relevov1.SendHumanMessageRequest{
				Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"}, ChannelMessageId: "wamid.h", Text: "hola", AuthorName: huge,
			})
			return err
		}},
		{"channel_message_id", func() error {
			_, err := ch.SendHumanMessage(ctx, &relevov1.SendHumanMessageRequest{
				Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"}, ChannelMessageId: huge, Text: "hola",
			})
			return err
		}},
		{"error_reason", func() error {
			_, err := ch.ReportDelivery(ctx, &relevov1.ReportDeliveryRequest{
				Channel: "whatsapp", ProviderMessageId: "wamid.x", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED, ErrorReason: huge,
			})
			return err
		}},
		{"reason", func() error {
			_, err := tk.CloseTicket(ctx, &relevov1.CloseTicketRequest{TicketId: "T-AAAAAA", Reason: huge})
			return err
		}},
		{"page_token", func() error {
			_, err := tk.ListTickets(ctx, &relevov1.ListTicketsRequest{PageToken: huge})
			return err
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			err := tc.call()
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), tc.field+":") {
				t.Fatalf("got %v %.200q, want InvalidArgument naming %s", st.Code(), st.Message(), tc.field)
			}
			if len(st.Message()) > maxErrorMessage {
				t.Fatalf("the error echoes %d bytes", len(st.Message()))
			}
		})
	}
	if list, _, err := ts.st.ListConversations(ctx, store.ConversationFilter{Limit: 100}); err != nil || len(list) != 0 {
		t.Fatalf("conversations after refused calls: %d (err %v), want none stored", len(list), err)
	}
}

func TestAMangledPageTokenIsNotEchoed(t *testing.T) {
	ts := startServer(t)
	token := strings.Repeat("Z", 900) // under the bound, still not a token
	_, err := relevov1.NewTicketServiceClient(ts.conn(t)).ListTickets(context.Background(), &relevov1.ListTicketsRequest{PageToken: token})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || strings.Contains(st.Message(), strings.Repeat("Z", 40)) {
		t.Fatalf("got %v %.300q: want InvalidArgument echoing at most a short prefix", st.Code(), st.Message())
	}
}

// rawCodec sends bytes as they are, so that a test can put on the wire what
// no well-behaved client would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}
func (rawCodec) Name() string { return "proto" }

// withInvalidUTF8 encodes m and replaces the marker with bytes that are not
// UTF-8.
func withInvalidUTF8(t *testing.T, m proto.Message, marker string) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Repeat([]byte{0xff}, len(marker))
	out := bytes.Replace(b, []byte(marker), bad, 1)
	if bytes.Equal(out, b) {
		t.Fatal("marker not found")
	}
	return out
}

func TestInvalidUTF8IsInvalidArgumentOnGRPC(t *testing.T) {
	ts := startServer(t)
	conn := ts.conn(t)
	m := inbound("wamid.utf8")
	m.Contact.DisplayName = "MARKERMARKER"
	raw := withInvalidUTF8(t, &relevov1.HandleMessageRequest{Message: m}, "MARKERMARKER")
	var resp relevov1.HandleMessageResponse
	err := conn.Invoke(context.Background(), "/relevo.v1.ChannelService/HandleMessage", &raw, &resp, grpc.ForceCodecV2(rawCodec{}))
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "message.contact.display_name") {
		t.Fatalf("got %v %q, want InvalidArgument naming message.contact.display_name", st.Code(), st.Message())
	}

	// The same on a stream: the subscribe of StreamOutbound.
	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ClientStreams: true, ServerStreams: true},
		"/relevo.v1.ChannelService/StreamOutbound", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	sub := withInvalidUTF8(t, &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{
		Subscribe: &relevov1.Subscribe{Channel: "MARKER"}}}, "MARKER")
	if err := stream.SendMsg(&sub); err != nil {
		t.Fatal(err)
	}
	var out relevov1.StreamOutboundResponse
	err = stream.RecvMsg(&out)
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "subscribe.channel") {
		t.Fatalf("stream: got %v %q, want InvalidArgument naming subscribe.channel", st.Code(), st.Message())
	}
}

func TestInvalidUTF8IsBadRequestOnREST(t *testing.T) {
	ts := startServer(t)
	body := []byte(`{"message":{"contact":{"channel":"whatsapp","address":"569111","display_name":"` + "\xff\xfe" + `"},"channel_message_id":"x","text":"hola"}}`)
	resp, err := http.Post(ts.httpURL+"/v1/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
}

func TestRESTErrorsDoNotEchoTheBody(t *testing.T) {
	ts := startServer(t)
	for _, body := range []string{
		`{"message":` + strings.Repeat("A", 100<<10) + `}`,
		`{"message":{"contact":{"channel":"whatsapp","address":"5691","phone":"` + strings.Repeat("9", 100<<10) + `"},"channelMessageId":"m","text":"hola"}}`,
	} {
		code, out := restCall(t, "POST", ts.httpURL+"/v1/messages", "", body)
		msg, _ := out["message"].(string)
		if code != http.StatusBadRequest || len(msg) > maxErrorMessage || msg == "" {
			t.Errorf("status %d, message of %d bytes (%.80q): want 400 with a short reason", code, len(msg), msg)
		}
	}
}

// A path or query parameter that is not UTF-8 reaches the gateway's own
// encoding before the server: it is the caller's error, named, on REST too.
func TestInvalidUTF8InTheURLIsBadRequestOnREST(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct{ path, field string }{
		{"/v1/tickets/%FF%FE", "ticket_id"},
		{"/v1/tickets?page_token=%FF", "page_token"},
		{"/v1/conversations?channel=ab%C3", "channel"},
		{"/v1/entries/%ED%A0%80:reject", "entry_id"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			method := "GET"
			if strings.HasSuffix(tc.path, ":reject") {
				method = "POST"
			}
			code, out := restCall(t, method, ts.httpURL+tc.path, "", "{}")
			msg, _ := out["message"].(string)
			if code != http.StatusBadRequest || msg != tc.field+": not valid UTF-8" {
				t.Fatalf("status %d %q, want 400 naming %s", code, msg, tc.field)
			}
		})
	}
}

// The gateway's own parse errors quote the value they could not read: they
// reach the caller with a short prefix of it at most, as the guard's do.
func TestRESTParseErrorsEchoAShortPrefixAtMost(t *testing.T) {
	ts := startServer(t)
	long := strings.Repeat("Q", 3000)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/tickets?status=" + long, ""},
		{"GET", "/v1/tickets?page_size=" + long, ""},
		{"POST", "/v1/knowledge:search", `{"query":"hola","limit":"` + long + `"}`},
		{"POST", "/v1/messages", `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m","sentAt":"` + long + `"}}`},
		{"POST", "/v1/documents", `{"filename":"a.md","content":"` + long + `_"}`},
		{"GET", "/v1/documents/" + strings.Repeat("Q", 250), ""},
	} {
		code, out := restCall(t, tc.method, ts.httpURL+tc.path, "", tc.body)
		msg, _ := out["message"].(string)
		if code < 400 || code >= 500 || msg == "" || strings.Contains(msg, strings.Repeat("Q", 40)) {
			t.Errorf("%s %.40s: status %d %.300q, want a 4xx echoing a short prefix at most", tc.method, tc.path, code, msg)
		}
	}
}

func TestShortenQuotedCutsEachQuotedValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`no quotes`, `no quotes`},
		{`field "short": bad`, `field "short": bad`},
		{`document "0123456789abcdef": not found`, `document "01234567…": not found`},
		{`a "0123456\"89" b "xyz"`, `a "0123456\"…" b "xyz"`},
		{`a "0123456\x00aaaa"`, `a "0123456\x00…"`},
		{`a "ñññññ"`, `a "ññññ…"`}, {`a "0ñññññ"`, `a "0ñññ…"`},
		{`unterminated "0123456789`, `unterminated "01234567…`},
		{`trailing "`, `trailing "`},
	} {
		if got := shortenQuoted(tc.in, 8); got != tc.want {
			t.Errorf("shortenQuoted(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestANotFoundIDIsNotEchoedOnGRPC(t *testing.T) {
	ts := startServer(t)
	_, err := relevov1.NewKnowledgeServiceClient(ts.conn(t)).GetDocument(context.Background(),
		&relevov1.GetDocumentRequest{DocumentId: strings.Repeat("Q", 250)})
	if st := status.Convert(err); st.Code() != codes.NotFound || strings.Contains(st.Message(), strings.Repeat("Q", 40)) {
		t.Fatalf("got %v %.300q: want NotFound echoing a short prefix at most", st.Code(), st.Message())
	}
}

// A time or duration outside what the well-known types allow (years 1 to
// 9999, nanoseconds within a second) is refused on gRPC as it is on REST,
// where the JSON parser refuses it, instead of being stored as garbage.
func TestTimesOutOfRangeAreRefusedNamingTheField(t *testing.T) {
	ts := startServer(t)
	conn := ts.conn(t)
	ch := relevov1.NewChannelServiceClient(conn)
	ctx := context.Background()
	for _, bad := range []*timestamppb.Timestamp{{Seconds: math.MaxInt64}, {Seconds: -62135596801}, {Seconds: 253402300800}, {Seconds: 1, Nanos: -5}} {
		m := inbound("wamid.time")
		m.SentAt = bad
		_, err := ch.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: m})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "message.sent_at:") {
			t.Errorf("sent_at %v: got %v %q, want InvalidArgument naming message.sent_at", bad, st.Code(), st.Message())
		}
		_, err = ch.ReportDelivery(ctx, &relevov1.ReportDeliveryRequest{Channel: "whatsapp", ProviderMessageId: "wamid.x",
			Status: relevov1.ReceiptStatus_RECEIPT_STATUS_READ, Timestamp: bad})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "timestamp:") {
			t.Errorf("timestamp %v: got %v %q, want InvalidArgument naming timestamp", bad, st.Code(), st.Message())
		}
	}
	_, err := ch.Converse(ctx, &relevov1.ConverseRequest{Message: inbound("wamid.dur"), Timeout: &durationpb.Duration{Seconds: 1, Nanos: -1}})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "timeout:") {
		t.Errorf("timeout: got %v %q, want InvalidArgument naming timeout", st.Code(), st.Message())
	}
	if list, _, err := ts.st.ListConversations(ctx, store.ConversationFilter{Limit: 100}); err != nil || len(list) != 0 {
		t.Fatalf("conversations after refused calls: %d (err %v), want none stored", len(list), err)
	}
}

// A file name is shown in tables, the console and the citations customers
// read: one that is not a plain name, or carries characters that move the
// cursor or turn text around, is refused.
func TestUploadFilenamesThatAreNotPlainNamesAreRefused(t *testing.T) {
	ts := startServer(t)
	kb := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	for _, name := range []string{"..", ".", "a\x1b[31m.md", "a\nb.md", "a\x7f.md", "a\u0085.md", "\u202egpj.md", "x\u2066y.md", "a/b.md", "a\\b.md"} {
		_, err := kb.UploadDocument(context.Background(), &relevov1.UploadDocumentRequest{Filename: name, Content: []byte("hola")})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "filename:") {
			t.Errorf("%q: got %v %q, want InvalidArgument naming filename", name, st.Code(), st.Message())
		}
	}
	if _, err := kb.UploadDocument(context.Background(), &relevov1.UploadDocumentRequest{Filename: "Preguntas frecuentes (v2) ñ.md", Content: []byte("hola")}); err != nil {
		t.Fatalf("a plain name: %v", err)
	}
}

// An enum value the contract does not define is named as unknown, not as
// missing, as every other enum field of a request is.
func TestAnUndefinedReceiptStatusIsNamedUnknown(t *testing.T) {
	ts := startServer(t)
	_, err := relevov1.NewChannelServiceClient(ts.conn(t)).ReportDelivery(context.Background(),
		&relevov1.ReportDeliveryRequest{Channel: "whatsapp", ProviderMessageId: "wamid.x", Status: 999})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "status: unknown status 999" {
		t.Fatalf("got %v %q, want InvalidArgument: status: unknown status 999", st.Code(), st.Message())
	}
}

// NaN compares false with every bound: it is refused by name, as a number
// out of range is, on both transports.
func TestANaNConfidenceIsRefusedNamingTheField(t *testing.T) {
	ts := startServer(t)
	_, err := relevov1.NewKnowledgeServiceClient(ts.conn(t)).ListContentGaps(context.Background(),
		&relevov1.ListContentGapsRequest{LowConfidenceBelow: math.NaN()})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "low_confidence_below:") {
		t.Errorf("gRPC: got %v %q, want InvalidArgument naming low_confidence_below", st.Code(), st.Message())
	}
	code, out := restCall(t, "GET", ts.httpURL+"/v1/content-gaps?low_confidence_below=NaN", "", "")
	if msg, _ := out["message"].(string); code != http.StatusBadRequest || !strings.HasPrefix(msg, "low_confidence_below:") {
		t.Errorf("REST: status %d %q, want 400 naming low_confidence_below", code, msg)
	}
}

func TestANotFoundIDIsNamedWhole(t *testing.T) {
	ts := startServer(t)
	id := "3f2b8c1e-5d4a-4e7b-9c2d-8a1f0e6b7c3d"
	_, err := relevov1.NewKnowledgeServiceClient(ts.conn(t)).GetDocument(context.Background(), &relevov1.GetDocumentRequest{DocumentId: id})
	if st := status.Convert(err); st.Code() != codes.NotFound || !strings.Contains(st.Message(), id) {
		t.Fatalf("got %v %q, want NotFound naming %s", st.Code(), st.Message(), id)
	}
}
