package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// Summary is the result of one configuration of one phase. With -o json it
// is printed as one JSON object per line.
type Summary struct {
	// Phase is "conversations" (closed loop: each user waits for the
	// bot's reply before writing again) or "accept" (open loop at a fixed
	// rate).
	Phase string `json:"phase"`
	// Config is "single-worker", "default" or "external" (--server).
	Config string `json:"config"`
	// Workers is the server's --workers; 0 when unknown (external).
	Workers int `json:"workers,omitempty"`

	ModelLatencyMS float64 `json:"model_latency_ms"`
	// ModelCallsPerReply is the number of chat completions one answer is
	// assumed to cost; ModelCallsPerReply × model latency is subtracted
	// from the reply latency.
	ModelCallsPerReply int `json:"model_calls_per_reply"`
	// MeasuredModelCallsPerReply is the fake model's count of chat
	// completions divided by the replies (in-process only).
	MeasuredModelCallsPerReply float64 `json:"measured_model_calls_per_reply,omitempty"`

	// Questions is how many different questions the users asked (those
	// the knowledge base answers).
	Questions       int `json:"questions"`
	Users           int `json:"users,omitempty"`
	MessagesPerUser int `json:"messages_per_user,omitempty"`
	// RampS is the time over which the users' first messages were spread.
	RampS         float64 `json:"ramp_s,omitempty"`
	Conversations int     `json:"conversations,omitempty"`
	ElapsedS      float64 `json:"elapsed_s"`
	Sent          int     `json:"sent"`
	Errors        int     `json:"errors"`

	// Replies counts the bot's replies: in the conversations phase those
	// matched to their user's message within the window, in the accept
	// phase all those delivered while it ran.
	Replies int `json:"replies"`

	// Conversations phase.
	// KBAnswers counts replies answered from the knowledge base.
	KBAnswers int `json:"kb_answers"`
	// Lost counts messages whose reply did not come within --reply-timeout.
	Lost             int     `json:"lost"`
	RepliesPerSecond float64 `json:"replies_per_s"`
	// SpeedupVsSingleWorker is this configuration's throughput over the
	// single-worker one's.
	SpeedupVsSingleWorker float64  `json:"speedup_vs_single_worker,omitempty"`
	Reply                 *Latency `json:"reply,omitempty"`
	ReplyMinusModel       *Latency `json:"reply_minus_model,omitempty"`

	// Accept phase. RepliesPerSecond is then the replies delivered per
	// second while messages were being accepted, RepliesProduced the
	// replies the server stored in the same time (in-process only).
	RepliesProduced          int     `json:"replies_produced,omitempty"`
	RepliesProducedPerSecond float64 `json:"replies_produced_per_s,omitempty"`
	// The same rates over the second half of the phase only (see steady).
	SteadyDeliveredPerSecond float64  `json:"steady_delivered_per_s,omitempty"`
	SteadyProducedPerSecond  float64  `json:"steady_produced_per_s,omitempty"`
	TargetRate               float64  `json:"target_rate,omitempty"`
	AcceptedPerSecond        float64  `json:"accepted_per_s,omitempty"`
	SendLag                  *Latency `json:"send_lag,omitempty"`

	// Ingest phase: the webhook POSTs in flight, the 200s per second, and
	// (for the adapter) its requests per second over the bare handler's.
	Concurrency       int     `json:"concurrency,omitempty"`
	RequestsPerSecond float64 `json:"requests_per_s,omitempty"`
	RatioToBare       float64 `json:"ratio_to_bare,omitempty"`

	// Accept is the HandleMessage round trip (in the ingest phase, the
	// webhook POST's).
	Accept Latency `json:"accept"`
	// Memory is the process's memory (in-process only).
	Memory *Memory `json:"memory,omitempty"`
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round(float64(n)/d.Seconds(), 2)
}

