package knowledge

import (
	"cmp"
	"slices"
)

type scored struct {
	slot  int32
	score float32
}

// minHeap keeps the k best scores seen, worst on top. It is written out
// rather than built on container/heap, whose interface boxes every value
// pushed: the vector scan offers thousands of candidates per query.
type minHeap []scored

// offer adds s if the heap holds fewer than k scores or s beats the worst.
func (h *minHeap) offer(s scored, k int) {
	old := *h
	if len(old) < k {
		old = append(old, s)
		// Sift up.
		i := len(old) - 1
		for i > 0 {
			p := (i - 1) / 2
			if old[p].score <= old[i].score {
				break
			}
			old[p], old[i] = old[i], old[p]
			i = p
		}
		*h = old
		return
	}
	if k == 0 || s.score <= old[0].score {
		return
	}
	old[0] = s
	// Sift down.
	i, n := 0, len(old)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && old[r].score < old[l].score {
			m = r
		}
		if old[i].score <= old[m].score {
			break
		}
		old[i], old[m] = old[m], old[i]
		i = m
	}
}

// topK returns the k highest scores of list, in no particular order.
func topK(list []scored, k int) []scored {
	h := make(minHeap, 0, k)
	for _, s := range list {
		h.offer(s, k)
	}
	return h
}

// sortScored orders best first, ties by slot so results are stable.
func sortScored(list []scored) {
	slices.SortFunc(list, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.slot, b.slot)
	})
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
