package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// restMarshaler is the gateway's JSON. Responses are written as the
// gateway's default writes them. Requests are read strictly: a field or an
// enum value name the contract does not have is refused, naming it, since
// the gateway's default drops both silently and the call then runs with a
// part of the request left at its default (a receipt of no status, a voice
// note taken for text). A string that cannot be read is refused naming its
// field, where the JSON parser would report only where it stopped.
func restMarshaler() runtime.Marshaler {
	return &runtime.HTTPBodyMarshaler{Marshaler: &restJSON{JSONPb: runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}}
}

type restJSON struct{ runtime.JSONPb }

func (j *restJSON) NewDecoder(r io.Reader) runtime.Decoder {
	// One JSON decoder over the body, as the gateway's own: a stream of
	// messages is read a value at a time, and the raw text of each is kept
	// at hand to name a bad string.
	dec := json.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		m, ok := v.(proto.Message)
		if !ok {
			return j.JSONPb.Unmarshal(raw, v)
		}
		err := j.UnmarshalOptions.Unmarshal(raw, m)
		if err == nil {
			return nil
		}
		if path, reason := badJSONString(raw); reason != "" {
			if path == "" || len(path) > 128 {
				path = "request"
			}
			return fmt.Errorf("%s: %s", path, reason)
		}
		return err
	})
}

// badJSONString finds the first string of a JSON text that holds no
// character string: one with bytes that are not UTF-8, or with an escape
// that is half of a UTF-16 surrogate pair. It returns the path of the
// value (keys as written, "[i]" for array items) and why, or "" when every
// string reads.
func badJSONString(raw []byte) (path, reason string) {
	type level struct {
		array bool
		name  string // an object's current key
		index int    // an array's current item
		key   bool   // an object's next string is a key
	}
	var stack []level
	where := func(extra string) string {
		var b strings.Builder
		for i, l := range stack {
			switch {
			case l.array:
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			case i > 0:
				b.WriteString("." + l.name)
			default:
				b.WriteString(l.name)
			}
		}
		if extra != "" && b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(extra)
		return b.String()
	}
	next := func() { // a value of the innermost container is done
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].key = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	start := dec.InputOffset()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		text := raw[start:dec.InputOffset()]
		start = dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, level{array: t == '[', key: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			bad := stringFault(text)
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].key {
				if bad != "" {
					return where(""), "a field name is " + bad
				}
				stack[n-1].name, stack[n-1].key = t, false
				continue
			}
			if bad != "" {
				return where(""), bad
			}
			next()
		default:
			next()
		}
	}
}

// stringFault says what is wrong with a JSON string as written (text may
// start with the separators before it), or "".
func stringFault(text []byte) string {
	if !utf8.Valid(text) {
		return "not valid UTF-8"
	}
	hex := func(i int) (rune, bool) {
		if i+6 > len(text) || text[i] != '\\' || text[i+1] != 'u' {
			return 0, false
		}
		r, err := strconv.ParseUint(string(text[i+2:i+6]), 16, 16)
		return rune(r), err == nil
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // \" \\ \n …
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := hex(i + 6); ok && lo >= 0xDC00 && lo < 0xE000 {
				i += 11
				continue
			}
			return fmt.Sprintf(`not valid UTF-8: \u%04x is half of a UTF-16 surrogate pair, without its other half`, r)
		case r >= 0xDC00 && r < 0xE000:
			return fmt.Sprintf(`not valid UTF-8: \u%04x is half of a UTF-16 surrogate pair, without its other half`, r)
		}
		i += 5
	}
	return ""
}
