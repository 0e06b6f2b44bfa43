package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// fill sets every field of m to the most its bounds allow: strings of
// control characters (which JSON writes six bytes each), bytes at their
// bound, maxRepeated items, the longest enum name, the largest numbers.
func fill(m protoreflect.Message) {
	md := m.Descriptor()
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for j := range maxRepeated {
				k := fillValue(m, fd.MapKey(), j)
				mp.Set(k.MapKey(), fillValue(m, fd.MapValue(), j))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := range maxRepeated {
				if fd.Message() != nil {
					e := l.NewElement()
					fillMessage(e.Message(), fd)
					l.Append(e)
					continue
				}
				l.Append(fillValue(m, fd, j))
			}
		case fd.Message() != nil:
			fillMessage(m.Mutable(fd).Message(), fd)
		default:
			m.Set(fd, fillValue(m, fd, 0))
		}
	}
}

func fillMessage(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
	switch fd.Message().FullName() {
	case "google.protobuf.Timestamp":
		proto.Merge(m.Interface(), &timestamppb.Timestamp{Seconds: 253402300799, Nanos: 999999999})
	case "google.protobuf.Duration":
		proto.Merge(m.Interface(), &durationpb.Duration{Seconds: -315576000000, Nanos: -999999999})
	default:
		fill(m)
	}
}

func fillValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, j int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		s := []byte(strings.Repeat("\x01", boundOf(fd)))
		copy(s, fmt.Sprint(j)) // distinct map keys
		return protoreflect.ValueOfString(string(s))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(bytes.Repeat([]byte{0xff}, boundOf(fd)))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		longest := fd.Enum().Values().Get(0)
		for i := range fd.Enum().Values().Len() {
			if v := fd.Enum().Values().Get(i); len(v.Name()) > len(longest.Name()) {
				longest = v
			}
		}
		return protoreflect.ValueOfEnum(longest.Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(math.MinInt32 + int32(j))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(math.MinInt64 + int64(j))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(math.MaxUint32 - uint32(j))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(math.MaxUint64 - uint64(j))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(-math.MaxFloat32)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(-math.SmallestNonzeroFloat64)
	}
	panic(fmt.Sprintf("fill: %s of kind %s", fd.FullName(), fd.Kind()))
}

// carriesBytes reports whether a request of type md can carry a bytes
// field (a file).
func carriesBytes(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		if fd.Kind() == protoreflect.BytesKind || fd.Message() != nil && carriesBytes(fd.Message(), seen) {
			return true
		}
	}
	return false
}

// Every method takes the largest request its bounds allow, on gRPC and
// as indented JSON with every character escaped; only the methods that
// carry files take more than the smallest limit.
func TestEachMethodTakesWhatItsBoundsAllowAndNoMore(t *testing.T) {
	protoregistry.GlobalFiles.RangeFilesByPackage("relevo.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			ms := fd.Services().Get(i).Methods()
			for j := range ms.Len() {
				md := ms.Get(j).Input()
				l := limitsOf(md)
				m := dynamicpb.NewMessage(md)
				fill(m)
				if n := proto.Size(m); n > l.wire {
					t.Errorf("%s: the largest request takes %d bytes on gRPC, over its limit of %d", ms.Get(j).FullName(), n, l.wire)
				}
				js, err := protojson.MarshalOptions{Indent: "    ", UseProtoNames: true}.Marshal(m)
				if err != nil {
					t.Fatalf("%s: %v", ms.Get(j).FullName(), err)
				}
				if len(js) > l.json {
					t.Errorf("%s: the largest request takes %d bytes as JSON, over its limit of %d", ms.Get(j).FullName(), len(js), l.json)
				}
				if !carriesBytes(md, map[protoreflect.FullName]bool{}) && (l.wire != minRequestLimit || l.json != minRequestLimit) {
					t.Errorf("%s carries no file but takes %d bytes on gRPC, %d as JSON", ms.Get(j).FullName(), l.wire, l.json)
				}
			}
		}
		return true
	})
	if maxWireRequest >= MaxRequestBytes {
		t.Errorf("gRPC's receive limit %d: want it under %d, what the largest method needs", maxWireRequest, MaxRequestBytes)
	}
}

// padded appends to the encoding of m an unknown field of n bytes: a
// request any method would otherwise take, of any size.
func padded(t *testing.T, m proto.Message, n int) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, 9999, protowire.BytesType)
	return protowire.AppendBytes(b, make([]byte, n))
}

