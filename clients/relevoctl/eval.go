package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/relevo/relevo/server/eval"
)

// newEvalCmd runs labelled queries through the agents against a fresh
// in-memory knowledge base: no server is involved, so a company can measure
// its documents and threshold before going live.
func newEvalCmd(g *globals) *cobra.Command {
	var docs, queries, profile, report string
	cmd := &cobra.Command{
		Use:   "eval --docs DIR --queries FILE.jsonl [--report OUT]",
		Short: "Measure answer quality on labelled questions (no server needed)",
		Long: `eval loads the documents of DIR into a fresh knowledge base, runs every query of
FILE.jsonl through the agents, and prints each outcome and the totals: outcome
accuracy (smalltalk / answer / escalate), answers containing the expected facts
(must_contain_any), and answers given where the right move was to escalate.

Each role runs in the mode the profile names. A role in llm mode calls the model
at the profile's llm.base_url with the key from the environment variable named
by llm.api_key_env, as the server would (and fails without one, as the server
does); the rules mode runs offline.

Each line of FILE.jsonl: {"query": "...", "expect": "smalltalk"|"answer"|"escalate"|"not_answer",
"doc": "file that holds the answer", "must_contain_any": ["fact", ...]}.

With --report OUT it also writes the calibration of the answer threshold into
the directory OUT: report.md, the precision / coverage / false-answer rate of
every threshold from 0.05 to 0.95 as a table, and curve.svg, the same as a plot.
It recommends the threshold of best utility (right answers - 4 x wrong answers)
among those answering at most 5% of the questions that must not be answered,
and prints it.

With -o json it prints one JSON object per query and nothing else on stdout:
{"query", "outcome", "answer", "sources"}; the recommendation goes to stderr.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if docs == "" || queries == "" {
				return usageErrorf("--docs and --queries are required")
			}
			opt := eval.Options{DocsDir: docs, QueriesFile: queries, Getenv: g.env.getenv}
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
				err = eval.WriteJSONLines(cmd.OutOrStdout(), rep)
			} else {
				err = eval.WriteText(cmd.OutOrStdout(), rep)
			}
			if err != nil || report == "" {
				return err
			}
			cal := eval.Calibrate(rep.Results, eval.DefaultThresholds())
			if err := eval.WriteCalibration(report, rep, cal); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == "json" {
				w = cmd.ErrOrStderr()
			}
			_, err = fmt.Fprintf(w, "\n%s\nreport written to %s (report.md, curve.svg)\n", eval.RecommendationText(cal), report)
			return err
		},
	}
	cmd.Flags().StringVar(&docs, "docs", "", "directory of documents (PDF, Markdown, text, HTML, Q&A JSON/CSV)")
	cmd.Flags().StringVar(&queries, "queries", "", "JSONL file of labelled queries")
	cmd.Flags().StringVar(&profile, "profile", "", "company profile YAML (default: the embedded sample)")
	cmd.Flags().StringVar(&report, "report", "", "directory to write the threshold calibration report into (report.md, curve.svg)")
	return cmd
}
