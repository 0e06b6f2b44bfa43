package openaitest

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Simulation is the deterministic model that answers what no test
// scripted. It plays the agent roles by the tools it is offered:
//
//   - offered the search tool, it searches for the user's last message;
//   - given search results, it answers with the first result's text and
//     cites it (by its id as "[P1]" when results carry ids, else by its
//     source), or hands off to a human when there is none;
//   - offered the knowledge hand-off (a triage agent), it hands off to
//     knowledge;
//   - otherwise it replies with Reply.
//
// With FixedReply set it always replies with that text.
type Simulation struct {
	// SearchTool is the knowledge-base search tool's name.
	SearchTool string
	// KnowledgeHandoff and HumanHandoff are the hand-off tools' names.
	KnowledgeHandoff string
	HumanHandoff     string
	// Reply is the text when no tool applies.
	Reply string
	// FixedReply, when set, is the reply to every chat completion.
	FixedReply string
	// Transcript, when set, is every transcription's text. Otherwise the
	// fake "hears" the file's content when it is UTF-8 text (tests write
	// the words into the audio file) and nothing when it is not.
	Transcript string
}

func (s Simulation) withDefaults() Simulation {
	if s.SearchTool == "" {
		s.SearchTool = "search_knowledge_base"
	}
	if s.KnowledgeHandoff == "" {
		s.KnowledgeHandoff = "transfer_to_knowledge"
	}
	if s.HumanHandoff == "" {
		s.HumanHandoff = "transfer_to_human"
	}
	if s.Reply == "" {
		s.Reply = "OK"
	}
	return s
}

// searchResult is the part of a search tool's output the simulation reads.
// It accepts {"results": [...]} or a bare array.
type searchResult struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Page   int    `json:"page"`
	Text   string `json:"text"`
}

func parseResults(content string) []searchResult {
	var wrapped struct {
		Results []searchResult `json:"results"`
	}
	if err := json.Unmarshal([]byte(content), &wrapped); err == nil && wrapped.Results != nil {
		return wrapped.Results
	}
	var bare []searchResult
	if err := json.Unmarshal([]byte(content), &bare); err == nil {
		return bare
	}
	return nil
}

func (s Simulation) chat(req *ChatRequest) Reply {
	if s.FixedReply != "" {
		return Text(s.FixedReply)
	}
	_, canSearch := req.Tool(s.SearchTool)
	_, toHuman := req.Tool(s.HumanHandoff)
	_, toKnowledge := req.Tool(s.KnowledgeHandoff)

	if last := req.Messages[len(req.Messages)-1]; last.Role == "tool" {
		results := parseResults(last.Content)
		for _, r := range results {
			if strings.TrimSpace(r.Text) == "" {
				continue
			}
			answer := strings.TrimSpace(r.Text)
			switch {
			case r.ID != "":
				answer += "\n\n[" + r.ID + "]"
			case r.Source != "":
				answer += "\n\nFuente: " + r.Source
			}
			return Text(answer)
		}
		if toHuman {
			return Call(s.HumanHandoff, `{"reason":"the knowledge base has no relevant answer"}`)
		}
		return Text(s.Reply)
	}
	switch {
	case canSearch:
		args, _ := json.Marshal(map[string]string{"query": req.LastUser()})
		return Call(s.SearchTool, string(args))
	case toKnowledge:
		return Call(s.KnowledgeHandoff, `{"reason":"a specific question for the knowledge base"}`)
	}
	return Text(s.Reply)
}

func (s Simulation) transcript(audio []byte) string {
	if s.Transcript != "" {
		return s.Transcript
	}
	if utf8.Valid(audio) && !strings.ContainsRune(string(audio), 0) {
		return strings.TrimSpace(string(audio))
	}
	return ""
}
