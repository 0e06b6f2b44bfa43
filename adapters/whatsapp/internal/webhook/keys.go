package webhook

// uniqueKeys reports whether every key of the JSON body is plain ASCII
// without escapes and no object has two keys that encoding/json would
// match to one field (it ignores case). Only then does decoding a list
// into a typed slice give what decoding each element on its own gives:
// decoding a repeated key merges the second value into the element the
// first one filled, where a raw element is replaced whole. body must be
// valid JSON.
func uniqueKeys(body []byte) bool {
	type span struct{ from, to int }
	var (
		keysBuf   [64]span
		keys      = keysBuf[:0] // the keys of the open objects, innermost last
		startsBuf [16]int
		starts    = startsBuf[:0] // per open object or array: where its keys begin in keys, or -1 for an array
	)
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{':
			starts = append(starts, len(keys))
		case '[':
			starts = append(starts, -1)
		case '}', ']':
			if from := starts[len(starts)-1]; from >= 0 {
				keys = keys[:from]
			}
			starts = starts[:len(starts)-1]
		case '"':
			from := i + 1
			plain := true
			for i++; body[i] != '"'; i++ {
				if body[i] == '\\' {
					plain = false
					i++
				} else if body[i] >= 0x80 {
					plain = false
				}
			}
			to := i
			j := i + 1
			for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
				j++
			}
			if j == len(body) || body[j] != ':' {
				continue // a value
			}
			if !plain {
				return false
			}
			for _, k := range keys[starts[len(starts)-1]:] {
				if equalFoldASCII(body[k.from:k.to], body[from:to]) {
					return false
				}
			}
			keys = append(keys, span{from, to})
		}
	}
	return true
}

// equalFoldASCII reports whether a and b are equal ignoring ASCII case.
func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
