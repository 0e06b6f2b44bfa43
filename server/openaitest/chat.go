package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// ChatRequest is a decoded POST /v1/chat/completions body.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	MaxTokens           int             `json:"max_tokens,omitempty"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
}

// Message is one chat message. Content holds the text whether the client
// sent a string or an array of text parts.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// UnmarshalJSON accepts content as a string, null, or an array of parts.
func (m *Message) UnmarshalJSON(b []byte) error {
	var raw struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCalls  []ToolCall      `json:"tool_calls"`
		ToolCallID string          `json:"tool_call_id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Message{Role: raw.Role, Name: raw.Name, ToolCalls: raw.ToolCalls, ToolCallID: raw.ToolCallID}
	c := bytes.TrimSpace(raw.Content)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
	case c[0] == '"':
		return json.Unmarshal(c, &m.Content)
	case c[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(c, &parts); err != nil {
			return fmt.Errorf("content parts: %w", err)
		}
		var texts []string
		for _, p := range parts {
			if p.Type == "text" {
				texts = append(texts, p.Text)
			}
		}
		m.Content = strings.Join(texts, "\n")
	default:
		return fmt.Errorf("content must be a string or an array of parts")
	}
	return nil
}

// Tool is a tool offered to the model.
type Tool struct {
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function describes a callable function.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
}

// ToolCall is a call the model makes.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its JSON arguments as a
// string, as the API does.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// System returns the system (and developer) messages, joined.
func (r *ChatRequest) System() string {
	var parts []string
	for _, m := range r.Messages {
		if m.Role == "system" || m.Role == "developer" {
			parts = append(parts, m.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// LastUser returns the content of the last user message.
func (r *ChatRequest) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// ToolNames returns the names of the tools offered, in order.
func (r *ChatRequest) ToolNames() []string {
	names := make([]string, 0, len(r.Tools))
	for _, t := range r.Tools {
		names = append(names, t.Function.Name)
	}
	return names
}

// Tool returns the offered tool named name.
func (r *ChatRequest) Tool(name string) (Tool, bool) {
	for _, t := range r.Tools {
		if t.Function.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// Usage is a response's token count.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Reply is the scripted answer to one chat completion.
type Reply struct {
	// Text is the assistant's content.
	Text string
	// ToolCalls the assistant makes; IDs are generated when empty.
	ToolCalls []ToolCall
	// Refusal is the model's refusal message.
	Refusal string
	// FinishReason defaults to "tool_calls" with tool calls, else "stop".
	FinishReason string
	// Usage overrides the token estimate.
	Usage *Usage
	Fault
}

// ChatHandler decides the reply to a chat completion.
type ChatHandler func(req *ChatRequest) Reply

// Text replies with content.
func Text(content string) Reply { return Reply{Text: content} }

// Call replies with one tool call; args is the raw arguments string (it
// need not be valid JSON, to test malformed arguments).
func Call(name, args string) Reply {
	return Reply{ToolCalls: []ToolCall{{Type: "function", Function: FunctionCall{Name: name, Arguments: args}}}}
}

// Refuse replies with a refusal.
func Refuse(message string) Reply { return Reply{Refusal: message} }

// Error answers an HTTP error with OpenAI's error body.
func Error(status int, message string) Reply { return Reply{Fault: Fail(status, message)} }

// Hang never answers; the client's deadline ends the request.
func Hang() Reply { return Reply{Fault: Fault{Hang: true}} }

// After delays the reply by d.
func (r Reply) After(d time.Duration) Reply {
	r.Delay = d
	return r
}

// WithUsage sets the reported token counts.
func (r Reply) WithUsage(prompt, completion int) Reply {
	r.Usage = &Usage{PromptTokens: prompt, CompletionTokens: completion}
	return r
}

var toolNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// validate applies the checks the real API makes that catch client bugs:
// unknown roles, tool results without a call, calls without results, and
// invalid tool definitions.
func (r *ChatRequest) validate() error {
	if r.Model == "" {
		return fmt.Errorf("you must provide a model parameter")
	}
	if len(r.Messages) == 0 {
		return fmt.Errorf("'messages' must contain at least one message")
	}
	if r.Stream {
		return fmt.Errorf("openaitest: streaming is not supported by the fake")
	}
	for i, t := range r.Tools {
		if t.Type != "function" {
			return fmt.Errorf("tools[%d].type: expected 'function'", i)
		}
		if !toolNameRE.MatchString(t.Function.Name) {
			return fmt.Errorf("Invalid 'tools[%d].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'", i)
		}
		if len(t.Function.Parameters) > 0 {
			var schema struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(t.Function.Parameters, &schema); err != nil || schema.Type != "object" {
				return fmt.Errorf("Invalid schema for function '%s': schema must be a JSON Schema of 'type: \"object\"'", t.Function.Name)
			}
		}
	}
	pending := map[string]bool{}
	for i, m := range r.Messages {
		switch m.Role {
		case "system", "developer", "user":
		case "assistant":
			if len(pending) > 0 {
				return fmt.Errorf("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. (insufficient tool messages following tool_calls message at messages[%d])", i)
			}
			for _, c := range m.ToolCalls {
				pending[c.ID] = true
			}
			continue
		case "tool":
			if !pending[m.ToolCallID] {
				return fmt.Errorf("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (messages[%d])", i)
			}
			delete(pending, m.ToolCallID)
			continue
		default:
			return fmt.Errorf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer' (messages[%d].role)", m.Role, i)
		}
		if len(pending) > 0 {
			return fmt.Errorf("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. (messages[%d])", i)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'")
	}
	return nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, "could not read body", "invalid_request_error", "")
		return
	}
	req := &ChatRequest{}
	if err := json.Unmarshal(body, req); err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request: "+err.Error(), "invalid_request_error", "")
		return
	}
	if err := req.validate(); err != nil {
		s.rejected.Add(1)
		writeError(w, http.StatusBadRequest, err.Error(), "invalid_request_error", "")
		return
	}
	s.chatN.Add(1)
	s.keep(Request{Path: r.URL.Path, Header: r.Header.Clone(), Chat: req})

	reply := s.chatReply(req)
	if !s.wait(r.Context(), reply.Fault) {
		return
	}
	if s.fail(w, reply.Fault) {
		return
	}

	msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
	if reply.Text != "" {
		msg["content"] = reply.Text
	}
	if reply.Refusal != "" {
		msg["refusal"] = reply.Refusal
	}
	completion := len(reply.Text) + len(reply.Refusal)
	if len(reply.ToolCalls) > 0 {
		calls := make([]ToolCall, len(reply.ToolCalls))
		for i, c := range reply.ToolCalls {
			if c.ID == "" {
				c.ID = s.nextID("call")
			}
			if c.Type == "" {
				c.Type = "function"
			}
			calls[i] = c
			completion += len(c.Function.Name) + len(c.Function.Arguments)
		}
		msg["tool_calls"] = calls
	}
	finish := reply.FinishReason
	if finish == "" {
		finish = "stop"
		if len(reply.ToolCalls) > 0 {
			finish = "tool_calls"
		}
	}
	usage := Usage{PromptTokens: estimateTokens(len(body)), CompletionTokens: estimateTokens(completion)}
	if reply.Usage != nil {
		usage = *reply.Usage
	}
	s.promptTok.Add(int64(usage.PromptTokens))
	s.complTok.Add(int64(usage.CompletionTokens))
	writeJSON(w, http.StatusOK, map[string]any{
		"id":      s.nextID("chatcmpl"),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       msg,
			"logprobs":      nil,
			"finish_reason": finish,
		}},
		"usage": map[string]any{
			"prompt_tokens":     usage.PromptTokens,
			"completion_tokens": usage.CompletionTokens,
			"total_tokens":      usage.PromptTokens + usage.CompletionTokens,
		},
		"system_fingerprint": "fp_openaitest",
	})
}

// chatReply takes the next queued reply, or asks the handler, or the
// simulation.
func (s *Server) chatReply(req *ChatRequest) Reply {
	s.mu.Lock()
	if len(s.chatQueue) > 0 {
		r := s.chatQueue[0]
		s.chatQueue = s.chatQueue[1:]
		s.mu.Unlock()
		return r
	}
	h := s.chatHandler
	s.mu.Unlock()
	if h != nil {
		return h(req)
	}
	return s.sim.chat(req)
}

// estimateTokens approximates a token count from a byte length (about four
// bytes a token for English and Spanish), so usage is deterministic.
func estimateTokens(n int) int {
	if n <= 0 {
		return 0
	}
	return (n + 3) / 4
}
