package knowledge

import (
	"container/heap"
	"runtime"
	"sync"
)

type scored struct {
	slot  int32
	score float32
}

// minHeap keeps the k best scores seen, worst on top.
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *minHeap) offer(s scored, k int) {
	if len(*h) < k {
		heap.Push(h, s)
		return
	}
	if s.score > (*h)[0].score {
		(*h)[0] = s
		heap.Fix(h, 0)
	}
}

// topK returns the k highest scores.
func topK(list []scored, k int) []scored {
	h := make(minHeap, 0, k)
	for _, s := range list {
		h.offer(s, k)
	}
	return h
}

// scanParallelMin is the number of vectors below which one goroutine scans
// faster than several.
const scanParallelMin = 4096

// scanLocked returns the k live slots with the highest dot product with q,
// by an exact scan of all vectors split across the CPUs (see
// research/MEASURED.md: the approximate graph libraries available were
// wrong, and an exact float32 scan of 100k × 256 fits the latency budget).
func (ix *Index) scanLocked(q []float32, k int) []scored {
	n := len(ix.items)
	parts := runtime.GOMAXPROCS(0)
	if n < scanParallelMin || parts < 2 {
		return ix.scanRange(q, k, 0, n)
	}
	results := make([][]scored, parts)
	var wg sync.WaitGroup
	step := (n + parts - 1) / parts
	for p := 0; p < parts; p++ {
		lo, hi := p*step, min((p+1)*step, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[p] = ix.scanRange(q, k, lo, hi)
		}()
	}
	wg.Wait()
	var all []scored
	for _, r := range results {
		all = append(all, r...)
	}
	return topK(all, k)
}

func (ix *Index) scanRange(q []float32, k, lo, hi int) []scored {
	h := make(minHeap, 0, k)
	d := ix.dims
	for i := lo; i < hi; i++ {
		if !ix.items[i].live {
			continue
		}
		s := dot(q, ix.vecs[i*d:(i+1)*d])
		if len(h) < k || s > h[0].score {
			h.offer(scored{int32(i), s}, k)
		}
	}
	return h
}

// dot is the inner product, unrolled by eight with independent
// accumulators so that the additions pipeline.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}
