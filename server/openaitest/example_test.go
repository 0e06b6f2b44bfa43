package openaitest_test

import (
	"context"
	"fmt"

	openai "github.com/sashabaranov/go-openai"

	"github.com/relevo/relevo/server/openaitest"
)

// A test scripts the next reply, points a client at the fake and then
// asserts on what the client sent.
func Example() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.QueueChat(openaitest.Call("transfer_to_knowledge", `{"reason":"pregunta de precios"}`))

	cfg := openai.DefaultConfig(srv.APIKey())
	cfg.BaseURL = srv.BaseURL()
	resp, err := openai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "¿Cuánto cuesta?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Choices[0].Message.ToolCalls[0].Function.Name)
	fmt.Println(srv.ChatRequests()[0].LastUser())
	// Output:
	// transfer_to_knowledge
	// ¿Cuánto cuesta?
}
