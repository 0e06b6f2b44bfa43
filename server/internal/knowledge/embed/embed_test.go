package embed

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestHashVectorsAreUnitLengthAndDeterministic(t *testing.T) {
	h := NewHash(analysis.New("es"), 0)
	a, _ := h.Embed(context.Background(), []string{"¿Cómo cambio mi contraseña?", "¿Cómo cambio mi contraseña?", ""})
	if len(a[0]) != DefaultHashDims {
		t.Fatalf("dims = %d", len(a[0]))
	}
	if n := cos(a[0], a[0]); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm² = %v", n)
	}
	// Bit for bit, every time: two copies of one passage must tie exactly,
	// or which of them answers changes from run to run.
	long := "Las personas pueden estar preocupadas por amigos y familiares que viven en zonas donde la enfermedad se propaga; el estigma nace del miedo y de la falta de información sobre cómo se contagia."
	first := h.Vector(long)
	for range 20 {
		if v := h.Vector(long); !slices.Equal(v, first) {
			t.Fatal("same text, vectors differ in their last bits")
		}
	}
	if !slices.Equal(a[0], a[1]) {
		t.Fatal("same text, different vectors")
	}
	if cos(a[2], a[2]) != 0 {
		t.Fatal("empty text should embed to the zero vector")
	}
}

func TestHashSimilarityFollowsMeaningfulOverlap(t *testing.T) {
	h := NewHash(analysis.New("es"), 0)
	v := func(s string) []float32 { return h.Vector(s) }
	q := v("no puedo cambiar mi contrasena")
	near := v("Para cambiar la contraseña entra a tu perfil")
	typo := v("no puedo cambiar mi contrasela")
	far := v("Los certificados se emiten al aprobar el curso")
	if !(cos(q, near) > cos(q, far)) || !(cos(q, typo) > cos(q, far)) {
		t.Fatalf("near %.3f typo %.3f far %.3f", cos(q, near), cos(q, typo), cos(q, far))
	}
}

// fakeOpenAI speaks the /v1/embeddings wire format and returns, for each
// input, a vector derived from its length, in reverse order to check that
// the client reorders by index.
func fakeOpenAI(t *testing.T, dims int, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusUnauthorized)
			return
		}
		calls.Add(1)
		var req struct {
			Input      []string `json:"input"`
			Model      string   `json:"model"`
			Dimensions int      `json:"dimensions"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "text-embedding-3-small" || req.Dimensions != dims {
			http.Error(w, `{"error":{"message":"bad body","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i := len(req.Input) - 1; i >= 0; i-- {
			v := make([]float32, dims)
			v[len(req.Input[i])%dims] = 2 // not unit length: the client normalises
			data = append(data, item{"embedding", i, v})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 3, "total_tokens": 3},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAIEmbedderBatchesAndOrders(t *testing.T) {
	var calls atomic.Int32
	srv := fakeOpenAI(t, 8, &calls)
	e, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "text-embedding-3-small", Dimensions: 8, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a", "bb", "ccc", ""}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("requests = %d, want 2 batches", calls.Load())
	}
	for i, v := range vecs {
		want := len(texts[i]) % 8
		if texts[i] == "" {
			want = 1 // sent as " "
		}
		if v[want] != 1 {
			t.Fatalf("vector %d = %v, want unit at %d", i, v, want)
		}
	}
	if e.Model() != "text-embedding-3-small@8" || e.Dimensions() != 8 {
		t.Fatalf("model %q dims %d", e.Model(), e.Dimensions())
	}
}

func TestOpenAIEmbedderReportsProviderErrors(t *testing.T) {
	var calls atomic.Int32
	srv := fakeOpenAI(t, 8, &calls)
	e, _ := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "wrong", Model: "text-embedding-3-small", Dimensions: 8})
	_, err := e.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "embeddings") {
		t.Fatalf("err = %v", err)
	}
	wrongDims, _ := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "text-embedding-3-small", Dimensions: 4})
	if _, err := wrongDims.Embed(context.Background(), []string{"x"}); err == nil {
		t.Fatal("a server refusing the request must be an error")
	}
}