// writeJSON prints one object per summary, one per line.
func writeJSON(w io.Writer, ss []Summary) error {
	enc := json.NewEncoder(w)
	for _, s := range ss {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}

// writeText prints the summaries as tables for people.
func writeText(w io.Writer, ss []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	for _, s := range ss {
		if s.Phase != "conversations" {
			continue
		}
		if !header {
			fmt.Fprintf(tw, "model latency %v × %d calls per answer; reply−model = reply latency − %v\n",
				time.Duration(s.ModelLatencyMS*float64(time.Millisecond)), s.ModelCallsPerReply,
				time.Duration(s.ModelLatencyMS*float64(time.Millisecond))*time.Duration(s.ModelCallsPerReply))
			fmt.Fprintln(tw, "config\tworkers\tusers\treplies\tlost\terrors\telapsed\treplies/s\taccept p50/p99 ms\treply−model p50/p99 ms\theap max MB\tRSS max MB\tcalls/reply")
			header = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.1fs\t%.2f\t%.2f / %.2f\t%s\t%s\t%s\t%s\t%s\n",
			s.Config, workers(s.Workers), s.Users, s.Replies, s.Lost, s.Errors, s.ElapsedS, s.RepliesPerSecond,
			s.Accept.P50, s.Accept.P99, pair(s.ReplyMinusModel), memHeap(s.Memory), memRSS(s.Memory), calls(s.MeasuredModelCallsPerReply), load(s.Memory))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range ss {
		if s.SpeedupVsSingleWorker > 0 {
			fmt.Fprintf(w, "throughput %s / single-worker: %.1fx\n", s.Config, s.SpeedupVsSingleWorker)
		}
	}
	for _, s := range ss {
		if s.Phase != "accept" {
			continue
		}
		fmt.Fprintf(w, "accept (%s): target %.0f msg/s over %d conversations: sent %d, accepted %d in %.1fs (%.1f/s), errors %d\n",
			s.Config, s.TargetRate, s.Conversations, s.Sent, s.Sent-s.Errors, s.ElapsedS, s.AcceptedPerSecond, s.Errors)
		fmt.Fprintf(w, "  accept p50 %.2f ms, p99 %.2f ms, max %.2f ms; send lag p99 %.2f ms; heap max %s MB, RSS max %s MB; host load %s\n",
			s.Accept.P50, s.Accept.P99, s.Accept.Max, lagP99(s.SendLag), memHeap(s.Memory), memRSS(s.Memory), load(s.Memory))
		fmt.Fprintf(w, "  replies meanwhile: delivered %d (%.1f/s)%s\n", s.Replies, s.RepliesPerSecond, produced(s))
	}
	for _, s := range ss {
		if s.Phase != "ingest" {
			continue
		}
		fmt.Fprintf(w, "ingest (%s): %d webhooks in flight over %d contacts: %d POSTs in %.1fs, %.1f req/s, p50 %.2f ms, p99 %.2f ms, errors %d",
			s.Config, s.Concurrency, s.Conversations, s.Sent, s.ElapsedS, s.RequestsPerSecond, s.Accept.P50, s.Accept.P99, s.Errors)
		if s.RatioToBare > 0 {
			fmt.Fprintf(w, "; %.3f of the bare handler", s.RatioToBare)
		}
		fmt.Fprintln(w)
		if s.Config != "bare-handler" {
			fmt.Fprintf(w, "  replies meanwhile: delivered to the Graph API %d (%.1f/s)%s; host load %s\n", s.Replies, s.RepliesPerSecond, produced(s), load(s.Memory))
		}
	}
	return nil
}

func produced(s Summary) string {
	if s.RepliesProduced == 0 {
		return ""
	}
	out := fmt.Sprintf(", produced %d (%.1f/s): %.0f%% delivered", s.RepliesProduced, s.RepliesProducedPerSecond,
		100*float64(s.Replies)/float64(s.RepliesProduced))
	if s.SteadyProducedPerSecond > 0 {
		out += fmt.Sprintf("; second half: delivered %.1f/s, produced %.1f/s (%.0f%%)", s.SteadyDeliveredPerSecond,
			s.SteadyProducedPerSecond, 100*s.SteadyDeliveredPerSecond/s.SteadyProducedPerSecond)
	}
	return out
}

func workers(n int) string {
	if n == 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

func pair(l *Latency) string {
	if l == nil || l.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f / %.2f", l.P50, l.P99)
}

func memHeap(m *Memory) string {
	if m == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", m.HeapInUseMaxMB)
}

func memRSS(m *Memory) string {
	if m == nil || m.RSSMaxMB == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", m.RSSMaxMB)
}

func load(m *Memory) string {
	if m == nil || m.LoadAvgMax == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f/%d CPUs", m.LoadAvgMax, m.CPUs)
}

func calls(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func lagP99(l *Latency) float64 {
	if l == nil {
		return 0
	}
	return l.P99
}
