package api

import (
	"fmt"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/relevo/relevo/proto/relevo/v1" // the contract's descriptors
)

// A method takes requests as large as its bounds allow and no larger, so
// that only the methods that carry files (UploadDocument, a message's
// media) take many megabytes. The limit of a method's request is computed
// from the bounds of its fields (bounds.go, maxRepeated): the most the
// request can take, encoded as gRPC encodes it or written as JSON (every
// character escaped, bytes in base64), rounded up to a whole MiB and never
// under minRequestLimit. A request over it is RESOURCE_EXHAUSTED (REST 413).
const minRequestLimit = 1 << 20

// requestLimits are the limits of one request type.
type requestLimits struct {
	wire int // gRPC's encoding
	json int // a REST body
}

var limitCache sync.Map // protoreflect.FullName → requestLimits

// limitsOf returns the limits of requests of type md.
func limitsOf(md protoreflect.MessageDescriptor) requestLimits {
	if l, ok := limitCache.Load(md.FullName()); ok {
		return l.(requestLimits)
	}
	l := requestLimits{
		wire: roundLimit(wireSize.message(md, nil)),
		json: roundLimit(jsonSize.message(md, nil)),
	}
	limitCache.Store(md.FullName(), l)
	return l
}

// methodLimits returns the limits of a method named as gRPC names it
// ("/relevo.v1.ChannelService/HandleMessage"); ok is false for a name the
// registry does not know.
func methodLimits(fullMethod string) (requestLimits, bool) {
	name := protoreflect.FullName(methodPath(fullMethod))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return requestLimits{}, false
	}
	m, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return requestLimits{}, false
	}
	return limitsOf(m.Input()), true
}

// methodPath turns "/pkg.Service/Method" into "pkg.Service.Method".
func methodPath(fullMethod string) string {
	b := []byte(fullMethod)
	if len(b) > 0 && b[0] == '/' {
		b = b[1:]
	}
	for i, c := range b {
		if c == '/' {
			b[i] = '.'
		}
	}
	return string(b)
}

// maxWireRequest is the largest request any method of the contract takes
// on gRPC: gRPC's own receive limit, which refuses a larger message before
// reading it.
var maxWireRequest = func() int {
	n := minRequestLimit
	protoregistry.GlobalFiles.RangeFilesByPackage("relevo.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			ms := fd.Services().Get(i).Methods()
			for j := range ms.Len() {
				n = max(n, limitsOf(ms.Get(j).Input()).wire)
			}
		}
		return true
	})
	return min(n, MaxRequestBytes)
}()

func roundLimit(n int) int {
	n = (n + 1<<20 - 1) &^ (1<<20 - 1)
	return min(max(n, minRequestLimit), MaxRequestBytes)
}

// sizing computes the most a request can take in one encoding. Every
// figure errs on the large side.
type sizing struct {
	// field is what a field costs beyond its value (tag and length, or
	// name, quotes, separators and some white space).
	field func(fd protoreflect.FieldDescriptor) int
	// str and raw are the most a string or bytes field of n bytes takes.
	str, raw func(n int) int
	// scalar is the most a number, bool or enum value takes.
	scalar func(fd protoreflect.FieldDescriptor) int
	// wellKnown is the most a message of google.protobuf takes.
	wellKnown int
}

var wireSize = sizing{
	field:     func(protoreflect.FieldDescriptor) int { return 5 + 5 }, // tag, length
	str:       func(n int) int { return n },
	raw:       func(n int) int { return n },
	scalar:    func(protoreflect.FieldDescriptor) int { return 10 },
	wellKnown: 64,
}

var jsonSize = sizing{
	field: func(fd protoreflect.FieldDescriptor) int {
		return max(len(fd.Name()), len(fd.JSONName())) + 32 // quotes, colon, comma, indentation
	},
	str: func(n int) int { return 2 + 6*n }, // every byte written \u00XX
	// base64, with room for escaped slashes ("\/").
	raw: func(n int) int { return 2 + (n+2)/3*4 + n/16 },
	scalar: func(fd protoreflect.FieldDescriptor) int {
		n := 32 // a quoted 64-bit number, a float with exponent
		if ed := fd.Enum(); ed != nil {
			for i := range ed.Values().Len() {
				n = max(n, 2+len(ed.Values().Get(i).Name()))
			}
		}
		return n
	},
	wellKnown: 128,
}

// message is the most a message of type md takes; seen holds the
// messages being sized, so that a recursive type counts as the largest
// request at all.
func (s sizing) message(md protoreflect.MessageDescriptor, seen []protoreflect.FullName) int {
	for _, n := range seen {
		if n == md.FullName() {
			return MaxRequestBytes
		}
	}
	seen = append(seen, md.FullName())
	total := 2
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		var v int
		switch {
		case fd.IsMap():
			v = maxRepeated * (s.field(fd) + s.value(fd.MapKey(), seen) + s.value(fd.MapValue(), seen))
		case fd.IsList():
			v = 2 + maxRepeated*(s.field(fd)+s.value(fd, seen))
		default:
			v = s.field(fd) + s.value(fd, seen)
		}
		total += v
		if total > MaxRequestBytes {
			return MaxRequestBytes + 1
		}
	}
	return total
}

func (s sizing) value(fd protoreflect.FieldDescriptor, seen []protoreflect.FullName) int {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return s.str(boundOf(fd))
	case protoreflect.BytesKind:
		return s.raw(boundOf(fd))
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if fd.Message().ParentFile().Package() != "relevo.v1" {
			return s.wellKnown
		}
		return s.message(fd.Message(), seen)
	}
	return s.scalar(fd)
}

// tooLarge is the error of a request over its method's limit.
func tooLarge(method string, limit int) string {
	what := "this method"
	if method != "" {
		what = method
	}
	return fmt.Sprintf("request larger than %s, the most %s takes", sizeText(limit), what)
}

// methodName is the method of a gRPC name, "HandleMessage" for
// "/relevo.v1.ChannelService/HandleMessage".
func methodName(fullMethod string) string {
	for i := len(fullMethod) - 1; i >= 0; i-- {
		if fullMethod[i] == '/' {
			return fullMethod[i+1:]
		}
	}
	return fullMethod
}
