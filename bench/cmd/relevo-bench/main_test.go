package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestTinyRunPrintsOneJSONSummaryPerConfiguration runs every phase against
// in-process servers with a fast fake model and checks what -o json
// promises: one object per configuration on stdout and nothing else.
func TestTinyRunPrintsOneJSONSummaryPerConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three in-process servers")
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"--users=10", "--messages=2", "--latency=10ms",
		"--single-duration=1s",
		"--accept-rate=50", "--accept-duration=1s", "--accept-conversations=5",
		"-o", "json",
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}

	var got []map[string]any
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("stdout line is not a JSON object: %q: %v", sc.Text(), err)
		}
		got = append(got, obj)
	}
	if len(got) != 3 {
		t.Fatalf("got %d JSON objects, want 3 (single-worker, default, accept):\n%s", len(got), stdout.String())
	}
	for i, want := range []struct{ phase, config string }{
		{"conversations", "single-worker"}, {"conversations", "default"}, {"accept", "default"},
	} {
		if got[i]["phase"] != want.phase || got[i]["config"] != want.config {
			t.Errorf("object %d is %v/%v, want %s/%s", i, got[i]["phase"], got[i]["config"], want.phase, want.config)
		}
		for _, key := range []string{"accept", "memory", "elapsed_s", "model_latency_ms"} {
			if _, ok := got[i][key]; !ok {
				t.Errorf("object %d (%s) has no %q", i, want.config, key)
			}
		}
	}

	def := got[1]
	if def["replies"] != 20.0 || def["sent"] != 20.0 || def["lost"] != 0.0 || def["errors"] != 0.0 {
		t.Errorf("default: sent %v, replies %v, lost %v, errors %v; want 20 sent and answered",
			def["sent"], def["replies"], def["lost"], def["errors"])
	}
	if def["kb_answers"] != def["replies"] {
		t.Errorf("default: %v of %v replies came from the knowledge base; the bench questions must all be answerable", def["kb_answers"], def["replies"])
	}
	if def["measured_model_calls_per_reply"] != 3.0 {
		t.Errorf("default: %v model calls per reply, want 3 (triage hand-off, search, answer)", def["measured_model_calls_per_reply"])
	}
	if v, _ := def["replies_per_s"].(float64); v <= 0 {
		t.Errorf("default: replies_per_s = %v, want positive", def["replies_per_s"])
	}
	if v, _ := def["speedup_vs_single_worker"].(float64); v <= 0 {
		t.Errorf("default: speedup_vs_single_worker = %v, want positive", def["speedup_vs_single_worker"])
	}
	for _, key := range []string{"reply", "reply_minus_model"} {
		l, _ := def[key].(map[string]any)
		if l["count"] != 20.0 {
			t.Errorf("default: %s count = %v, want 20", key, l["count"])
		}
	}
	reply, _ := def["reply"].(map[string]any)
	over, _ := def["reply_minus_model"].(map[string]any)
	// 3 calls of 10 ms are taken off each reply latency.
	if d := reply["p50_ms"].(float64) - over["p50_ms"].(float64); d < 29.99 || d > 30.01 {
		t.Errorf("reply p50 − reply_minus_model p50 = %v ms, want 30", d)
	}

	acc := got[2]
	if acc["sent"] != 50.0 || acc["errors"] != 0.0 {
		t.Errorf("accept: sent %v, errors %v; want 50 sent without errors", acc["sent"], acc["errors"])
	}
	if l, _ := acc["accept"].(map[string]any); l["count"] != 50.0 {
		t.Errorf("accept: %v latencies, want 50", l["count"])
	}
	if strings.Contains(stdout.String(), "level=") {
		t.Errorf("logs leaked to stdout:\n%s", stdout.String())
	}
}

func TestFlagsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown output format is refused", []string{"-o", "yaml"}, "-o"},
		{"negative users are refused", []string{"--users=-1"}, "--users"},
		{"zero messages are refused", []string{"--messages=0"}, "--messages"},
		{"an unknown log level is refused", []string{"--log-level=loud"}, "--log-level"},
		{"stray arguments are refused", []string{"extra"}, "unexpected argument"},
		{"a database that is not PostgreSQL is refused", []string{"--database=./x.db"}, "--database"},
		{"replicas without PostgreSQL are refused", []string{"--replicas=2"}, "--replicas"},
		{"a negative ingest duration is refused", []string{"--ingest-duration=-1s"}, "--ingest-duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not name %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestDurationWithoutMessagesLetsUsersWriteUntilItEnds(t *testing.T) {
	o, err := parseFlags([]string{"--duration=5s"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.messages < 1<<30 {
		t.Errorf("messages = %d, want unbounded when only --duration is given", o.messages)
	}
	o, err = parseFlags([]string{"--duration=5s", "--messages=3"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.messages != 3 {
		t.Errorf("messages = %d, want the explicit cap 3", o.messages)
	}
}
