package eval

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/relevo/relevo/server/internal/agents"
)

func TestDebugRun(t *testing.T) {
	docs, queries := os.Getenv("EVAL_DOCS"), os.Getenv("EVAL_QUERIES")
	if docs == "" {
		t.Skip()
	}
	rep, err := Run(context.Background(), Options{DocsDir: docs, QueriesFile: queries})
	if err != nil {
		t.Fatal(err)
	}
	WriteText(os.Stdout, rep)
}

func TestDebugSweep(t *testing.T) {
	if os.Getenv("EVAL_SWEEP") == "" {
		t.Skip()
	}
	p := agents.DefaultProfile()
	var all []Result
	for _, bot := range []string{"alicia", "boot", "cobot"} {
		lw, _ := strconv.ParseFloat(os.Getenv("LW"), 64)
		rep, err := Run(context.Background(), Options{LexicalWeight: lw, Profile: p, DocsDir: "/work/shared/eval/es-docs/" + bot, QueriesFile: "/work/shared/eval/es-queries-" + bot + ".jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rep.Results...)
		pts := Sweep(rep.Results, []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8})
		fmt.Println("==", bot)
		for _, pt := range pts {
			fmt.Printf("t=%.2f ans=%d right=%d wrong=%d false=%d acc=%.3f prec=%.3f cov=%.3f far=%.3f U=%.0f\n", pt.Threshold, pt.Answers, pt.RightAnswers, pt.WrongAnswers, pt.FalseAnswers, pt.Accuracy, pt.Precision, pt.Coverage, pt.FalseAnswerRate, pt.Utility)
		}
		if os.Getenv("EVAL_DUMP") == bot {
			for _, r := range rep.Results {
				fmt.Printf("%s\t%.3f\t%s\t%s\t%q\n", r.Expect, r.TopScore, r.Doc, r.TopSource, r.Query)
			}
		}
	}
	fmt.Println("== all")
	for _, pt := range Sweep(all, []float64{0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9}) {
		fmt.Printf("t=%.3f ans=%d right=%d wrong=%d false=%d acc=%.3f prec=%.3f cov=%.3f far=%.3f U=%.0f\n", pt.Threshold, pt.Answers, pt.RightAnswers, pt.WrongAnswers, pt.FalseAnswers, pt.Accuracy, pt.Precision, pt.Coverage, pt.FalseAnswerRate, pt.Utility)
	}
}
