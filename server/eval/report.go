package eval

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// MaxFalseAnswerRate is the share of questions that must not be answered
// the recommended threshold may answer, when some threshold stays under it:
// beyond utility, a bot that answers one in twenty requests for a person
// or for the user's own data loses the trust the hand-offs build.
const MaxFalseAnswerRate = 0.05

// DefaultThresholds are the thresholds a calibration report sweeps.
func DefaultThresholds() []float64 { return Thresholds(0.05, 0.95, 0.05) }

// Calibration is a threshold sweep and the threshold it recommends.
type Calibration struct {
	Points      []Point `json:"points"`
	Recommended Point   `json:"recommended"`
	// WithinLimit is false when every threshold answers more than
	// MaxFalseAnswerRate of the must-not-answer questions; the
	// recommendation is then the best utility regardless.
	WithinLimit bool `json:"within_limit"`
}

// Calibrate sweeps a run's results over thresholds and recommends one.
func Calibrate(results []Result, thresholds []float64) Calibration {
	points := Sweep(results, thresholds)
	rec, ok := Recommend(points, MaxFalseAnswerRate)
	return Calibration{Points: points, Recommended: rec, WithinLimit: ok}
}

// Recommend returns the point of best utility (Best) among those whose
// false-answer rate is at most maxFalse, and true; when there is none, the
// best of all points and false.
func Recommend(points []Point, maxFalse float64) (Point, bool) {
	var safe []Point
	for _, p := range points {
		if p.FalseAnswerRate <= maxFalse+1e-9 {
			safe = append(safe, p)
		}
	}
	if len(safe) == 0 {
		return Best(points), false
	}
	return Best(safe), true
}

// WriteCalibration writes report.md (the sweep as a Markdown table and the
// recommendation) and curve.svg (precision, coverage and false-answer rate
// against the threshold) into dir, creating it.
func WriteCalibration(dir string, rep *Report, cal Calibration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(CalibrationMarkdown(rep, cal)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "curve.svg"), []byte(CurveSVG(cal)), 0o644); err != nil {
		return fmt.Errorf("write curve: %w", err)
	}
	return nil
}

// RecommendationText is the one-line recommendation, as printed and in the
// report.
func RecommendationText(cal Calibration) string {
	r := cal.Recommended
	s := fmt.Sprintf("recommended knowledge.answer_threshold: %.2f (utility %.0f, precision %.3f, coverage %.3f, false-answer rate %.3f)",
		r.Threshold, r.Utility, r.Precision, r.Coverage, r.FalseAnswerRate)
	if !cal.WithinLimit {
		s += fmt.Sprintf("; no threshold keeps the false-answer rate at or under %.2f", MaxFalseAnswerRate)
	}
	return s
}

// CalibrationMarkdown renders the report.
func CalibrationMarkdown(rep *Report, cal Calibration) string {
	var b strings.Builder
	t := rep.Totals
	b.WriteString("# Answer threshold calibration\n\n")
	fmt.Fprintf(&b, "%d documents, %d labelled queries (%d answerable, %d that must not be answered), modes %s, profile threshold %.2f.\n\n",
		rep.Documents, t.Queries, t.Answerable, t.MustNotAnswer, rep.Modes, rep.Threshold)
	fmt.Fprintf(&b, "**%s**\n\n", RecommendationText(cal))
	fmt.Fprintf(&b, "The recommendation is the threshold of best utility (right answers − %d × wrong answers) among those whose "+
		"false-answer rate is at most %.2f; ties go to the higher threshold. Each query that reached the knowledge base is "+
		"replayed at every threshold: answered from its best passage when that passage's confidence reaches it.\n\n",
		WrongAnswerCost, MaxFalseAnswerRate)
	b.WriteString("| threshold | answers | right | wrong | precision | coverage | false-answer rate | utility |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range cal.Points {
		mark := ""
		if p.Threshold == cal.Recommended.Threshold {
			mark = " ←"
		}
		fmt.Fprintf(&b, "| %.2f%s | %d | %d | %d | %.3f | %.3f | %.3f | %.0f |\n",
			p.Threshold, mark, p.Answers, p.RightAnswers, p.WrongAnswers, p.Precision, p.Coverage, p.FalseAnswerRate, p.Utility)
	}
	b.WriteString("\n![precision, coverage and false-answer rate by threshold](curve.svg)\n")
	return b.String()
}

// The plot's geometry, in SVG user units.
const (
	svgWidth, svgHeight = 640, 400
	plotLeft, plotRight = 60, 470
	plotTop, plotBottom = 40, 340
)

// curveSeries are the plotted measures, with their colours.
var curveSeries = []struct {
	name, colour string
	value        func(Point) float64
}{
	{"precision", "#1f77b4", func(p Point) float64 { return p.Precision }},
	{"coverage", "#2ca02c", func(p Point) float64 { return p.Coverage }},
	{"false-answer rate", "#d62728", func(p Point) float64 { return p.FalseAnswerRate }},
}

func plotX(threshold float64) float64 { return plotLeft + threshold*(plotRight-plotLeft) }
func plotY(v float64) float64         { return plotBottom - v*(plotBottom-plotTop) }

// CurveSVG draws precision, coverage and false-answer rate against the
// threshold (both axes 0..1), with the recommended threshold marked.
func CurveSVG(cal Calibration) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgWidth, svgHeight)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">Answer threshold calibration</text>`+"\n", plotLeft)
	// Grid and ticks every 0.2 on both axes.
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, plotY(v), plotRight, plotY(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%.1f</text>`+"\n", plotLeft-6, plotY(v)+4, v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", plotX(v), plotTop, plotX(v), plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f</text>`+"\n", plotX(v), plotBottom+16, v)
	}
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, plotBottom, plotRight, plotBottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, plotTop, plotLeft, plotBottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">threshold</text>`+"\n", (plotLeft+plotRight)/2, plotBottom+36)
	fmt.Fprintf(&b, `<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)">rate</text>`+"\n", (plotTop+plotBottom)/2, (plotTop+plotBottom)/2)
	// The recommended threshold.
	rx := plotX(cal.Recommended.Threshold)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-dasharray="4 3"/>`+"\n", rx, plotTop, rx, plotBottom)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", rx, plotTop-4,
		html.EscapeString(fmt.Sprintf("recommended %.2f", cal.Recommended.Threshold)))
	// One polyline per measure.
	for _, s := range curveSeries {
		pts := make([]string, 0, len(cal.Points))
		for _, p := range cal.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", plotX(p.Threshold), plotY(s.value(p))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`+"\n",
			s.colour, strings.Join(pts, " "), html.EscapeString(s.name))
	}
	// Legend.
	for i, s := range curveSeries {
		y := plotTop + 10 + 22*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", plotRight+20, y, plotRight+44, y, s.colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", plotRight+50, y+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
