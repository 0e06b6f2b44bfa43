package main

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"an empty set has no percentile", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{7}, 99, 7},
		{"the median of 1..100 ms is 50 ms", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100 ms is the 99th sample", hundred, 99, 99 * time.Millisecond},
		{"p100 is the largest sample", hundred, 100, 100 * time.Millisecond},
		{"a tiny percentile is the smallest sample", hundred, 0.001, time.Millisecond},
		{"the median of an even pair is the lower one", []time.Duration{1, 2}, 50, 1},
		{"p99 of ten samples is the largest", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeSortsAndReportsMilliseconds(t *testing.T) {
	ds := []time.Duration{3 * time.Millisecond, 1500 * time.Microsecond, 10 * time.Millisecond, 2 * time.Millisecond}
	got := summarize(ds)
	want := Latency{Count: 4, P50: 2, P99: 10, Max: 10}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if !slices.IsSorted(ds) {
		t.Errorf("summarize left the samples unsorted: %v", ds)
	}
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
}

func TestSampleMemoryTakesAtLeastOneSample(t *testing.T) {
	stop := sampleMemory(time.Hour)
	m := stop()
	if m.Samples < 1 || m.HeapInUseMaxMB <= 0 || m.GoroutinesMax < 1 {
		t.Errorf("memory = %+v, want at least one sample with a heap and goroutines", m)
	}
	if m.HeapInUseEndMB > m.HeapInUseMaxMB {
		t.Errorf("end heap %v MB exceeds the max %v MB", m.HeapInUseEndMB, m.HeapInUseMaxMB)
	}
}
