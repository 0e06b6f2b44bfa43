package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

func TestZZDump(t *testing.T) {
	pooled, _ := runHeldOut(t)
	f, _ := os.Create("/tmp/heldout-dump.jsonl")
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range pooled {
		r.Answer = ""
		enc.Encode(r)
	}
}

func TestZZDebug(t *testing.T) {
	bot := os.Getenv("BOT")
	dir := filepath.Join(sharedDir(t), "eval", "es-docs", bot)
	if bot == "seed" {
		dir = filepath.Join(sharedDir(t), "seed-kb")
	}
	base := knowledge.New(knowledge.Options{Language: "es"})
	LoadDocs(context.Background(), base, dir)
	an := analysis.New("es")
	for _, q := range strings.Split(os.Getenv("Q"), "|") {
		var ts []string
		for _, qt := range an.Query(q) {
			ts = append(ts, fmt.Sprintf("%s(%s,%.1f)", qt.Stem, qt.Word, qt.Weight))
		}
		fmt.Printf("== %q  terms: %s\n", q, strings.Join(ts, " "))
		rs, _ := base.Search(context.Background(), q, 5)
		for _, r := range rs {
			fmt.Printf("   %.3f lex=%.3f vec=%.3f %s %s\n", r.Score, r.Lexical, r.Vector, r.Source, r.Heading)
		}
	}
}

func loadBot(t *testing.T, bot string, lw float64) *knowledge.Base {
	dir := filepath.Join(sharedDir(t), "eval", "es-docs", bot)
	base := knowledge.New(knowledge.Options{Language: "es", LexicalWeight: lw})
	LoadDocs(context.Background(), base, dir)
	return base
}

func TestZZRank(t *testing.T) {
	for _, lw := range []float64{0.01, 0.3, 0.5, 0.7, 1} {
		top1, in5, n := 0, 0, 0
		for _, bot := range heldOutBots {
			base := loadBot(t, bot, lw)
			qs, _ := LoadQueries(filepath.Join(sharedDir(t), "eval", "es-queries-"+bot+".jsonl"))
			for _, q := range qs {
				if q.Expect != ExpectAnswer {
					continue
				}
				n++
				rs, _ := base.Search(context.Background(), q.Query, 5)
				for i, r := range rs {
					if r.Source == q.Doc {
						if i == 0 {
							top1++
						}
						in5++
						break
					}
				}
			}
		}
		fmt.Printf("lw=%.2f top1=%.3f top5=%.3f n=%d\n", lw, float64(top1)/float64(n), float64(in5)/float64(n), n)
	}
}

func TestZZFails(t *testing.T) {
	for _, bot := range heldOutBots {
		base := loadBot(t, bot, 0)
		qs, _ := LoadQueries(filepath.Join(sharedDir(t), "eval", "es-queries-"+bot+".jsonl"))
		for _, q := range qs {
			if q.Expect != ExpectAnswer {
				continue
			}
			rs, _ := base.Search(context.Background(), q.Query, 5)
			if len(rs) > 0 && rs[0].Source != q.Doc {
				rank := -1
				for i, r := range rs {
					if r.Source == q.Doc {
						rank = i
					}
				}
				fmt.Printf("%.2f r=%d %-40q got %-45s want %s\n", rs[0].Score, rank, q.Query, rs[0].Heading, q.Doc)
			}
		}
	}
}

type feat struct {
	right bool
	f     map[string]float64
}

func auc(fs []feat, name string) float64 {
	var pos, neg []float64
	for _, x := range fs {
		if x.right {
			pos = append(pos, x.f[name])
		} else {
			neg = append(neg, x.f[name])
		}
	}
	c := 0.0
	for _, p := range pos {
		for _, n := range neg {
			if p > n {
				c++
			} else if p == n {
				c += 0.5
			}
		}
	}
	return c / float64(len(pos)*len(neg))
}

func TestZZFeatures(t *testing.T) {
	var fs []feat
	for _, bot := range heldOutBots {
		base := loadBot(t, bot, 0)
		qs, _ := LoadQueries(filepath.Join(sharedDir(t), "eval", "es-queries-"+bot+".jsonl"))
		for _, q := range qs {
			if q.Expect == ExpectSmalltalk {
				continue
			}
			rs, _ := base.Search(context.Background(), q.Query, 5)
			if len(rs) == 0 {
				continue
			}
			r0 := rs[0]
			rel := func(r knowledge.Result) float64 { return 0.5*r.Lexical + 0.5*r.Vector }
			second := 0.0
			for _, r := range rs[1:] {
				if r.Source != r0.Source {
					second = max(second, rel(r))
				}
			}
			f := map[string]float64{"score": r0.Score, "lex": r0.Lexical, "vec": r0.Vector, "rel": rel(r0), "margin": rel(r0) - second, "ratio": rel(r0) / (second + 1e-3)}
			fs = append(fs, feat{right: q.Expect == ExpectAnswer && r0.Source == q.Doc, f: f})
		}
	}
	for _, n := range []string{"score", "lex", "vec", "rel", "margin", "ratio"} {
		fmt.Printf("%-8s AUC %.3f\n", n, auc(fs, n))
	}
}
