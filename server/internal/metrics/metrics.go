// Package metrics holds Relevo's Prometheus metrics: messages, run latency,
// outcomes (hand-offs and resolution rate derive from them), delivery
// retries and model tokens.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/relevo/relevo/server/internal/agents"
)

// Metrics is a registry with Relevo's collectors. It implements the
// observer interfaces of the API and the pipeline.
type Metrics struct {
	reg      *prometheus.Registry
	messages *prometheus.CounterVec
	runs     *prometheus.CounterVec
	runTime  prometheus.Histogram
	outbound *prometheus.CounterVec
	tokens   *prometheus.CounterVec
}

// New registers the collectors on a fresh registry (no global state, so
// tests and several servers in one process do not collide).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relevo_messages_received_total",
			Help: "Inbound messages accepted, by channel; duplicate=true for re-deliveries ignored.",
		}, []string{"channel", "duplicate"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relevo_runs_total",
			Help: "Agent runs by outcome (smalltalk, answer, escalate, follow_up, silent). Resolution rate = (smalltalk+answer)/(smalltalk+answer+escalate).",
		}, []string{"outcome"}),
		runTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "relevo_run_duration_seconds",
			Help:    "Time from claiming a conversation to committing the run's decision.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relevo_outbound_results_total",
			Help: "Outbound delivery results reported by adapters: sent, retrying, failed.",
		}, []string{"channel", "result"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relevo_llm_tokens_total",
			Help: "Model tokens used by agent runs.",
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.messages, m.runs, m.runTime, m.outbound, m.tokens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MessageAccepted counts an inbound message.
func (m *Metrics) MessageAccepted(channel string, duplicate bool) {
	d := "false"
	if duplicate {
		d = "true"
	}
	m.messages.WithLabelValues(channel, d).Inc()
}

// OutboundResult counts a delivery result.
func (m *Metrics) OutboundResult(channel, result string) {
	m.outbound.WithLabelValues(channel, result).Inc()
}

// RunCompleted records a committed run.
func (m *Metrics) RunCompleted(outcome string, d time.Duration, usage agents.Usage) {
	m.runs.WithLabelValues(outcome).Inc()
	m.runTime.Observe(d.Seconds())
	if usage.PromptTokens > 0 {
		m.tokens.WithLabelValues("prompt").Add(float64(usage.PromptTokens))
	}
	if usage.CompletionTokens > 0 {
		m.tokens.WithLabelValues("completion").Add(float64(usage.CompletionTokens))
	}
}
