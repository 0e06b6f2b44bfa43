package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// OutcomeCounter counts conversation outcomes in the store since a time
// (zero: ever).
type OutcomeCounter func(ctx context.Context, since time.Time) (map[string]int, error)

// outcomesCollector reads the conversation outcomes from the store at each
// scrape, so every replica reports the same totals, whichever recorded
// them (a run, a specialist's answer, the periodic settling).
type outcomesCollector struct {
	count OutcomeCounter
	names []string
	desc  *prometheus.Desc
}

// WatchOutcomes exposes relevo_conversation_outcomes_total{outcome}, read
// from the store with count at each scrape.
func (m *Metrics) WatchOutcomes(count OutcomeCounter, outcomes []string) {
	m.reg.MustRegister(&outcomesCollector{
		count: count, names: outcomes,
		desc: prometheus.NewDesc("relevo_conversation_outcomes_total",
			"Conversations by outcome: resolved_by_bot (answered and confirmed, or no further question), resolved_by_person (ticket answered), abandoned (hand-off never answered).",
			[]string{"outcome"}, nil),
	})
}

func (c *outcomesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outcomesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx, time.Time{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, o := range c.names {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(counts[o]), o)
	}
}