// A key that may call any method but the uploads sends a request of at
// most what that method takes: many megabytes only where a file goes.
func TestRequestsOverTheirMethodsLimitAreRefusedOnGRPC(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey, "desk:"+deskKey)
	conn := ts.conn(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, key, method, named string
		req                      proto.Message
		resp                     proto.Message
	}{
		{"a receipt", adapterKey, relevov1.ChannelService_ReportDelivery_FullMethodName, "ReportDelivery",
			&relevov1.ReportDeliveryRequest{Channel: "whatsapp", ProviderMessageId: "wamid.x", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_READ}, &relevov1.ReportDeliveryResponse{}},
		{"a ticket read", deskKey, relevov1.TicketService_GetTicket_FullMethodName, "GetTicket",
			&relevov1.GetTicketRequest{TicketId: "t1"}, &relevov1.GetTicketResponse{}},
		{"an admin's entry", adminKey, relevov1.KnowledgeService_CreateEntry_FullMethodName, "CreateEntry",
			&relevov1.CreateEntryRequest{Question: "¿q?", Answer: "a"}, &relevov1.CreateEntryResponse{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := padded(t, tc.req, 2<<20)
			err := conn.Invoke(withKey(ctx, tc.key), tc.method, &raw, tc.resp, grpc.ForceCodecV2(rawCodec{}))
			st := status.Convert(err)
			if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "1 MiB") || !strings.Contains(st.Message(), tc.named) {
				t.Fatalf("got %v %q, want ResourceExhausted naming 1 MiB and %s", st.Code(), st.Message(), tc.named)
			}
		})
	}
	// The same on a stream, message by message.
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := conn.NewStream(withKey(sctx, adapterKey), &grpc.StreamDesc{ClientStreams: true, ServerStreams: true},
		relevov1.ChannelService_StreamOutbound_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	sub := padded(t, &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{Subscribe: &relevov1.Subscribe{Channel: "webchat"}}}, 2<<20)
	if err := stream.SendMsg(&sub); err != nil {
		t.Fatal(err)
	}
	var out relevov1.StreamOutboundResponse
	if err := stream.RecvMsg(&out); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("stream: got %v, want ResourceExhausted", err)
	}

	// A message's media may be as large as its bound.
	m := inbound("wamid.media")
	m.Kind = relevov1.InboundKind_INBOUND_KIND_MEDIA
	m.Media = &relevov1.Media{Type: "document", MimeType: "application/pdf", Data: make([]byte, 2<<20)}
	if _, err := relevov1.NewChannelServiceClient(conn).HandleMessage(withKey(ctx, adapterKey), &relevov1.HandleMessageRequest{Message: m}); status.Code(err) == codes.ResourceExhausted {
		t.Fatalf("a message with 2 MiB of media: %v", err)
	}
}

// endless is a JSON body that never ends, counting what was read of it.
type endless struct {
	head []byte
	read atomic.Int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = ' '
	}
	e.read.Add(int64(len(p)))
	return len(p), nil
}

// On REST the limit of the method applies while the body is read: a
// body of any size costs the server no more than the method takes.
func TestRESTBodiesOverTheirMethodsLimitAreRefusedWhileRead(t *testing.T) {
	ts := startServer(t, "adapter:"+adapterKey)
	body := &endless{head: []byte(`{"channel":"whatsapp","providerMessageId":"wamid.x","status":"RECEIPT_STATUS_READ"`)}
	req, err := http.NewRequest("POST", ts.httpURL+"/v1/receipts", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adapterKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(out, []byte(`"ResourceExhausted"`)) ||
		!bytes.Contains(out, []byte("1 MiB")) || !bytes.Contains(out, []byte("ReportDelivery")) {
		t.Fatalf("status %d %s, want 413 naming 1 MiB and ReportDelivery", resp.StatusCode, out)
	}
	if n := body.read.Load(); n > 8<<20 {
		t.Fatalf("the client wrote %d bytes before the answer: the server read past the limit", n)
	}

	// A message's media may be as large as its bound.
	media := bytes.Repeat([]byte("A"), 4<<20)
	code, res := restCall(t, "POST", ts.httpURL+"/v1/messages", adapterKey,
		`{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-media","kind":"INBOUND_KIND_MEDIA","media":{"type":"document","mimeType":"application/pdf","data":"`+string(media)+`"}}}`)
	if code == http.StatusRequestEntityTooLarge {
		t.Fatalf("a message with 3 MiB of media: status %d %v", code, res)
	}
}

// The README states the limits as computed.
func TestTheREADMEStatesTheRequestLimits(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	upload := limitsOf((&relevov1.UploadDocumentRequest{}).ProtoReflect().Descriptor())
	message := limitsOf((&relevov1.HandleMessageRequest{}).ProtoReflect().Descriptor())
	for _, want := range []string{
		fmt.Sprintf("`UploadDocument` %s on gRPC and %s as a REST body", sizeText(upload.wire), sizeText(upload.json)),
		fmt.Sprintf("(a message's media) %s and %s, every other method %s", sizeText(message.wire), sizeText(message.json), sizeText(minRequestLimit)),
		fmt.Sprintf("gRPC refuses unread a message over %s", sizeText(maxWireRequest)),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README does not say %q", want)
		}
	}
}
