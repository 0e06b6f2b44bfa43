package eval

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/relevo/relevo/server/openaitest"
)

// calibrationSet is a small Spanish knowledge base (a language school)
// with labelled questions: answerable ones, requests for a person and
// questions the documents do not answer.
const (
	calibrationDocs    = "testdata/calibration/kb"
	calibrationQueries = "testdata/calibration/queries.jsonl"
)

type result struct {
	code           int
	stdout, stderr string
}

// runWith runs the eval subcommand with the environment vars.
func runWith(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Command(t.Context(), args, &stdout, &stderr, func(k string) string { return vars[k] })
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// sweepRow is one row of the report's table.
type sweepRow struct {
	threshold, falseRate, utility float64
}

var rowRE = regexp.MustCompile(`^\| (\d\.\d\d)(?: ←)? \| \d+ \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \| (-?\d+) \|$`)

func TestEvalReportWritesTheCalibrationAndRecommendsTheBestThreshold(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "calibration")
	res := runWith(t, nil, "--docs", calibrationDocs, "--queries", calibrationQueries, "--report", out)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}

	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []sweepRow
	for _, l := range strings.Split(string(md), "\n") {
		if m := rowRE.FindStringSubmatch(l); m != nil {
			var r sweepRow
			r.threshold, _ = strconv.ParseFloat(m[1], 64)
			r.falseRate, _ = strconv.ParseFloat(m[2], 64)
			r.utility, _ = strconv.ParseFloat(m[3], 64)
			rows = append(rows, r)
		}
	}
	if len(rows) != 19 {
		t.Fatalf("%d table rows, want one per threshold 0.05..0.95:\n%s", len(rows), md)
	}

	// The recommendation, worked out again from the table: the best
	// utility among thresholds answering at most 5% of the questions that
	// must not be answered (all of them if none does), ties to the higher.
	safe := rows[:0:0]
	for _, r := range rows {
		if r.falseRate <= 0.05 {
			safe = append(safe, r)
		}
	}
	if len(safe) == 0 {
		safe = rows
	}
	best := safe[0]
	for _, r := range safe[1:] {
		if r.utility >= best.utility {
			best = r
		}
	}
	want := fmt.Sprintf("recommended knowledge.answer_threshold: %.2f (utility %.0f", best.threshold, best.utility)
	if !strings.Contains(res.stdout, want) || !strings.Contains(string(md), want) {
		t.Errorf("want %q printed and in the report\nstdout:\n%s\nreport:\n%s", want, res.stdout, md)
	}

	if polylines := svgPolylines(t, filepath.Join(out, "curve.svg")); polylines != 3 {
		t.Errorf("curve.svg has %d polylines, want precision, coverage and false-answer rate", polylines)
	}
}

// llmProfileFile writes a profile running both roles in llm mode against
// baseURL, its key in the variable keyEnv.
func llmProfileFile(t *testing.T, baseURL, keyEnv string) string {
	t.Helper()
	yaml := fmt.Sprintf(`company: {name: Idiomas Sur, language: es}
llm: {base_url: %q, api_key_env: %s, model: gpt-test}
triage: {name: Asistente Inicial, mode: llm}
knowledge: {name: Especialista en Conocimiento, mode: llm, answer_threshold: 0.6}
human: {name: Especialista Humano, handoff_message: Un especialista te responderá.}
`, baseURL, keyEnv)
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvalRunsTheProfilesLLMModeWithTheKeyFromTheEnvironment(t *testing.T) {
	t.Parallel()
	model := openaitest.NewServer()
	t.Cleanup(model.Close)
	profile := llmProfileFile(t, model.BaseURL(), "IDIOMAS_LLM_KEY")
	args := []string{"--docs", calibrationDocs, "--queries", calibrationQueries, "--profile", profile}

	res := runWith(t, map[string]string{"IDIOMAS_LLM_KEY": model.APIKey()}, args...)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "modes: triage=llm knowledge=llm") || len(model.ChatRequests()) == 0 {
		t.Errorf("the run did not use the profile's model (%d calls):\n%s", len(model.ChatRequests()), res.stdout)
	}

	calls := len(model.ChatRequests())
	res = runWith(t, nil, args...)
	if res.code != 1 || !strings.Contains(res.stderr, "IDIOMAS_LLM_KEY (llm.api_key_env) is empty") || len(model.ChatRequests()) != calls {
		t.Errorf("without the key: exit %d, stderr %q; want a refusal naming the variable, and no model call", res.code, res.stderr)
	}
}

func TestEvalRefusesIncompleteUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--docs", calibrationDocs},
		{"--queries", calibrationQueries},
		{"--docs", calibrationDocs, "--queries", calibrationQueries, "-o", "yaml"},
		{"--docs", calibrationDocs, "--queries", calibrationQueries, "extra"},
	} {
		if res := runWith(t, nil, args...); res.code != 2 || !strings.Contains(res.stderr, "usage: go run ./server eval") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, res.code, res.stderr)
		}
	}
	if res := runWith(t, nil, "--docs", t.TempDir(), "--queries", calibrationQueries); res.code != 1 || !strings.Contains(res.stderr, "no documents") {
		t.Errorf("empty docs folder: exit %d, stderr %q; want 1 and the reason", res.code, res.stderr)
	}
}
