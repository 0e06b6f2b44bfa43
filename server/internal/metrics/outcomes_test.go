package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConversationOutcomesAreReadAtEachScrape(t *testing.T) {
	m := New()
	counts := map[string]int{"resolved_by_bot": 3}
	var fail error
	m.WatchOutcomes(func(context.Context, time.Time) (map[string]int, error) { return counts, fail },
		[]string{"resolved_by_bot", "resolved_by_person", "abandoned"})
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	body := scrape()
	for _, want := range []string{`relevo_conversation_outcomes_total{outcome="resolved_by_bot"} 3`,
		`relevo_conversation_outcomes_total{outcome="abandoned"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	counts["abandoned"] = 1
	if body := scrape(); !strings.Contains(body, `relevo_conversation_outcomes_total{outcome="abandoned"} 1`) {
		t.Error("a later scrape does not read the store again")
	}
	fail = errors.New("database down")
	if body := scrape(); strings.Contains(body, "relevo_conversation_outcomes_total{") {
		t.Error("a failing store still reported counts")
	}
}
