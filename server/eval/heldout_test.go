package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relevo/relevo/server/internal/agents"
)

// skipUnderRace skips a whole evaluation under the race detector:
// thousands of questions through one single-threaded chain take minutes
// there and find no race the small cases do not; they run in full without
// it (the README's `go test ./...`).
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("a full evaluation: it runs without -race")
	}
}

// heldOutBots are the held-out Spanish FAQ bots; each is evaluated against
// its own documents only.
var heldOutBots = []string{"alicia", "boot", "cobot"}

// runHeldOut runs every held-out bot at the default profile and returns
// the results pooled, and per bot.
func runHeldOut(t *testing.T) ([]Result, map[string][]Result) {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "eval")
	var pooled []Result
	per := map[string][]Result{}
	for _, bot := range heldOutBots {
		rep, err := Run(context.Background(), Options{
			DocsDir:     filepath.Join(dir, "es-docs", bot),
			QueriesFile: filepath.Join(dir, "es-queries-"+bot+".jsonl"),
		})
		if err != nil {
			t.Fatalf("held-out set %s: %v", bot, err)
		}
		per[bot] = rep.Results
		pooled = append(pooled, rep.Results...)
	}
	return pooled, per
}

func sweepTable(points []Point) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| threshold | answers | precision | coverage | false-answer rate | utility |\n|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range points {
		fmt.Fprintf(&b, "| %.2f | %d | %.3f | %.3f | %.3f | %.0f |\n", p.Threshold, p.Answers, p.Precision, p.Coverage, p.FalseAnswerRate, p.Utility)
	}
	return b.String()
}

// TestHeldOutSetAtTheDefaultThreshold guards the product promise on real
// user phrasings the analysis was not tuned on: at the default threshold
// most answers come from the right document and few questions that must
// not be answered are. Run with -v for the sweep the calibration page
// reports.
func TestHeldOutSetAtTheDefaultThreshold(t *testing.T) {
	t.Parallel()
	skipUnderRace(t)
	pooled, per := runHeldOut(t)
	th := agents.DefaultProfile().Knowledge.AnswerThreshold
	pts := Sweep(pooled, Thresholds(0.15, 0.9, 0.05))
	t.Logf("pooled sweep (%d queries):\n%s", len(pooled), sweepTable(pts))
	for _, bot := range heldOutBots {
		p := Sweep(per[bot], []float64{th})[0]
		t.Logf("%s at %.2f: precision %.3f coverage %.3f false-answer rate %.3f (%d answers)", bot, th, p.Precision, p.Coverage, p.FalseAnswerRate, p.Answers)
	}
	at := Sweep(pooled, []float64{th})[0]
	t.Logf("pooled at %.2f: precision %.3f coverage %.3f false-answer rate %.3f", th, at.Precision, at.Coverage, at.FalseAnswerRate)
	// Measured: precision 0.952, coverage 0.440, false-answer rate 0.000
	// (docs/calibration.md); the bounds leave room for small changes.
	if at.FalseAnswerRate > 0.02 {
		t.Errorf("false-answer rate %.3f at the default threshold %.2f; want at most 0.02", at.FalseAnswerRate, th)
	}
	if at.Precision < 0.92 {
		t.Errorf("precision %.3f at the default threshold %.2f; want at least 0.92", at.Precision, th)
	}
	if at.Coverage < 0.40 {
		t.Errorf("coverage %.3f at the default threshold %.2f; want at least 0.40", at.Coverage, th)
	}
}

