package embed

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures an OpenAI-compatible embeddings endpoint.
type OpenAIConfig struct {
	// BaseURL of the API, e.g. "https://api.openai.com/v1" or a local
	// OpenAI-compatible server; empty for OpenAI.
	BaseURL string
	APIKey  string
	// Model, e.g. "text-embedding-3-small".
	Model string
	// Dimensions asks the model for shorter vectors (text-embedding-3 and
	// later); 0 keeps the model's size, which must then be given in
	// ModelDims.
	Dimensions int
	// ModelDims is the model's native size when Dimensions is 0.
	ModelDims int
	// BatchSize bounds the inputs per request (default 256).
	BatchSize int
	// CosineLow and CosineHigh are the cosines of unrelated texts and of
	// close paraphrases for this model (defaults 0.2 and 0.75, typical of
	// text-embedding-3); measure them on your own data with the eval runner.
	CosineLow, CosineHigh float64
	HTTPClient            *http.Client
}

// OpenAI embeds text through an OpenAI-compatible /v1/embeddings endpoint.
type OpenAI struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAI returns an embedder for the configured endpoint.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("openai embedder: model required")
	}
	if cfg.Dimensions == 0 && cfg.ModelDims == 0 {
		return nil, fmt.Errorf("openai embedder: dimensions or model dims required")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.CosineHigh <= cfg.CosineLow {
		cfg.CosineLow, cfg.CosineHigh = 0.2, 0.75
	}
	c := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		c.BaseURL = cfg.BaseURL
	}
	if cfg.HTTPClient != nil {
		c.HTTPClient = cfg.HTTPClient
	}
	return &OpenAI{client: openai.NewClientWithConfig(c), cfg: cfg}, nil
}

// Model names the model and size, so vectors of another size are recomputed.
func (o *OpenAI) Model() string {
	return o.cfg.Model + "@" + strconv.Itoa(o.Dimensions())
}

// Dimensions returns the vector size.
func (o *OpenAI) Dimensions() int {
	if o.cfg.Dimensions > 0 {
		return o.cfg.Dimensions
	}
	return o.cfg.ModelDims
}

// CosineRange returns the configured cosine scale of the model.
func (o *OpenAI) CosineRange() (lo, hi float64) { return o.cfg.CosineLow, o.cfg.CosineHigh }

// Embed returns one unit vector per text, in order.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += o.cfg.BatchSize {
		end := min(start+o.cfg.BatchSize, len(texts))
		batch := make([]string, end-start)
		for i, t := range texts[start:end] {
			if t == "" {
				t = " " // the API rejects empty inputs
			}
			batch[i] = t
		}
		resp, err := o.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
			Input:      batch,
			Model:      openai.EmbeddingModel(o.cfg.Model),
			Dimensions: o.cfg.Dimensions,
		})
		if err != nil {
			return nil, fmt.Errorf("embeddings: %w", err)
		}
		if len(resp.Data) != len(batch) {
			return nil, fmt.Errorf("embeddings: %d vectors for %d inputs", len(resp.Data), len(batch))
		}
		vecs := make([][]float32, len(batch))
		for _, d := range resp.Data {
			if d.Index < 0 || d.Index >= len(batch) || vecs[d.Index] != nil {
				return nil, fmt.Errorf("embeddings: bad index %d", d.Index)
			}
			if len(d.Embedding) != o.Dimensions() {
				return nil, fmt.Errorf("embeddings: got %d dimensions, want %d", len(d.Embedding), o.Dimensions())
			}
			Normalize(d.Embedding)
			vecs[d.Index] = d.Embedding
		}
		out = append(out, vecs...)
	}
	return out, nil
}
