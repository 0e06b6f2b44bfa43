package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/openaitest"
	"github.com/relevo/relevo/server/sampledata"
)

// llmProfile is the embedded profile with both roles in llm mode against
// baseURL.
func llmProfile(baseURL string) *agents.Profile {
	p := agents.DefaultProfile()
	p.Triage.Mode, p.Knowledge.Mode = "llm", "llm"
	p.LLM.BaseURL = baseURL
	return p
}

// newApp assembles a server without running it and closes it at the end.
func newApp(t *testing.T, opts ...Option) (*App, error) {
	t.Helper()
	cfg, err := ParseConfig([]string{"--grpc-listen", "127.0.0.1:0", "--http-listen", "", "--database", t.TempDir() + "/relevo.db", "--sample-kb=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler), opts...)
	if err == nil {
		t.Cleanup(func() {
			a.grpcLn.Close()
			a.st.Close()
		})
	}
	return a, err
}

func TestAServerInLLMModeWithoutAnAPIKeyRefusesToStart(t *testing.T) {
	noKey := WithGetenv(func(string) string { return "" })
	tests := []struct {
		name    string
		profile func() *agents.Profile
		wantErr string
	}{
		{"both roles in llm mode", func() *agents.Profile { return llmProfile("") }, "triage.mode and knowledge.mode is llm but the environment variable OPENAI_API_KEY (llm.api_key_env) is empty"},
		{"only knowledge in llm mode, another variable", func() *agents.Profile {
			p := llmProfile("")
			p.Triage.Mode, p.LLM.APIKeyEnv = "rules", "ACME_LLM_KEY"
			return p
		}, "knowledge.mode is llm but the environment variable ACME_LLM_KEY (llm.api_key_env) is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newApp(t, WithProfile(tt.profile()), noKey)
			if err == nil || !errors.Is(err, modes.ErrNoAPIKey) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want a refusal containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAServerStartsWithAKeyOrAnExplicitlyKeylessLocalEndpoint(t *testing.T) {
	t.Run("rules mode needs no key", func(t *testing.T) {
		if _, err := newApp(t, WithGetenv(func(string) string { return "" })); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("llm mode with the key in the named variable", func(t *testing.T) {
		getenv := func(k string) string {
			if k == "OPENAI_API_KEY" {
				return "sk-test"
			}
			return ""
		}
		if _, err := newApp(t, WithProfile(llmProfile("")), WithGetenv(getenv)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a keyless local endpoint allowed by the profile", func(t *testing.T) {
		p := llmProfile("http://127.0.0.1:11434/v1")
		p.LLM.AllowNoAPIKey = true
		if _, err := newApp(t, WithProfile(p), WithGetenv(func(string) string { return "" })); err != nil {
			t.Fatal(err)
		}
	})
}

func TestATriageReplyStatingAPriceNeverReachesTheUser(t *testing.T) {
	model := openaitest.NewServer()
	t.Cleanup(model.Close)
	// Triage states a price; Knowledge is then played by the fake's
	// simulation: it searches the sample knowledge base and answers from
	// the first passage, citing it.
	model.QueueChat(openaitest.Text("Hola! El plan cuesta $9.990 al mes"))
	_, c := startAppWith(t, io.Discard, []Option{WithLLM(model.BaseURL()), WithGetenv(func(string) string { return model.APIKey() })})
	ana := &chatter{t: t, c: c, address: "ana"}

	r := ana.say("hola, ¿cuánto cuesta el plan?")

	if got := replyText(r); strings.Contains(got, "9.990") || got == "" {
		t.Fatalf("the user received %q", got)
	}
	conv, err := c.Conversations.GetConversation(context.Background(), &relevov1.GetConversationRequest{ConversationId: r.GetConversationId()})
	if err != nil {
		t.Fatal(err)
	}
	var withheld bool
	for _, run := range conv.GetRuns() {
		full, err := c.Conversations.GetRun(context.Background(), &relevov1.GetRunRequest{RunId: run.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range full.GetRun().GetSteps() {
			withheld = withheld || (s.GetKind() == "check" && strings.Contains(s.GetDetail(), "amount $9.990"))
		}
	}
	if !withheld {
		t.Errorf("the run trace does not record the withheld reply: %v", conv.GetRuns())
	}
}

// logBuffer is a log destination safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestTheSampleKnowledgeBaseIsADemoRemovedByTheFirstOwnUpload(t *testing.T) {
	logs := &logBuffer{}
	_, c := startAppWith(t, logs, nil)
	ctx := context.Background()

	docs, err := c.Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs.GetDocuments()) < 12 {
		t.Fatalf("%d sample documents loaded", len(docs.GetDocuments()))
	}
	for _, d := range docs.GetDocuments() {
		if !sampledata.IsSample(d.GetFilename()) {
			t.Errorf("sample document %q is not in the %q namespace", d.GetFilename(), sampledata.Prefix)
		}
	}
	entries, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{PageSize: 1000})
	if err != nil || len(entries.GetEntries()) == 0 || !sampledata.IsSample(entries.GetEntries()[0].GetSource()) {
		t.Fatalf("sample entries %v %v", entries.GetEntries(), err)
	}
	// Searching is what the agents do: the demo's passages cite the
	// sample namespace.
	searchSources := func() []string {
		t.Helper()
		resp, err := c.Knowledge.Search(ctx, &relevov1.SearchRequest{Query: "¿Qué medios de pago aceptan?", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range resp.GetResults() {
			out = append(out, h.GetSource())
		}
		return out
	}
	if got := searchSources(); len(got) == 0 || !sampledata.IsSample(got[0]) {
		t.Fatalf("search sources %v, want the sample documents", got)
	}

	if _, err := c.Knowledge.UploadDocument(ctx, &relevov1.UploadDocumentRequest{
		Filename: "envios.md", Content: []byte("# Envíos\n\nLos envíos nacionales tardan de 3 a 5 días hábiles.\n"),
	}); err != nil {
		t.Fatal(err)
	}

	docs, err = c.Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs.GetDocuments()) != 1 || docs.GetDocuments()[0].GetFilename() != "envios.md" {
		t.Errorf("documents after the first own upload: %v, want only envios.md", docs.GetDocuments())
	}
	entries, err = c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{PageSize: 1000})
	if err != nil || len(entries.GetEntries()) != 0 {
		t.Errorf("entries after the first own upload: %v %v, want none", entries.GetEntries(), err)
	}
	if !strings.Contains(logs.String(), "sample knowledge base removed") {
		t.Errorf("no log line for the removal:\n%s", logs.String())
	}
	// The index forgot the demo too: nothing can be answered from it.
	for _, src := range searchSources() {
		if sampledata.IsSample(src) {
			t.Errorf("search still finds the removed demo: %v", src)
		}
	}
}

func TestTheSampleKnowledgeBaseIsNotLoadedWithTheFlagOff(t *testing.T) {
	_, c := startApp(t, "--sample-kb=false")
	ctx := context.Background()
	docs, err := c.Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{})
	if err != nil || len(docs.GetDocuments()) != 0 {
		t.Errorf("documents %v %v, want none", docs.GetDocuments(), err)
	}
	entries, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{})
	if err != nil || len(entries.GetEntries()) != 0 {
		t.Errorf("entries %v %v, want none", entries.GetEntries(), err)
	}
}