// runEnglish builds, for each English FAQ source, a folder of its entries
// as Markdown (heading = question) and a queries file of its labelled
// phrasings plus the out-of-scope requests shared by all sources, and
// runs them with an English profile. It is a check of how the method
// carries over to another language and to knowledge bases of other shapes.
func runEnglish(t *testing.T) ([]Result, map[string][]Result) {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "eval", "en")
	type kbLine struct{ ID, Question, Answer, Source string }
	type qLine struct {
		Query, Kind string
		AnswerID    *string `json:"answer_id"`
		Scope       string  `json:"kb_scope"`
	}
	var kb []kbLine
	var qs []qLine
	if err := readJSONL(filepath.Join(dir, "kb.jsonl"), &kb); err != nil {
		t.Fatalf("English set: %v", err)
	}
	if err := readJSONL(filepath.Join(dir, "queries.jsonl"), &qs); err != nil {
		t.Fatalf("English set: %v", err)
	}
	fileOf := func(id string) string { return strings.NewReplacer(":", "-", "/", "-").Replace(id) + ".md" }
	p := agents.DefaultProfile()
	p.Company.Language = "en"
	var pooled []Result
	per := map[string][]Result{}
	for si, src := range englishSources {
		docs := t.TempDir()
		for _, e := range kb {
			if e.Source != src {
				continue
			}
			body := "# " + e.Question + "\n\n" + e.Answer + "\n"
			if err := os.WriteFile(filepath.Join(docs, fileOf(e.ID)), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var lines []string
		for qi, q := range qs {
			var l Query
			switch {
			case q.Scope == src && q.AnswerID != nil:
				l = Query{Query: q.Query, Expect: ExpectAnswer, Doc: fileOf(*q.AnswerID)}
			case q.Scope == src || (q.Scope == "all" && qi%len(englishSources) == si):
				// Each source gets its own third of the out-of-scope
				// requests.
				l = Query{Query: q.Query, Expect: ExpectNotAnswer}
			default:
				continue
			}
			b, _ := json.Marshal(l)
			lines = append(lines, string(b))
		}
		qf := filepath.Join(t.TempDir(), "q.jsonl")
		if err := os.WriteFile(qf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		englishDirs[src] = [2]string{docs, qf}
		rep, err := Run(context.Background(), Options{DocsDir: docs, QueriesFile: qf, Profile: p})
		if err != nil {
			t.Fatal(err)
		}
		per[src] = rep.Results
		pooled = append(pooled, rep.Results...)
	}
	return pooled, per
}

var englishSources = []string{"stanford", "deepset", "stackfaq"}

// englishDirs records, for experiments, the documents folder and queries
// file runEnglish wrote for each source.
var englishDirs = map[string][2]string{}

func readJSONL[T any](path string, out *[]T) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		*out = append(*out, v)
	}
	return nil
}

// TestEnglishSetCarriesTheMethodOver checks the method in another language,
// on knowledge bases of other sizes and with a thousand out-of-scope
// requests. Run with -v for the sweep.
func TestEnglishSetCarriesTheMethodOver(t *testing.T) {
	t.Parallel()
	skipUnderRace(t)
	pooled, per := runEnglish(t)
	th := agents.DefaultProfile().Knowledge.AnswerThreshold
	t.Logf("English pooled sweep (%d queries):\n%s", len(pooled), sweepTable(Sweep(pooled, Thresholds(0.15, 0.9, 0.05))))
	for _, src := range englishSources {
		p := Sweep(per[src], []float64{th})[0]
		t.Logf("%s at %.2f: precision %.3f coverage %.3f false-answer rate %.3f (%d answers)", src, th, p.Precision, p.Coverage, p.FalseAnswerRate, p.Answers)
	}
	// Measured: precision 0.876, coverage 0.385, false-answer rate 0.034.
	// Coverage is held too: a rule that reads a kind into questions that
	// ask for none hands English questions off wholesale (it was 0.257).
	at := Sweep(pooled, []float64{th})[0]
	if at.Precision < 0.80 || at.FalseAnswerRate > 0.05 || at.Coverage < 0.33 {
		t.Errorf("at the default threshold %.2f: precision %.3f (want ≥ 0.80), coverage %.3f (want ≥ 0.33), false-answer rate %.3f (want ≤ 0.05)",
			th, at.Precision, at.Coverage, at.FalseAnswerRate)
	}
}
