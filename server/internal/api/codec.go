package api

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// gRPC decodes a request before any interceptor runs and reports every
// decoding failure as INTERNAL, although a string that is not UTF-8 is the
// caller's mistake. requestCodec therefore decodes such a request to an
// empty message carrying, as an unknown field, the path of the offending
// field; the guard interceptor turns that mark into INVALID_ARGUMENT naming
// the field. Other decoding errors stay as gRPC reports them.
//
// A request larger than its method takes (limits.go) is not decoded at
// all: it becomes an empty message marked so, which the guard refuses as
// RESOURCE_EXHAUSTED. gRPC has read it whole by then (its receive limit is
// one for every method, the largest any method takes), but decoding it
// would cost as much again.
type requestCodec struct {
	base encoding.CodecV2
	// limit: refuse requests over their method's limit (the REST gateway's
	// server does not: the gateway limited the body it read).
	limit bool
}

// The unknown fields that mark a request decoded that way: the largest
// field numbers, which no message of the contract uses.
const (
	invalidUTF8Field protowire.Number = protowire.MaxValidNumber
	tooLargeField    protowire.Number = protowire.MaxValidNumber - 1
)

func newRequestCodec(limit bool) requestCodec {
	return requestCodec{base: encoding.GetCodecV2(grpcproto.Name), limit: limit}
}

func (c requestCodec) Name() string { return grpcproto.Name }

func (c requestCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if ok && c.limit && data.Len() > limitsOf(m.ProtoReflect().Descriptor()).wire {
		proto.Reset(m)
		m.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, tooLargeField, protowire.BytesType), nil))
		return nil
	}
	err := c.base.Unmarshal(data, v)
	if err == nil || !ok {
		return err
	}
	path := invalidUTF8Path(m.ProtoReflect().Descriptor(), data.Materialize(), "")
	if path == "" {
		return err
	}
	proto.Reset(m)
	m.ProtoReflect().SetUnknown(invalidUTF8Mark(path))
	return nil
}

func invalidUTF8Mark(path string) []byte {
	mark := protowire.AppendTag(nil, invalidUTF8Field, protowire.BytesType)
	return protowire.AppendString(mark, path)
}

// gatewayCodec is the REST gateway's side of requestCodec. The gateway
// puts path and query parameters into a request as they come, and a string
// that is not UTF-8 cannot be encoded, which gRPC reports as INTERNAL
// before the call leaves. gatewayCodec sends instead an empty request
// carrying the mark requestCodec would have made, so the call meets the
// guard (keys first, then the mark) like a native one.
type gatewayCodec struct{ base encoding.CodecV2 }

func newGatewayCodec() gatewayCodec { return gatewayCodec{base: encoding.GetCodecV2(grpcproto.Name)} }

func (c gatewayCodec) Name() string { return grpcproto.Name }

func (c gatewayCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.base.Unmarshal(data, v) }

func (c gatewayCodec) Marshal(v any) (mem.BufferSlice, error) {
	out, err := c.base.Marshal(v)
	if err == nil {
		return out, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, err
	}
	path := invalidUTF8Value(m.ProtoReflect(), "")
	if path == "" {
		return nil, err
	}
	marked := m.ProtoReflect().New()
	marked.SetUnknown(invalidUTF8Mark(path))
	return c.base.Marshal(marked.Interface())
}

// invalidUTF8Value finds the first string of m that is not UTF-8 and
// returns its path, or "".
func invalidUTF8Value(m protoreflect.Message, prefix string) string {
	var path string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				if path = invalidUTF8In(fd, v.List().Get(i), fmt.Sprintf("%s[%d]", name, i)); path != "" {
					break
				}
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if path = invalidUTF8In(fd.MapKey(), k.Value(), name+".key"); path == "" {
					path = invalidUTF8In(fd.MapValue(), mv, name+".value")
				}
				return path == ""
			})
		default:
			path = invalidUTF8In(fd, v, name)
		}
		return path == ""
	})
	return path
}

// invalidUTF8In is invalidUTF8Value for one value of field fd.
func invalidUTF8In(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) string {
	switch {
	case fd.Kind() == protoreflect.StringKind && !utf8.ValidString(v.String()):
		return path
	case fd.Message() != nil:
		return invalidUTF8Value(v.Message(), path+".")
	}
	return ""
}

// invalidUTF8Path finds the first string field of the encoded message b
// that is not UTF-8 and returns its path, or "".
func invalidUTF8Path(md protoreflect.MessageDescriptor, b []byte, prefix string) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		switch {
		case fd == nil:
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
			return prefix + string(fd.Name())
		case fd.Message() != nil:
			if p := invalidUTF8Path(fd.Message(), v, prefix+string(fd.Name())+"."); p != "" {
				return p
			}
		}
	}
	return ""
}

// markedInvalidUTF8 returns the path requestCodec recorded, if any.
func markedInvalidUTF8(m proto.Message) (string, bool) { return marked(m, invalidUTF8Field) }

// markedTooLarge reports whether requestCodec found m too large to decode.
func markedTooLarge(m proto.Message) bool {
	_, ok := marked(m, tooLargeField)
	return ok
}

// marked returns the value of the mark among m's unknown fields.
func marked(m proto.Message, mark protowire.Number) (string, bool) {
	b := m.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", false
		}
		b = b[n:]
		if num == mark && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", false
			}
			return string(v), true
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return "", false
		}
		b = b[n:]
	}
	return "", false
}
