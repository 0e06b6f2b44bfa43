package openaitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/relevo/relevo/server/openaitest"
)

// newClient returns the real go-openai client pointed at a fresh fake, so
// every test checks the fake against the wire format a real client speaks.
func newClient(t *testing.T, opts ...openaitest.Option) (*openaitest.Server, *openai.Client) {
	t.Helper()
	srv := openaitest.NewServer(opts...)
	t.Cleanup(srv.Close)
	cfg := openai.DefaultConfig(srv.APIKey())
	cfg.BaseURL = srv.BaseURL()
	return srv, openai.NewClientWithConfig(cfg)
}

func chatRequest(tools ...string) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model: "gpt-test",
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You are helpful."},
			{Role: openai.ChatMessageRoleUser, Content: "¿Cuánto cuesta el curso?"},
		},
	}
	for _, name := range tools {
		req.Tools = append(req.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name:        name,
			Description: "tool " + name,
			Parameters:  json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`),
		}})
	}
	return req
}

func TestChatRepliesWithScriptedTextAndRecordsTheRequest(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueChat(openaitest.Text("Cuesta 10 USD.").WithUsage(42, 7))

	resp, err := c.CreateChatCompletion(context.Background(), chatRequest("search_knowledge_base"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Cuesta 10 USD." {
		t.Errorf("content = %q", got)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("finish reason = %q", resp.Choices[0].FinishReason)
	}
	if resp.Usage.PromptTokens != 42 || resp.Usage.CompletionTokens != 7 || resp.Usage.TotalTokens != 49 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("recorded %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.System() != "You are helpful." || got.LastUser() != "¿Cuánto cuesta el curso?" || got.Model != "gpt-test" {
		t.Errorf("recorded request = %+v", got)
	}
	if names := got.ToolNames(); len(names) != 1 || names[0] != "search_knowledge_base" {
		t.Errorf("tools = %v", names)
	}
	if st := srv.Stats(); st.Chat != 1 || st.PromptTokens != 42 || st.CompletionTokens != 7 {
		t.Errorf("stats = %+v", st)
	}
}

func TestChatRepliesWithAToolCallTheClientCanAnswer(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueChat(openaitest.Call("search_knowledge_base", `{"query":"precio"}`), openaitest.Text("done"))
	ctx := context.Background()

	req := chatRequest("search_knowledge_base")
	resp, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != openai.FinishReasonToolCalls || len(msg.ToolCalls) != 1 {
		t.Fatalf("reply = %+v", resp.Choices[0])
	}
	call := msg.ToolCalls[0]
	if call.ID == "" || call.Type != openai.ToolTypeFunction || call.Function.Name != "search_knowledge_base" || call.Function.Arguments != `{"query":"precio"}` {
		t.Errorf("tool call = %+v", call)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
		t.Errorf("usage is not estimated: %+v", resp.Usage)
	}

	req.Messages = append(req.Messages, msg, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: call.ID, Content: `{"results":[]}`})
	if _, err := c.CreateChatCompletion(ctx, req); err != nil {
		t.Fatalf("answering the tool call: %v", err)
	}
	second := srv.ChatRequests()[1]
	if last := second.Messages[len(second.Messages)-1]; last.Role != "tool" || last.ToolCallID != call.ID {
		t.Errorf("tool result recorded as %+v", last)
	}
}

func TestChatRejectsWhatTheRealAPIRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*openai.ChatCompletionRequest)
	}{
		{"a tool result without a preceding call", func(r *openai.ChatCompletionRequest) {
			r.Messages = append(r.Messages, openai.ChatCompletionMessage{Role: "tool", ToolCallID: "call_x", Content: "{}"})
		}},
		{"a tool call without its result", func(r *openai.ChatCompletionRequest) {
			r.Messages = append(r.Messages,
				openai.ChatCompletionMessage{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}}}},
				openai.ChatCompletionMessage{Role: "user", Content: "hola"})
		}},
		{"a tool name with spaces", func(r *openai.ChatCompletionRequest) { r.Tools[0].Function.Name = "search the base" }},
		{"no messages", func(r *openai.ChatCompletionRequest) { r.Messages = nil }},
		{"an unknown role", func(r *openai.ChatCompletionRequest) { r.Messages[0].Role = "robot" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newClient(t)
			req := chatRequest("search_knowledge_base")
			tt.mutate(&req)
			_, err := c.CreateChatCompletion(context.Background(), req)
			var apiErr *openai.APIError
			if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusBadRequest {
				t.Fatalf("err = %v, want a 400 API error", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("recorded %d rejected requests", n)
			}
			if srv.Stats().Rejected != 1 {
				t.Errorf("stats = %+v", srv.Stats())
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"a bearer key is accepted", http.Header{"Authorization": {"Bearer sk-right"}}, http.StatusOK},
		{"an Azure api-key header is accepted", http.Header{"Api-Key": {"sk-right"}}, http.StatusOK},
		{"a wrong key is refused", http.Header{"Authorization": {"Bearer sk-wrong"}}, http.StatusUnauthorized},
		{"a missing key is refused", http.Header{}, http.StatusUnauthorized},
		{"a non-bearer scheme is refused", http.Header{"Authorization": {"Basic sk-right"}}, http.StatusUnauthorized},
	}
	srv := openaitest.NewServer(openaitest.WithAPIKey("sk-right"))
	t.Cleanup(srv.Close)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"m","messages":[{"role":"user","content":"hola"}]}`
			req, err := http.NewRequest(http.MethodPost, srv.BaseURL()+"/chat/completions", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tt.header
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want != http.StatusOK {
				var e struct {
					Error struct{ Message, Type string } `json:"error"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error.Message == "" {
					t.Errorf("error body not in OpenAI's envelope: %v %+v", err, e)
				}
			}
		})
	}
}

func TestFaultsReachTheClientAsAPIErrors(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueChat(
		openaitest.Error(http.StatusInternalServerError, "The server had an error"),
		openaitest.Reply{Fault: openaitest.Fault{Status: http.StatusTooManyRequests, Message: "Rate limit reached", RetryAfter: 2 * time.Second}},
		openaitest.Reply{Fault: openaitest.Fault{Body: `{"choices": [`}},
	)
	ctx := context.Background()

	_, err := c.CreateChatCompletion(ctx, chatRequest())
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 || apiErr.Message != "The server had an error" || apiErr.Type != "server_error" {
		t.Errorf("500: err = %#v", err)
	}

	_, err = c.CreateChatCompletion(ctx, chatRequest())
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Code != "rate_limit_exceeded" {
		t.Errorf("429: err = %#v", err)
	}

	if _, err = c.CreateChatCompletion(ctx, chatRequest()); err == nil {
		t.Error("a malformed body decoded without error")
	}
	if st := srv.Stats(); st.Failed != 2 || st.Chat != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryAfterHeaderIsSent(t *testing.T) {
	srv := openaitest.NewServer()
	t.Cleanup(srv.Close)
	srv.QueueChat(openaitest.Reply{Fault: openaitest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}})
	req, _ := http.NewRequest(http.MethodPost, srv.BaseURL()+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want whole seconds rounded up", got)
	}
}

func TestAHangingReplyEndsWithTheClientsDeadline(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueChat(openaitest.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.CreateChatCompletion(ctx, chatRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestLatencyDelaysEveryResponse(t *testing.T) {
	_, c := newClient(t, openaitest.WithLatency(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Model: "e", Input: "hola"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the hour-long latency to outlast the deadline", err)
	}
}

func TestCloseReleasesWaitingRequests(t *testing.T) {
	srv, c := newClient(t)
	arrived := make(chan struct{})
	srv.OnChat(func(*openaitest.ChatRequest) openaitest.Reply {
		close(arrived)
		return openaitest.Hang()
	})
	errc := make(chan error, 1)
	go func() {
		_, err := c.CreateChatCompletion(context.Background(), chatRequest())
		errc <- err
	}()
	<-arrived
	srv.Close() // must not wait for the hanging handler
	if err := <-errc; err == nil {
		t.Fatal("request succeeded after Close")
	}
}

func TestSimulationPlaysTheAgentRoles(t *testing.T) {
	toolResult := func(content string) func(*openai.ChatCompletionRequest) {
		return func(r *openai.ChatCompletionRequest) {
			r.Messages = append(r.Messages,
				openai.ChatCompletionMessage{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "search_knowledge_base", Arguments: `{"query":"q"}`}}}},
				openai.ChatCompletionMessage{Role: "tool", ToolCallID: "call_1", Content: content})
		}
	}
	tests := []struct {
		name     string
		sim      openaitest.Simulation
		tools    []string
		mutate   func(*openai.ChatCompletionRequest)
		wantTool string
		wantArgs string
		wantText string
	}{
		{name: "knowledge searches for the user's message", tools: []string{"search_knowledge_base", "transfer_to_human"},
			wantTool: "search_knowledge_base", wantArgs: `{"query":"¿Cuánto cuesta el curso?"}`},
		{name: "knowledge answers from the first result citing its source", tools: []string{"search_knowledge_base", "transfer_to_human"},
			mutate:   toolResult(`{"results":[{"source":"precios.md","text":"El curso cuesta 10 USD."},{"source":"otro.md","text":"x"}]}`),
			wantText: "El curso cuesta 10 USD.\n\nFuente: precios.md"},
		{name: "knowledge hands off to a human without results", tools: []string{"search_knowledge_base", "transfer_to_human"},
			mutate: toolResult(`{"results":[]}`), wantTool: "transfer_to_human"},
		{name: "triage hands off to knowledge", tools: []string{"transfer_to_knowledge", "transfer_to_human"}, wantTool: "transfer_to_knowledge"},
		{name: "without tools it replies with the default text", wantText: "OK"},
		{name: "a fixed reply wins over tools", sim: openaitest.Simulation{FixedReply: "¡Hola!"}, tools: []string{"transfer_to_knowledge"}, wantText: "¡Hola!"},
		{name: "custom tool names are followed", sim: openaitest.Simulation{KnowledgeHandoff: "transfer_to_especialista"}, tools: []string{"transfer_to_especialista"}, wantTool: "transfer_to_especialista"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newClient(t, openaitest.WithSimulation(tt.sim))
			req := chatRequest(tt.tools...)
			if tt.mutate != nil {
				tt.mutate(&req)
			}
			resp, err := c.CreateChatCompletion(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			msg := resp.Choices[0].Message
			if tt.wantTool != "" {
				if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != tt.wantTool {
					t.Fatalf("reply = %+v, want a call to %s", msg, tt.wantTool)
				}
				if tt.wantArgs != "" && msg.ToolCalls[0].Function.Arguments != tt.wantArgs {
					t.Errorf("arguments = %s, want %s", msg.ToolCalls[0].Function.Arguments, tt.wantArgs)
				}
				if !json.Valid([]byte(msg.ToolCalls[0].Function.Arguments)) {
					t.Errorf("arguments are not JSON: %s", msg.ToolCalls[0].Function.Arguments)
				}
				return
			}
			if msg.Content != tt.wantText || len(msg.ToolCalls) != 0 {
				t.Errorf("reply = %+v, want text %q", msg, tt.wantText)
			}
		})
	}
}

func TestOnChatDecidesFromTheRequest(t *testing.T) {
	srv, c := newClient(t)
	srv.OnChat(func(req *openaitest.ChatRequest) openaitest.Reply {
		return openaitest.Text("echo: " + req.LastUser())
	})
	resp, err := c.CreateChatCompletion(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "echo: ¿Cuánto cuesta el curso?" {
		t.Errorf("content = %q", got)
	}
}

func TestEmbeddingsAreDeterministicInBothEncodings(t *testing.T) {
	srv, c := newClient(t, openaitest.WithEmbeddingDimensions(64))
	ctx := context.Background()
	texts := []string{"precio del curso", "Precio del curso!", "certificado de la aplicación"}

	floats, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Model: "text-embedding-3-small", Input: texts})
	if err != nil {
		t.Fatal(err)
	}
	b64, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Model: "text-embedding-3-small", Input: texts, EncodingFormat: openai.EmbeddingEncodingFormatBase64})
	if err != nil {
		t.Fatal(err)
	}
	if len(floats.Data) != 3 || len(b64.Data) != 3 {
		t.Fatalf("got %d and %d vectors", len(floats.Data), len(b64.Data))
	}
	for i, text := range texts {
		want := openaitest.Embed(text, 64)
		for _, got := range [][]float32{floats.Data[i].Embedding, b64.Data[i].Embedding} {
			if len(got) != 64 {
				t.Fatalf("len = %d", len(got))
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("vector %d differs from Embed at %d: %v != %v", i, j, got[j], want[j])
				}
			}
		}
	}
	same, _ := floats.Data[0].DotProduct(&floats.Data[1])
	other, _ := floats.Data[0].DotProduct(&floats.Data[2])
	if math.Abs(float64(same)-1) > 1e-5 || other >= same {
		t.Errorf("cosine(same words) = %v, cosine(other words) = %v", same, other)
	}
	if floats.Usage.PromptTokens == 0 {
		t.Error("usage not reported")
	}

	sized, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Model: "m", Input: "hola", Dimensions: 8})
	if err != nil || len(sized.Data[0].Embedding) != 8 {
		t.Errorf("dimensions ignored: %v %v", err, sized.Data)
	}
	if got := srv.EmbeddingsRequests(); len(got) != 3 || got[0].Inputs[2] != texts[2] {
		t.Errorf("recorded = %+v", got)
	}
}

func TestEmbeddingFaults(t *testing.T) {
	srv, c := newClient(t)
	srv.QueueEmbeddingFaults(openaitest.Fail(503, "overloaded"))
	_, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{Model: "m", Input: "hola"})
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 503 {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{Model: "m", Input: "hola"}); err != nil {
		t.Fatalf("the fault was not consumed: %v", err)
	}
	if _, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{Model: "m", Input: ""}); err == nil {
		t.Error("an empty input was accepted")
	}
}

func TestTranscriptions(t *testing.T) {
	tests := []struct {
		name     string
		queue    []openaitest.Transcript
		file     string
		audio    []byte
		format   openai.AudioResponseFormat
		want     string
		wantCode int
	}{
		{name: "a scripted transcript is returned as JSON", queue: []openaitest.Transcript{{Text: "Hola, quiero mi certificado"}},
			file: "voice.ogg", audio: []byte("OggS\x00\x02binary"), want: "Hola, quiero mi certificado"},
		{name: "text written in the file is heard", file: "voice.ogg", audio: []byte("¿cuánto cuesta?"), want: "¿cuánto cuesta?"},
		{name: "binary audio without a script is silence", file: "voice.ogg", audio: []byte("OggS\x00\x02\xff\xfe"), want: ""},
		{name: "the text format is plain text", queue: []openaitest.Transcript{{Text: "hola"}}, file: "voice.mp3", audio: []byte{1}, format: openai.AudioResponseFormatText, want: "hola\n"},
		{name: "verbose JSON carries the text", queue: []openaitest.Transcript{{Text: "hola", Duration: 1.5}}, file: "voice.m4a", audio: []byte{1}, format: openai.AudioResponseFormatVerboseJSON, want: "hola"},
		{name: "an unsupported format is refused", file: "voice.amr", audio: []byte{1}, wantCode: 400},
		{name: "a scripted failure reaches the client", queue: []openaitest.Transcript{{Fault: openaitest.Fail(500, "boom")}}, file: "voice.ogg", audio: []byte{1}, wantCode: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newClient(t)
			srv.QueueTranscription(tt.queue...)
			resp, err := c.CreateTranscription(context.Background(), openai.AudioRequest{
				Model: openai.Whisper1, FilePath: tt.file, Reader: bytes.NewReader(tt.audio), Language: "es", Format: tt.format,
			})
			if tt.wantCode != 0 {
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tt.wantCode {
					t.Fatalf("err = %v, want status %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != tt.want {
				t.Errorf("text = %q, want %q", resp.Text, tt.want)
			}
			got := srv.TranscriptionRequests()
			if len(got) != 1 || got[0].FileName != tt.file || got[0].Language != "es" || got[0].Model != "whisper-1" || !bytes.Equal(got[0].Audio, tt.audio) {
				t.Errorf("recorded = %+v", got)
			}
		})
	}
}

func TestWithoutRecordingKeepsCountingOnly(t *testing.T) {
	srv, c := newClient(t, openaitest.WithoutRecording())
	for range 3 {
		if _, err := c.CreateChatCompletion(context.Background(), chatRequest()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("recorded %d requests", n)
	}
	if st := srv.Stats(); st.Chat != 3 || st.PromptTokens == 0 {
		t.Errorf("stats = %+v", st)
	}
}
