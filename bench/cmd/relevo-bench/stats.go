package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Latency summarises a set of durations. Percentiles use the nearest-rank
// method, so p99 of 100 samples is the 99th smallest, a value that was
// actually observed.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// summarize computes the percentiles of ds (which it sorts).
func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{
		Count: len(ds),
		P50:   ms(percentile(ds, 50)),
		P99:   ms(percentile(ds, 99)),
		Max:   ms(ds[len(ds)-1]),
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, or 0 when it is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms converts d to fractional milliseconds, rounded to microseconds.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// durations collects samples from many goroutines.
type durations struct {
	mu sync.Mutex
	ds []time.Duration
}

func (d *durations) add(v time.Duration) {
	d.mu.Lock()
	d.ds = append(d.ds, v)
	d.mu.Unlock()
}

func (d *durations) take() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.ds
	d.ds = nil
	return out
}

// Memory is the process's memory use, sampled during a run. With the server
// in-process it includes the benchmark's own client, which is small next to
// the server (one gRPC connection and a few goroutines per simulated user).
type Memory struct {
	Samples int `json:"samples"`
	// HeapInUseMaxMB is the largest runtime heap in use (MemStats.HeapInuse).
	HeapInUseMaxMB float64 `json:"heap_inuse_max_mb"`
	// HeapInUseEndMB is the heap in use at the end of the run.
	HeapInUseEndMB float64 `json:"heap_inuse_end_mb"`
	// RSSMaxMB is the largest resident set size (Linux only; 0 elsewhere).
	RSSMaxMB float64 `json:"rss_max_mb"`
	// Goroutines is the largest number of goroutines seen.
	GoroutinesMax int `json:"goroutines_max"`
	// LoadAvgMax is the largest 1-minute load average of the host seen
	// (Linux only): with more runnable threads than CPUs the latencies
	// measure the machine as much as the server.
	LoadAvgMax float64 `json:"host_load_avg_max"`
	CPUs       int     `json:"host_cpus"`
}

// sampleMemory samples the process's memory every interval until the
// returned function is called, which takes a last sample and returns the
// summary.
func sampleMemory(every time.Duration) func() Memory {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Memory, 1)
	go func() {
		var m Memory
		m.sample()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				m.HeapInUseEndMB = m.sample()
				done <- m
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return func() Memory {
		cancel()
		return <-done
	}
}

// sample records one sample and returns the heap in use, in MB.
func (m *Memory) sample() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := mb(ms.HeapInuse)
	m.Samples++
	m.HeapInUseMaxMB = max(m.HeapInUseMaxMB, heap)
	m.RSSMaxMB = max(m.RSSMaxMB, mb(rss()))
	m.GoroutinesMax = max(m.GoroutinesMax, runtime.NumGoroutine())
	m.LoadAvgMax = max(m.LoadAvgMax, loadAvg())
	m.CPUs = runtime.NumCPU()
	return heap
}

func mb(b uint64) float64 { return math.Round(float64(b)/(1<<20)*10) / 10 }

// rss returns the resident set size of this process from /proc, or 0 where
// there is no /proc.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// loadAvg returns the host's 1-minute load average, or 0 where there is no
// /proc.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(b)
	if len(fields) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(string(fields[0]), 64)
	if err != nil {
		return 0
	}
	return v
}
