package openaitest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// EmbeddingsRequest is a decoded POST /v1/embeddings body. Inputs holds the
// texts whether the client sent a string or an array; token arrays are kept
// as their decimal numbers joined by spaces.
type EmbeddingsRequest struct {
	Model          string
	Inputs         []string
	EncodingFormat string
	Dimensions     int
}

func decodeEmbeddings(b []byte) (*EmbeddingsRequest, error) {
	var raw struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
		Dimensions     int             `json:"dimensions"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("We could not parse the JSON body of your request: %w", err)
	}
	req := &EmbeddingsRequest{Model: raw.Model, EncodingFormat: raw.EncodingFormat, Dimensions: raw.Dimensions}
	if req.Model == "" {
		return nil, fmt.Errorf("you must provide a model parameter")
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		return nil, fmt.Errorf("Invalid value for 'encoding_format': %q", req.EncodingFormat)
	}
	if req.Dimensions < 0 {
		return nil, fmt.Errorf("Invalid value for 'dimensions': must be positive")
	}
	var one string
	var many []string
	var tokens []int
	var tokenLists [][]int
	switch {
	case json.Unmarshal(raw.Input, &one) == nil:
		req.Inputs = []string{one}
	case json.Unmarshal(raw.Input, &many) == nil:
		req.Inputs = many
	case json.Unmarshal(raw.Input, &tokens) == nil:
		req.Inputs = []string{joinInts(tokens)}
	case json.Unmarshal(raw.Input, &tokenLists) == nil:
		for _, t := range tokenLists {
			req.Inputs = append(req.Inputs, joinInts(t))
		}
	default:
		return nil, fmt.Errorf("'$.input' is invalid: expected a string, an array of strings or token arrays")
	}
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf("'$.input' is invalid: it must not be empty")
	}
	for i, in := range req.Inputs {
		if in == "" {
			return nil, fmt.Errorf("'$.input[%d]' is invalid: it must not be an empty string", i)
		}
	}
	return req, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, " ")
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, "could not read body", "invalid_request_error", "")
		return
	}
	req, err := decodeEmbeddings(body)
	if err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, err.Error(), "invalid_request_error", "")
		return
	}
	s.embN.Add(1)
	s.keep(Request{Path: r.URL.Path, Header: r.Header.Clone(), Embeddings: req})

	var fault Fault
	s.mu.Lock()
	if len(s.embeddingFault) > 0 {
		fault = s.embeddingFault[0]
		s.embeddingFault = s.embeddingFault[1:]
	}
	s.mu.Unlock()
	if !s.wait(r.Context(), fault) || s.fail(w, fault) {
		return
	}

	dims := req.Dimensions
	if dims == 0 {
		dims = s.dims
	}
	data := make([]any, len(req.Inputs))
	tokens := 0
	for i, in := range req.Inputs {
		v := Embed(in, dims)
		tokens += estimateTokens(len(in))
		var emb any = v
		if req.EncodingFormat == "base64" {
			buf := make([]byte, 4*len(v))
			for j, x := range v {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	s.promptTok.Add(int64(tokens))
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]any{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// Embed returns the fake's embedding of text: a unit vector of dims
// dimensions by feature hashing of lower-cased words, so equal texts embed
// equally and texts sharing words are close. Tests can compute expected
// vectors with it.
func Embed(text string, dims int) []float32 {
	v := make([]float32, dims)
	if dims == 0 {
		return v
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		h := fnv.New64a()
		_, _ = h.Write([]byte(w))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dims)] += sign
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}
