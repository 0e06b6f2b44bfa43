package main

import (
	"encoding/xml"
	"fmt"
	"io"
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

// sweepRow is one row of the report's table.
type sweepRow struct {
	threshold, falseRate, utility float64
}

var rowRE = regexp.MustCompile(`^\| (\d\.\d\d)(?: ←)? \| \d+ \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \| (-?\d+) \|$`)

func TestEvalReportWritesTheCalibrationAndRecommendsTheBestThreshold(t *testing.T) {
	out := filepath.Join(t.TempDir(), "calibration")
	res := runWith(t, testEnv(nil), "", "eval", "--docs", calibrationDocs, "--queries", calibrationQueries, "--report", out)
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

	f, err := os.Open(filepath.Join(out, "curve.svg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	polylines := 0
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("curve.svg does not parse as XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 3 {
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
	model := openaitest.NewServer()
	t.Cleanup(model.Close)
	profile := llmProfileFile(t, model.BaseURL(), "IDIOMAS_LLM_KEY")
	args := []string{"eval", "--docs", calibrationDocs, "--queries", calibrationQueries, "--profile", profile}

	res := runWith(t, testEnv(map[string]string{"IDIOMAS_LLM_KEY": model.APIKey()}), "", args...)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "modes: triage=llm knowledge=llm") || len(model.ChatRequests()) == 0 {
		t.Errorf("the run did not use the profile's model (%d calls):\n%s", len(model.ChatRequests()), res.stdout)
	}

	calls := len(model.ChatRequests())
	res = runWith(t, testEnv(nil), "", args...)
	if res.code != 1 || !strings.Contains(res.stderr, "IDIOMAS_LLM_KEY (llm.api_key_env) is empty") || len(model.ChatRequests()) != calls {
		t.Errorf("without the key: exit %d, stderr %q; want a refusal naming the variable, and no model call", res.code, res.stderr)
	}
}
