package eval

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecommendTakesTheBestUtilityUnderTheFalseAnswerLimit(t *testing.T) {
	t.Parallel()
	points := []Point{
		{Threshold: 0.3, Utility: 12, FalseAnswerRate: 0.10},
		{Threshold: 0.5, Utility: 9, FalseAnswerRate: 0.04},
		{Threshold: 0.7, Utility: 9, FalseAnswerRate: 0.00},
		{Threshold: 0.9, Utility: 3, FalseAnswerRate: 0.00},
	}
	if got, ok := Recommend(points, 0.05); !ok || got.Threshold != 0.7 {
		t.Errorf("got %.2f (within %v), want 0.70: the best utility within the limit, the higher of a tie", got.Threshold, ok)
	}
	if got, ok := Recommend(points[:1], 0.05); ok || got.Threshold != 0.3 {
		t.Errorf("got %.2f (within %v), want 0.30 flagged as over the limit", got.Threshold, ok)
	}
}

func TestWriteCalibrationWritesATableAndAPlot(t *testing.T) {
	t.Parallel()
	results := []Result{
		{Expect: ExpectAnswer, Doc: "a.md", Searched: true, TopScore: 0.9, TopSource: "a.md"},
		{Expect: ExpectAnswer, Doc: "a.md", Searched: true, TopScore: 0.4, TopSource: "b.md"},
		{Expect: ExpectEscalate, Searched: true, TopScore: 0.5, TopSource: "a.md"},
	}
	// Utility is 1 from 0.55 (the wrong-document hit drops out) to 0.90
	// (the right one still answers): the tie goes to the safer 0.90.
	cal := Calibrate(results, DefaultThresholds())
	rep := &Report{Documents: 2, Modes: "triage=rules knowledge=rules", Threshold: 0.6, Results: results, Totals: Summarise(results)}
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteCalibration(dir, rep, cal); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, l := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(l, "| 0.") {
			rows++
		}
	}
	if rows != len(DefaultThresholds()) || !strings.Contains(string(md), "recommended knowledge.answer_threshold: 0.90") {
		t.Errorf("report with %d rows:\n%s", rows, md)
	}
	if polylines := svgPolylines(t, filepath.Join(dir, "curve.svg")); polylines != 3 {
		t.Errorf("%d polylines, want precision, coverage and false-answer rate", polylines)
	}
}

// svgPolylines returns how many polylines the SVG file at path draws,
// failing the test when it does not parse as XML.
func svgPolylines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("%s does not parse as XML: %v", filepath.Base(path), err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			n++
		}
	}
}
