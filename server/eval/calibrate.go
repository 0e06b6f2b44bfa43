package eval

import "github.com/relevo/relevo/server/internal/agents"

// WrongAnswerCost is how many right answers one wrong answer cancels in
// the calibration utility. A needless hand-off costs a specialist a few
// minutes; a wrong answer misleads a customer and costs their trust, so it
// weighs several times more.
const WrongAnswerCost = 4

// Point is the performance of one threshold.
type Point struct {
	Threshold       float64 `json:"threshold"`
	Answers         int     `json:"answers"`
	RightAnswers    int     `json:"right_answers"`
	WrongAnswers    int     `json:"wrong_answers"` // wrong document, or a question that must not be answered
	FalseAnswers    int     `json:"false_answers"` // answers to must-not-answer questions
	Accuracy        float64 `json:"accuracy"`
	Precision       float64 `json:"precision"`
	Coverage        float64 `json:"coverage"`
	FalseAnswerRate float64 `json:"false_answer_rate"`
	// Utility is RightAnswers − WrongAnswerCost × WrongAnswers.
	Utility float64 `json:"utility"`
}

// Sweep replays a run's results at other thresholds, without searching
// again: a query that reached the knowledge agent is answered from its
// best passage when that passage's score reaches the threshold.
func Sweep(results []Result, thresholds []float64) []Point {
	out := make([]Point, 0, len(thresholds))
	for _, th := range thresholds {
		p := Point{Threshold: th}
		answerable, mustNot, correct := 0, 0, 0
		for _, r := range results {
			outcome := r.Outcome
			if r.Searched {
				outcome = agents.OutcomeEscalate
				if r.TopScore >= th && r.TopSource != "" {
					outcome = agents.OutcomeAnswer
				}
			}
			answered := outcome == agents.OutcomeAnswer
			rightDoc := r.Doc == "" || sourceIs(r.TopSource, r.Doc)
			switch r.Expect {
			case ExpectAnswer:
				answerable++
				if answered {
					p.Answers++
					if rightDoc {
						p.RightAnswers++
						correct++
					} else {
						p.WrongAnswers++
					}
				}
			case ExpectEscalate, ExpectNotAnswer:
				mustNot++
				if answered {
					p.Answers++
					p.WrongAnswers++
					p.FalseAnswers++
				} else if r.Expect == ExpectNotAnswer || outcome == agents.OutcomeEscalate {
					correct++
				}
			case ExpectSmalltalk:
				if outcome == agents.OutcomeSmalltalk {
					correct++
				}
				if answered {
					p.Answers++
					p.WrongAnswers++
				}
			}
		}
		p.Accuracy = ratio(correct, len(results))
		p.Precision = ratio(p.RightAnswers, p.Answers)
		p.Coverage = ratio(p.RightAnswers, answerable)
		p.FalseAnswerRate = ratio(p.FalseAnswers, mustNot)
		p.Utility = float64(p.RightAnswers) - WrongAnswerCost*float64(p.WrongAnswers)
		out = append(out, p)
	}
	return out
}

// Best returns the point of highest utility; ties go to the higher
// threshold, the safer side.
func Best(points []Point) Point {
	var best Point
	for i, p := range points {
		if i == 0 || p.Utility > best.Utility || (p.Utility == best.Utility && p.Threshold > best.Threshold) {
			best = p
		}
	}
	return best
}

// Thresholds returns lo, lo+step, …, hi.
func Thresholds(lo, hi, step float64) []float64 {
	var out []float64
	for t := lo; t <= hi+1e-9; t += step {
		out = append(out, float64(int(t*1000+0.5))/1000)
	}
	return out
}
