package main

import (
	"github.com/spf13/cobra"

	"github.com/relevo/relevo/server/eval"
)

// newEvalCmd runs labelled queries through the agents offline, against a
// fresh in-memory knowledge base: no server is involved, so a company can
// measure its documents and threshold before going live.
func newEvalCmd(g *globals) *cobra.Command {
	var docs, queries, profile string
	cmd := &cobra.Command{
		Use:   "eval --docs DIR --queries FILE.jsonl",
		Short: "Measure answer quality on labelled questions (offline, no server needed)",
		Long: `eval loads the documents of DIR into a fresh knowledge base, runs every query of
FILE.jsonl through the agents, and prints each outcome and the totals: outcome
accuracy (smalltalk / answer / escalate), answers containing the expected facts
(must_contain_any), and answers given where the right move was to escalate.

Each line of FILE.jsonl: {"query": "...", "expect": "smalltalk"|"answer"|"escalate"|"not_answer",
"doc": "file that holds the answer", "must_contain_any": ["fact", ...]}.

With -o json it prints one JSON object per query and nothing else on stdout:
{"query", "outcome", "answer", "sources"}.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if docs == "" || queries == "" {
				return usageErrorf("--docs and --queries are required")
			}
			opt := eval.Options{DocsDir: docs, QueriesFile: queries}
			if profile != "" {
				p, err := eval.LoadProfile(profile)
				if err != nil {
					return err
				}
				opt.Profile = p
			}
			rep, err := eval.Run(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return eval.WriteJSONLines(cmd.OutOrStdout(), rep)
			}
			return eval.WriteText(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().StringVar(&docs, "docs", "", "directory of documents (PDF, Markdown, text, HTML, Q&A JSON/CSV)")
	cmd.Flags().StringVar(&queries, "queries", "", "JSONL file of labelled queries")
	cmd.Flags().StringVar(&profile, "profile", "", "company profile YAML (default: the embedded sample)")
	return cmd
}
