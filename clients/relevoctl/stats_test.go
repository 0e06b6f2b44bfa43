package main

import (
	"context"
	"strings"
	"testing"
	"time"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func (f *fakeRelevo) GetResolutionStats(ctx context.Context, req *relevov1.GetResolutionStatsRequest) (*relevov1.GetResolutionStatsResponse, error) {
	return &relevov1.GetResolutionStatsResponse{ResolvedByBot: 6, ResolvedByPerson: 3, Abandoned: 1, Total: 10,
		BotRate: 0.6, PersonRate: 0.3, AbandonedRate: 0.1}, nil
}

func TestStatsPrintsTheRatesOfThePeriod(t *testing.T) {
	f := startFake(t)
	res := f.run(t, "", "stats", "--since", "7d")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"resolved by the bot", "60.0%", "resolved by a person", "30.0%", "abandoned", "10.0%", ": 10"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	reqs := f.requests("GetResolutionStats")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	from := reqs[0].(*relevov1.GetResolutionStatsRequest).GetFrom().AsTime()
	if d := time.Since(from); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("period starts %v ago, want 7 days", d)
	}

	res = f.run(t, "", "stats", "--from", "2026-01-01", "--to", "2026-02-01")
	req := f.requests("GetResolutionStats")[1].(*relevov1.GetResolutionStatsRequest)
	if res.code != 0 || req.GetFrom().AsTime().Format("2006-01-02") != "2026-01-01" || req.GetTo().AsTime().Format("2006-01-02") != "2026-02-01" {
		t.Errorf("exit %d, request %v", res.code, req)
	}
	if res := f.run(t, "", "stats", "--since", "soon"); res.code == 0 {
		t.Error("a bad --since was accepted")
	}
}
