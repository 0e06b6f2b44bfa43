package eval

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// CommandUsage introduces `relevo eval` (go run ./server eval).
const CommandUsage = `usage: go run ./server eval --docs DIR --queries FILE.jsonl [--profile P] [--report OUT] [-o text|json]

eval loads the documents of DIR into a fresh in-memory knowledge base, runs every
query of FILE.jsonl through the agents, and prints each outcome and the totals:
outcome accuracy (smalltalk / answer / escalate), answers containing the expected
facts (must_contain_any), and answers given where the right move was to escalate.
No server is involved: a company measures its documents and threshold before
going live.

Each role runs in the mode the profile names. A role in llm mode calls the model
at the profile's llm.base_url with the key from the environment variable named by
llm.api_key_env, as the server would (and fails without one, as the server does);
the rules mode runs offline.

Each line of FILE.jsonl: {"query": "...", "expect": "smalltalk"|"answer"|"escalate"|"not_answer",
"doc": "file that holds the answer", "must_contain_any": ["fact", ...]}.

With --report OUT it also writes the calibration of the answer threshold into the
directory OUT: report.md, the precision / coverage / false-answer rate of every
threshold from 0.05 to 0.95 as a table, and curve.svg, the same as a plot. It
recommends the threshold of best utility (right answers - 4 x wrong answers) among
those answering at most 5% of the questions that must not be answered, and prints it.

With -o json it prints one JSON object per query and nothing else on stdout:
{"query", "outcome", "answer", "sources", and "check" when the knowledge agent judged
it: the kind of information asked, whether the passage holds it, the words it covers and
misses, the confidence}; the recommendation goes to stderr.

flags:
`

// Command runs the eval subcommand of the server binary with args (after
// "eval") and returns the process exit code: 0 done, 1 failed, 2 bad
// usage. getenv reads the model API key of an llm-mode profile.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, CommandUsage)
		fs.PrintDefaults()
	}
	docs := fs.String("docs", "", "directory of documents (PDF, Markdown, text, HTML, Q&A JSON/CSV)")
	queries := fs.String("queries", "", "JSONL file of labelled queries")
	profile := fs.String("profile", "", "company profile YAML (default: the embedded sample)")
	report := fs.String("report", "", "directory to write the threshold calibration report into (report.md, curve.svg)")
	output := fs.String("o", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *docs == "" || *queries == "" || (*output != "text" && *output != "json") {
		fmt.Fprintln(stderr, "eval: --docs and --queries are required; -o is text or json; no arguments")
		fs.Usage()
		return 2
	}
	if err := command(ctx, *docs, *queries, *profile, *report, *output == "json", stdout, stderr, getenv); err != nil {
		fmt.Fprintln(stderr, "eval:", err)
		return 1
	}
	return 0
}

func command(ctx context.Context, docs, queries, profile, report string, jsonOut bool, stdout, stderr io.Writer, getenv func(string) string) error {
	opt := Options{DocsDir: docs, QueriesFile: queries, Getenv: getenv}
	if profile != "" {
		p, err := LoadProfile(profile)
		if err != nil {
			return err
		}
		opt.Profile = p
	}
	rep, err := Run(ctx, opt)
	if err != nil {
		return err
	}
	if jsonOut {
		err = WriteJSONLines(stdout, rep)
	} else {
		err = WriteText(stdout, rep)
	}
	if err != nil || report == "" {
		return err
	}
	cal := Calibrate(rep.Results, DefaultThresholds())
	if err := WriteCalibration(report, rep, cal); err != nil {
		return err
	}
	w := stdout
	if jsonOut {
		w = stderr
	}
	_, err = fmt.Fprintf(w, "\n%s\nreport written to %s (report.md, curve.svg)\n", RecommendationText(cal), report)
	return err
}
