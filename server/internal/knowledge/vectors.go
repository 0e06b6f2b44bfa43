package knowledge

import (
	"encoding/binary"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// blockSize is how many slots share a block of storage. Storage grows a
// block at a time, so the index holds no more than one block of spare
// room, where appending to one growing slice would hold up to as much
// again as it uses.
const blockSize = 1024

// vectors holds the index's embeddings as 16-bit fixed-point numbers with
// a scale per slot (x ≈ code × scale) whose two bytes are stored apart:
// the high bytes, an int8 code of the vector, are what searches scan; the
// low bytes are read only to rescore the final few candidates, where int8
// alone would swap neighbours whose dot products differ in the fourth
// decimal. The high bytes are kept twice, in rows for the dense passes and
// dimension-major for sparse queries (see cols): 3 bytes per dimension in
// all, where float32 rows and int8 codes took 5. Beside them is a sketch of two bits per
// dimension, a quarter of the high bytes' size: each dimension rounded to
// one of −3, −1, 1, 3 times a step of the vector's own (sketchLevel).
//
// A search of a dense query (a model's embedding) is a cascade of passes,
// each over what the one before kept (denseNearest). A Gaussian-like query
// first compares its signs with the sketches' sign planes (one XOR and
// POPCNT per 64 dimensions) and keeps a third of the index: measured on
// 100k uniform vectors, the exact top 5 ranked at worst 29k (256-d) and
// 31k (1,536-d) of 100k by that distance. The sketch pass then takes the
// dot product of a 4-bit quantised query with those sketches, eight AND
// and POPCNT per 64 dimensions (for Gaussian-like vectors it correlates at
// about 0.94 with the true dot product; the exact top 5 ranked at worst
// about 400th of 100k). The best of those are rescored with their int8
// codes, the best of those with the full codes. A query with few non-zero
// dimensions (the local hashing embedder's) skips the sketches: it reads
// the dimension-major int8 codes of its non-zero dimensions only.
//
// A plain scan of int8 codes or of float32 rows is compute bound in Go,
// which does not vectorise (about 3 G multiply-adds per second per core):
// 100k × 1,536 dimensions take 25–50 ms; the sketches take a few. Where
// the CPU has AVX-512 with VPOPCNTQ the sketch passes and the int8 pass
// run on kernels (popcount_amd64.s) that take eight words or 32 codes an
// instruction and prefetch the rows they will read next, which the passes
// pick in no order the hardware would guess; they compute the same
// integers as the Go loops, which run everywhere else.
//
// How many candidates the sketch pass keeps (candidates) was measured for
// a recall@5 of at least 0.99 against the exact float32 scan on uniform
// random and clustered vectors of 256 and 1,536 dimensions and on the
// local hashing embedder's sparse ones (TestVectorRecall); small indexes
// are rescored entirely, which is the exact scan.
type vectors struct {
	dims int
	// words is the number of 64-bit words of one bit plane of a sketch.
	words int
	// hi[b] and lo[b] hold slot s = b×blockSize+i at [i*dims:(i+1)*dims]:
	// the code of dimension d is hi×256 + lo.
	hi [][]int8
	lo [][]uint8
	// cols[b] holds the high bytes again, dimension-major: slot s's
	// dimension d at cols[b][d*blockSize+i], plus codeBias so that eight
	// can be multiplied at once (see sparseScan). A sparse query (the
	// hashing embedder's touches a few dozen of 256 dimensions) reads only
	// the runs of its non-zero dimensions, a tenth of the rows' traffic;
	// the dense passes gather whole rows of a few candidates, which this
	// layout would scatter across a block.
	cols [][]uint8
	// sketches[b] holds the high bit plane of slot s's sketch (of each
	// dimension's level, 0..3 for −3, −1, 1, 3) at [i*words:(i+1)*words],
	// and the low planes of the block after all the high ones, so that
	// the first pass, which reads only the high planes (the signs),
	// streams half of the sketches' bytes; the bits past dims are zero.
	sketches [][]uint64
	// scales[s] turns slot s's codes back into its vector. Zero for free
	// slots and slots without a vector, which searches skip.
	scales []float32
	// bitsHi[s] and bitsLo[s] count the set bits of slot s's two planes;
	// step[s] is the sketch's step, the least-squares fit of the levels
	// to the vector.
	bitsHi, bitsLo []int32
	step           []float32
	// mean is the centre the sketches are drawn from (nil: the origin),
	// taken when the index held centredAt vectors; live counts the
	// vectors set since (see centre).
	mean            []float32
	centredAt, live int
	sketchBuf       []float32
	// deferred: a bulk load is under way (deferSketches).
	deferred bool
	// simd: the sketch passes and the int8 pass run on the AVX-512 kernels
	// (popcount_amd64.s) rather than the Go loops, which give the same
	// results.
	simd bool
}

func newVectors(dims int) *vectors {
	return &vectors{dims: dims, words: (dims + 63) / 64, centredAt: exactBelow / centreGrowth, simd: hasPopcountKernels()}
}

// grow makes room for slot s.
func (v *vectors) grow(s int32) {
	for int(s) >= len(v.scales) {
		v.hi = append(v.hi, make([]int8, blockSize*v.dims))
		v.lo = append(v.lo, make([]uint8, blockSize*v.dims))
		col := make([]uint8, blockSize*v.dims)
		for i := range col {
			col[i] = codeBias
		}
		v.cols = append(v.cols, col)
		v.sketches = append(v.sketches, make([]uint64, blockSize*2*v.words))
		v.scales = append(v.scales, make([]float32, blockSize)...)
		v.bitsHi = append(v.bitsHi, make([]int32, blockSize)...)
		v.bitsLo = append(v.bitsLo, make([]int32, blockSize)...)
		v.step = append(v.step, make([]float32, blockSize)...)
	}
}

// codeMax is the largest magnitude of a 16-bit code.
const codeMax = 32767

// quantise writes vec's 16-bit codes to hi and lo and returns their
// scale, or 0 (and writes nothing) for a vector that cannot be stored: of
// another size than hi, zero, or not finite.
func quantise(vec []float32, hi []int8, lo []uint8) float32 {
	if len(vec) != len(hi) || len(lo) != len(hi) {
		return 0
	}
	maxAbs := float32(0)
	for _, x := range vec {
		maxAbs = max(maxAbs, abs32(x))
	}
	if maxAbs == 0 || math.IsNaN(float64(maxAbs)) || math.IsInf(float64(maxAbs), 0) {
		return 0
	}
	inv := codeMax / maxAbs
	for d, x := range vec {
		c := int32(math.Round(float64(x * inv)))
		hi[d], lo[d] = int8(c>>8), uint8(c)
	}
	return maxAbs / codeMax
}

// set stores vec at slot s; a vector of another size (or nil, or zero)
// clears it.
func (v *vectors) set(s int32, vec []float32) {
	v.grow(s)
	v.place(s, quantise(vec, v.hiCode(s), v.loCode(s)), vec)
}

// setCodes stores at slot s the codes and scale quantise made elsewhere
// (a load quantises on every core, outside the index's lock).
func (v *vectors) setCodes(s int32, hi []int8, lo []uint8, scale float32) {
	v.grow(s)
	if scale != 0 && len(hi) == v.dims && len(lo) == v.dims {
		copy(v.hiCode(s), hi)
		copy(v.loCode(s), lo)
	} else {
		scale = 0
	}
	v.place(s, scale, nil)
}

// place completes slot s once its code rows are written: the scale (0
// clears the slot), the dimension-major copy and the sketch of vec (nil:
// of the codes).
func (v *vectors) place(s int32, scale float32, vec []float32) {
	if scale == 0 {
		v.clear(s)
		return
	}
	v.scales[s] = scale
	if v.deferred {
		v.live++
		return
	}
	cols, lane := v.cols[s/blockSize], int(s%blockSize)
	for d, h := range v.hiCode(s) {
		cols[d*blockSize+lane] = uint8(int32(h) + codeBias)
	}
	v.sketchBuf = v.resketchAt(s, vec, v.sketchBuf)
	if v.live++; v.live >= v.centredAt*centreGrowth {
		v.centre()
	}
}

// resketchAt sketches slot s's vector x (nil: its stored codes) relative to
// the centre: levels of ±1 below sketchLevel × the RMS, ±3 above, which
// for Gaussian-like values is the best four-level rounding. buf is working
// memory, returned for reuse.
func (v *vectors) resketchAt(s int32, x []float32, buf []float32) []float32 {
	r := buf[:0]
	if x == nil {
		hi, lo, sc := v.hiCode(s), v.loCode(s), v.scales[s]
		for d := range v.dims {
			r = append(r, float32(int32(hi[d])<<8|int32(lo[d]))*sc)
		}
	} else {
		r = append(r, x...)
	}
	var sumSq float64
	for d := range r {
		if v.mean != nil {
			r[d] -= v.mean[d]
		}
		sumSq += float64(r[d]) * float64(r[d])
	}
	hiPlane, loPlane := v.sketch(s)
	clear(hiPlane)
	clear(loPlane)
	big := float32(sketchLevel * math.Sqrt(sumSq/float64(v.dims)))
	var fit, norm float64
	var nh, nl int32
	for d, x := range r {
		// A zero has no sign; alternating it keeps zeros from adding up
		// to a bias.
		pos, large := x > 0 || x == 0 && d%2 == 0, abs32(x) >= big
		level := 1.0
		if large {
			level = 3
		}
		if !pos {
			level = -level
		}
		fit += level * float64(x)
		norm += level * level
		bit := uint64(1) << (d % 64)
		if pos {
			hiPlane[d/64] |= bit
			nh++
		}
		if pos == large {
			loPlane[d/64] |= bit
			nl++
		}
	}
	v.bitsHi[s], v.bitsLo[s] = nh, nl
	v.step[s] = float32(fit / norm)
	return r
}

// The sketches are of the vectors minus their mean: embeddings share a
// common direction (the hashing embedder's buckets of frequent words, a
// model's bias), which would otherwise take most of the sketch's few
// levels and hide how the vectors differ. The mean is taken again, and
// every sketch redrawn, each time the index has grown centreGrowth-fold
// since the last time, from exactBelow vectors on (below that searches
// are exact): the cost is amortised to a constant per vector.
const centreGrowth = 4

// centre recomputes the mean of the live vectors and redraws every sketch.
func (v *vectors) centre() {
	mean := make([]float64, v.dims)
	live := 0
	for s := range len(v.scales) {
		if v.scales[s] == 0 {
			continue
		}
		live++
		hi, lo, sc := v.hiCode(int32(s)), v.loCode(int32(s)), float64(v.scales[s])
		for d := range v.dims {
			mean[d] += float64(int32(hi[d])<<8|int32(lo[d])) * sc
		}
	}
	v.mean = make([]float32, v.dims)
	for d := range mean {
		v.mean[d] = float32(mean[d] / float64(max(live, 1)))
	}
	// Slots are sketched independently: the blocks are shared out.
	parts := runtime.GOMAXPROCS(0)
	if len(v.scales) < scanParallelMin {
		parts = 1
	}
	parallel(parts, len(v.scales), blockSize, func(_, lo, hi int) {
		var buf []float32
		for s := lo; s < hi; s++ {
			if v.scales[s] != 0 {
				buf = v.resketchAt(int32(s), nil, buf)
			}
		}
	})
	v.live, v.centredAt = live, max(live, exactBelow/centreGrowth)
}

// deferSketches starts a bulk load: set stores the codes' rows only, and
// searches scan them exactly, until endDeferred writes the dimension-major
// copy and sketches every vector around the mean of them all, once, on
// every core. Loading 100k vectors
// one sketch at a time drew each sketch again at every centring (2k, 8k,
// 32k vectors), on one core.
func (v *vectors) deferSketches() { v.deferred = true }

func (v *vectors) endDeferred() {
	if !v.deferred {
		return
	}
	v.deferred = false
	// The dimension-major copy, block by block: one vector's dimensions
	// are a block's length apart, so writing them vector by vector missed
	// the cache on nearly every byte.
	parts := runtime.GOMAXPROCS(0)
	parallel(parts, len(v.hi), 1, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			rows, cols := v.hi[b], v.cols[b]
			for d := range v.dims {
				col := cols[d*blockSize : (d+1)*blockSize]
				for i := range col {
					col[i] = uint8(int32(rows[i*v.dims+d]) + codeBias)
				}
			}
		}
	})
	v.centre()
}

// sketchLevel is where a dimension's sketch level goes from ±1 to ±3, in
// units of the vector's RMS: the optimal four-level quantiser of a
// Gaussian.
const sketchLevel = 0.98

func (v *vectors) clear(s int32) {
	if int(s) >= len(v.scales) {
		return
	}
	clear(v.hiCode(s))
	clear(v.loCode(s))
	cols, lane := v.cols[s/blockSize], int(s%blockSize)
	for d := range v.dims {
		cols[d*blockSize+lane] = codeBias
	}
	hiPlane, loPlane := v.sketch(s)
	clear(hiPlane)
	clear(loPlane)
	v.scales[s], v.bitsHi[s], v.bitsLo[s], v.step[s] = 0, 0, 0, 0
}

func (v *vectors) hiCode(s int32) []int8 {
	i := int(s%blockSize) * v.dims
	return v.hi[s/blockSize][i : i+v.dims : i+v.dims]
}

func (v *vectors) loCode(s int32) []uint8 {
	i := int(s%blockSize) * v.dims
	return v.lo[s/blockSize][i : i+v.dims : i+v.dims]
}

// sketch returns slot s's two bit planes.
func (v *vectors) sketch(s int32) (hi, lo []uint64) {
	w := v.words
	i := int(s%blockSize) * w
	sk := v.sketches[s/blockSize]
	return sk[i : i+w : i+w], sk[blockSize*w+i : blockSize*w+i+w : blockSize*w+i+w]
}

// has reports whether slot s holds a vector.
func (v *vectors) has(s int32) bool { return int(s) < len(v.scales) && v.scales[s] != 0 }

// score is the dot product of q with slot s's vector as stored, within
// about 10⁻⁵ of the float32 one for unit vectors.
func (v *vectors) score(q []float32, s int32) float32 {
	if !v.has(s) || len(q) != v.dims {
		return 0
	}
	return (256*dotHi(q, v.hiCode(s)) + dotLo(q, v.loCode(s))) * v.scales[s]
}

// roughScore is the dot product of the query with slot s's int8 codes,
// the low bytes left out taken as their middle, 128.
func (v *vectors) roughScore(q *query, s int32) float32 {
	return float32(256*dotInt(q.qi, v.hiCode(s))+128*q.qiSum) * q.qiScale * v.scales[s]
}

// roughScoreNext is roughScore, on the kernel where there is one, which
// also prefetches the codes of slot next.
func (v *vectors) roughScoreNext(q *query, s, next int32) float32 {
	if !v.simd || v.dims > codeKernelMaxDims || len(q.qi16) < v.dims+codeGroup {
		return v.roughScore(q, s)
	}
	hi, nx := v.hiCode(s), v.hiCode(next)
	dot := dotCodesAVX512(&q.qi16[0], &hi[0], len(hi), codeTail(len(hi)), &nx[0])
	return float32(256*dot+128*q.qiSum) * q.qiScale * v.scales[s]
}

// codeGroup is how many int8 codes dotCodesAVX512 takes at once. Its
// 32-bit lanes each sum dims/codeGroup products of two at most 32767 × 128:
// up to codeKernelMaxDims they cannot overflow.
const (
	codeGroup         = 32
	codeKernelMaxDims = 8192
)

// codeTail selects the codes of a row of n's last group of codeGroup.
func codeTail(n int) uint64 { return 1<<((n-1)%codeGroup+1) - 1 }

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// queryLevels is the largest magnitude of a quantised query weight in the
// sketch pass: weights run from −7 to 7, stored as 0..14 in four bit
// planes. The sketch's own error (two bits per dimension) dwarfs the
// query's rounding.
const (
	queryLevels = 7
	queryPlanes = 4
)

// sketchQuery is a query prepared for the sketch pass.
type sketchQuery struct {
	// planes[w*4+p] is bit plane p of word w of the biased weights
	// u = weight + 7, the four planes of a word side by side; byPlane has
	// them plane after plane, byPlane[p*words+w], for the vector kernel.
	planes, byPlane []uint64
	// sumU is Σu over the dimensions.
	sumU int64
}

func (v *vectors) prepare(q []float32, buf []uint64) sketchQuery {
	maxAbs := float32(0)
	for _, x := range q {
		maxAbs = max(maxAbs, abs32(x))
	}
	w := v.words
	// Both layouts in one buffer; the kernel reads whole groups of eight
	// words, up to seven past the last plane's end.
	n := 2*queryPlanes*w + kernelGroup
	if cap(buf) < n {
		buf = make([]uint64, n)
	}
	buf = buf[:n]
	clear(buf)
	sq := sketchQuery{planes: buf[: queryPlanes*w : queryPlanes*w], byPlane: buf[queryPlanes*w:]}
	for d, x := range q {
		u := int64(queryLevels)
		if maxAbs > 0 {
			u += int64(math.Round(float64(x / maxAbs * queryLevels)))
		}
		sq.sumU += u
		for p := range queryPlanes {
			if u>>p&1 != 0 {
				sq.planes[d/64*queryPlanes+p] |= 1 << (d % 64)
				sq.byPlane[p*w+d/64] |= 1 << (d % 64)
			}
		}
	}
	return sq
}

// scanParallelMin is the number of slots below which one goroutine
// searches faster than several.
const scanParallelMin = 8192

// Measured by TestVectorRecall (see vectors).
const (
	// exactBelow: indexes this small are rescored entirely.
	exactBelow = 2048
	// The sketch pass keeps a share of the index (its error grows with the
	// number of vectors that come close to the query), never fewer than
	// candidateFloor.
	candidateShare = 100
	candidateFloor = 1024
	// The sign pass keeps a share of the index for the sketch pass, never
	// fewer than signFloor.
	signShare = 3
	signFloor = 4096
	// signKurtosis: the sign pass is taken by queries whose values have a
	// kurtosis below this, Gaussian-like (3) as a model's embeddings are.
	// The sign of a value says little when a few large values carry most
	// of the vector: the local embedder's passages (kurtosis 5–6) lost
	// neighbours by it that the sketch ranks near the top.
	signKurtosis = 4
	// The int8 pass keeps finalPerK × k (at least finalFloor) for the
	// full codes to rank.
	finalPerK  = 8
	finalFloor = 64
	// sparseShare: a query with at most dims/sparseShare non-zero
	// dimensions reads the int8 codes of those instead of the sketches.
	sparseShare = 4
)

// candidates is how many of n slots the sketch pass keeps.
func candidates(n int) int { return max(n/candidateShare, candidateFloor) }

func finalists(k int) int { return max(finalPerK*k, finalFloor) }

// vecScratch is a search's working memory for the query.
type vecScratch struct {
	planes []uint64
	sign   []uint64
	hist   []int32
	bufs   []topBuf
	pass   []*passBuf
	cands  []scored
	fins   []minHeap
	finAll []scored
	sdims  []queryDim
	nzDims []int32
	nzQ    []int32
	qi     []int32
	qi16   []int16
}

// query is a search's query as each pass reads it.
type query struct {
	q []float32
	// qi is q in 16-bit fixed point, q ≈ qi × qiScale, for the int8 pass:
	// integer multiply-adds run several times faster here than converting
	// each code to float32. qiSum is Σqi.
	qi      []int32
	qiScale float32
	qiSum   int64
	// qi16 is qi as int16, padded with codeGroup zeros, for the kernel.
	qi16 []int16
	// sparse queries: the non-zero dimensions and their values in qi.
	sparse bool
	nzDims []int32
	nzQ    []int32
	// sdims, sScale and sSum are the sparse query in sparseMax steps (see
	// sparseScan): q ≈ weight × sScale, sSum = Σ weight.
	sdims  []queryDim
	sScale float32
	sSum   int64
	sketch sketchQuery
	// sign has the bits of the positive dimensions, for the sign pass,
	// which only a Gaussian-like query takes (see signKurtosis).
	sign     []uint64
	gaussian bool
}

// queryIntMax is the largest magnitude of qi: products with int8 codes
// summed over thousands of dimensions stay far inside int64.
const queryIntMax = 32767

func (v *vectors) prepareQuery(q []float32, s *vecScratch) query {
	qq := query{q: q, nzDims: s.nzDims[:0], nzQ: s.nzQ[:0], qi: s.qi[:0]}
	maxAbs := float32(0)
	for _, x := range q {
		maxAbs = max(maxAbs, abs32(x))
	}
	inv := float32(0)
	if maxAbs > 0 {
		inv = queryIntMax / maxAbs
		qq.qiScale = maxAbs / queryIntMax
	}
	for d, x := range q {
		w := int32(math.Round(float64(x * inv)))
		qq.qi = append(qq.qi, w)
		qq.qiSum += int64(w)
		if w != 0 {
			qq.nzDims = append(qq.nzDims, int32(d))
			qq.nzQ = append(qq.nzQ, w)
		}
	}
	s.nzDims, s.nzQ, s.qi = qq.nzDims, qq.nzQ, qq.qi
	qq.qi16 = s.qi16[:0]
	for _, w := range qq.qi {
		qq.qi16 = append(qq.qi16, int16(w))
	}
	for range codeGroup {
		qq.qi16 = append(qq.qi16, 0)
	}
	s.qi16 = qq.qi16
	qq.sparse = len(qq.nzDims)*sparseShare <= v.dims && len(qq.nzDims) <= sparseMaxDims
	if qq.sparse && maxAbs > 0 {
		qq.sdims = s.sdims[:0]
		inv := sparseMax / maxAbs
		for _, d := range qq.nzDims {
			if w := int64(math.Round(float64(q[d] * inv))); w != 0 {
				qq.sdims = append(qq.sdims, queryDim{offset: int(d) * blockSize, weight: w})
				qq.sSum += w
			}
		}
		qq.sScale = maxAbs / sparseMax
		s.sdims = qq.sdims
	}
	if !qq.sparse {
		qq.sketch = v.prepare(q, s.planes)
		s.planes = qq.sketch.planes
		qq.sign = s.sign[:0]
		for range v.words {
			qq.sign = append(qq.sign, 0)
		}
		var m2, m4 float64
		for d, x := range q {
			if x > 0 {
				qq.sign[d/64] |= 1 << (d % 64)
			}
			x2 := float64(x) * float64(x)
			m2 += x2
			m4 += x2 * x2
		}
		s.sign = qq.sign
		qq.gaussian = m4*float64(v.dims) < signKurtosis*m2*m2
	}
	return qq
}

// nearest returns the k slots with the highest dot product with q as
// stored, best first. Slots without a vector are never returned.
func (v *vectors) nearest(q []float32, k int, s *scratch) []scored {
	if k <= 0 || len(q) != v.dims {
		return nil
	}
	n := len(v.scales)
	qq := v.prepareQuery(q, &s.vec)
	parts := min(runtime.GOMAXPROCS(0), 4)
	if n < scanParallelMin {
		parts = 1
	}
	var out minHeap
	switch {
	case n <= exactBelow || v.deferred:
		out = v.exact(qq, k, s.out[:0])
	case qq.sparse:
		out = v.sparseNearest(qq, k, parts, s)
	default:
		out = v.denseNearest(qq, k, parts, s)
	}
	s.out = out
	res := make([]scored, len(out))
	copy(res, out)
	sortScored(res)
	return res
}

// exact rescores every slot with the full codes.
func (v *vectors) exact(q query, k int, out minHeap) minHeap {
	for slot := range len(v.scales) {
		if v.scales[slot] != 0 {
			out.offer(scored{int32(slot), v.score(q.q, int32(slot))}, k)
		}
	}
	return out
}

// sparseNearest splits the index across parts goroutines, each of which
// keeps the finalists of its part by sparseScan; the full codes rank them.
func (v *vectors) sparseNearest(q query, k, parts int, s *scratch) minHeap {
	n := len(v.scales)
	f := finalists(k)
	heaps := s.heaps(parts)
	step := (n + parts - 1) / parts
	run := func(p int) {
		lo, hi := p*step, min((p+1)*step, n)
		if lo < hi {
			heaps[p] = v.sparseScan(q, f, lo, hi, heaps[p])
		}
	}
	if parts == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for p := 1; p < parts; p++ {
			wg.Go(func() { run(p) })
		}
		run(0)
		wg.Wait()
	}
	out := minHeap(s.out[:0])
	for _, h := range heaps {
		for _, x := range h {
			out.offer(scored{x.slot, v.score(q.q, x.slot)}, k)
		}
	}
	return out
}

// denseNearest is the search of a dense query, a cascade of passes, each
// over what the one before kept:
//
//  1. every slot: the Hamming distance between the signs of the query and
//     the sketch's high plane (the signs of the centred vector), one XOR
//     and POPCNT per 64 dimensions; it keeps the slots within a distance
//     that a sample of the index says keeps signShare of it (signLimit);
//  2. those: the sketch estimate, eight AND and POPCNT per 64 dimensions;
//     it keeps candidates(n), selected by a threshold that rises as the
//     kept ones pile up (topBuf) rather than by a heap;
//  3. those: the int8 codes, keeping finalists(k);
//  4. those: the full codes.
//
// Passes 1 and 2 run together, block by block (sketchPass), so that the
// high planes the estimate reads again are still in cache; they and pass 3
// run on parts goroutines that take slots (candidates in pass 3) in chunks
// from a shared counter, so that a goroutine that started late, or lost
// its core, leaves its share to the others and both finish together. What
// each pass keeps does not depend on how the work was split: ties are
// broken by slot, and the limit of pass 1 comes from a fixed sample.
func (v *vectors) denseNearest(q query, k, parts int, s *scratch) minHeap {
	n := len(v.scales)
	vs := &s.vec
	for len(vs.bufs) < parts {
		vs.bufs = append(vs.bufs, topBuf{})
		vs.fins = append(vs.fins, nil)
		vs.pass = append(vs.pass, new(passBuf))
	}
	limit := -1
	if q.gaussian {
		limit = v.signLimit(q.sign, max(n/signShare, signFloor), vs)
	}

	c := candidates(n)
	for p := range parts {
		vs.bufs[p].reset(c)
	}
	const chunk = 2 * blockSize
	parallel(parts, n, chunk, func(p, lo, hi int) { v.sketchPass(&q, lo, hi, limit, &vs.bufs[p], vs.pass[p]) })
	cands := vs.cands[:0]
	for p := range parts {
		cands = append(cands, vs.bufs[p].items...)
	}
	if len(cands) > c {
		selectTop(cands, c)
		cands = cands[:c]
	}
	vs.cands = cands

	f := finalists(k)
	for p := range parts {
		vs.fins[p] = vs.fins[p][:0]
	}
	parallel(parts, len(cands), 256, func(p, lo, hi int) {
		fin := vs.fins[p]
		for i, x := range cands[lo:hi] {
			next := x.slot
			if lo+i+1 < hi {
				next = cands[lo+i+1].slot
			}
			fin.offer(scored{x.slot, v.roughScoreNext(&q, x.slot, next)}, f)
		}
		vs.fins[p] = fin
	})
	fin := minHeap(vs.finAll[:0])
	for p := range parts {
		for _, x := range vs.fins[p] {
			fin.offer(x, f)
		}
	}
	vs.finAll = fin
	out := minHeap(s.out[:0])
	for _, x := range fin {
		out.offer(scored{x.slot, v.score(q.q, x.slot)}, k)
	}
	return out
}

// signSample is about how many slots signLimit reads, in runs of
// signRun neighbours so that the reads stay sequential; spread over the
// whole index, the runs see vectors of every age (and topic).
const (
	signSample = 4096
	signRun    = 64
)

// signLimit is the Hamming distance between the query's signs and the
// sketches' sign planes within which, in a sample of the index, at least
// keep of its n slots lie.
func (v *vectors) signLimit(sign []uint64, keep int, vs *vecScratch) int {
	n := len(v.scales)
	if keep >= n {
		return v.dims
	}
	if cap(vs.hist) < v.dims+1 {
		vs.hist = make([]int32, v.dims+1)
	}
	hist := vs.hist[:v.dims+1]
	clear(hist)
	w := v.words
	sign = sign[:w:w]
	runs := max(1, min(signSample/signRun, n/signRun))
	gap := n / runs
	live := 0
	for r := range runs {
		first := r * gap
		last := min(first+signRun, n)
		for slot := first; slot < last; slot++ {
			if v.scales[slot] == 0 {
				continue
			}
			hiPlane, _ := v.sketch(int32(slot))
			d := 0
			for j, x := range hiPlane[:len(sign)] {
				d += bits.OnesCount64(x ^ sign[j])
			}
			hist[d]++
			live++
		}
	}
	if live == 0 {
		return v.dims
	}
	// The sample's share, rounded up.
	want := (int64(live)*int64(keep) + int64(n) - 1) / int64(n)
	seen := int64(0)
	for d, c := range hist {
		if seen += int64(c); seen >= want {
			return d
		}
	}
	return v.dims
}

// sketchPass offers the live slots of [lo, hi) whose sign distance (see
// denseNearest) is at most limit (all when limit < 0) to buf, by their
// sketch estimate Σ (u_d − 7) × t_d × step for the query's biased weights
// u_d and the sketch's levels t_d: with t = 4h + 2l − 3 for the level's
// bits h and l, and S(X) = Σ u_d over the set bits of plane X, Σ (u − 7) t
// = 4(S(H) − 7|H|) + 2(S(L) − 7|L|) − 3(Σu − 7 dims). pb is the calling
// goroutine's working memory.
func (v *vectors) sketchPass(q *query, lo, hi, limit int, buf *topBuf, pb *passBuf) {
	w := v.words
	base := -3 * (q.sketch.sumU - queryLevels*int64(v.dims))
	for b := lo / blockSize; b*blockSize < hi; b++ {
		sk := v.sketches[b]
		his, los := sk[:blockSize*w:blockSize*w], sk[blockSize*w:2*blockSize*w:2*blockSize*w]
		first, last := max(lo, b*blockSize)-b*blockSize, min(hi, (b+1)*blockSize)-b*blockSize
		// The slots to estimate are listed first, without a branch: with
		// a third of them taken at random, a branch per slot is
		// mispredicted half the time.
		picked := pb.picked[:]
		n := 0
		if limit < 0 {
			for i := first; i < last; i++ {
				picked[n] = int32(i)
				n++
			}
		} else {
			dist := pb.dist[:last-first]
			v.signDistances(his[first*w:last*w], q.sign, dist)
			for i, d := range dist {
				picked[n] = int32(first + i)
				n += b2i(int(d) <= limit)
			}
		}
		dots := pb.dots[:n]
		v.sketchDots(his, los, &q.sketch, picked[:n], dots)
		scales := v.scales[b*blockSize : b*blockSize+blockSize : b*blockSize+blockSize]
		bitsHi := v.bitsHi[b*blockSize : b*blockSize+blockSize : b*blockSize+blockSize]
		bitsLo := v.bitsLo[b*blockSize : b*blockSize+blockSize : b*blockSize+blockSize]
		steps := v.step[b*blockSize : b*blockSize+blockSize : b*blockSize+blockSize]
		for k, pi := range picked[:n] {
			i := int(pi) & (blockSize - 1)
			if scales[i] == 0 {
				continue
			}
			e := dots[k] - 4*queryLevels*int64(bitsHi[i]) - 2*queryLevels*int64(bitsLo[i]) + base
			buf.offer(scored{int32(b*blockSize + i), float32(e) * steps[i]})
		}
	}
}

// passBuf is one goroutine's working memory for a block in sketchPass.
type passBuf struct {
	picked, dist [blockSize]int32
	dots         [blockSize]int64
}

// kernelGroup is how many 64-bit words the vector kernels take at once.
const kernelGroup = 8

// signDistances writes to out the Hamming distance between sign and each
// of the sign planes in rows, one after another.
func (v *vectors) signDistances(rows, sign []uint64, out []int32) {
	w := v.words
	if len(rows) < len(out)*w || len(sign) < w {
		panic("knowledge: signDistances out of range")
	}
	if v.simd && len(out) > 0 {
		signDistancesAVX512(&rows[0], w, len(out), &sign[0], &out[0], tailMask(w))
		return
	}
	signDistancesGo(rows, w, sign, out)
}

func signDistancesGo(rows []uint64, w int, sign []uint64, out []int32) {
	sign = sign[:w:w]
	for i := range out {
		row := rows[i*w : i*w+w : i*w+w][:len(sign)]
		d := 0
		for j, x := range row {
			d += bits.OnesCount64(x ^ sign[j])
		}
		out[i] = int32(d)
	}
}

// sketchDots writes to out, for each slot i of idx (within a block whose
// high and low planes are his and los), 4 S(H) + 2 S(L): Σ_p 2^p (4
// popcount(h & u_p) + 2 popcount(l & u_p)) over the query's planes u_p.
func (v *vectors) sketchDots(his, los []uint64, sq *sketchQuery, idx []int32, out []int64) {
	w := v.words
	if len(his) < blockSize*w || len(los) < blockSize*w || len(out) < len(idx) ||
		len(sq.planes) < queryPlanes*w || len(sq.byPlane) < queryPlanes*w+kernelGroup {
		panic("knowledge: sketchDots out of range")
	}
	for _, i := range idx {
		if uint(i) >= blockSize {
			panic("knowledge: sketchDots slot out of range")
		}
	}
	if v.simd && len(idx) > 0 {
		sketchDotsAVX512(&his[0], &los[0], &sq.byPlane[0], w, &idx[0], len(idx), &out[0], tailMask(w))
		return
	}
	sketchDotsGo(his, los, w, sq.planes, idx, out)
}

func sketchDotsGo(his, los []uint64, w int, planes []uint64, idx []int32, out []int64) {
	planes = planes[: w*queryPlanes : w*queryPlanes]
	out = out[:len(idx)]
	for k, pi := range idx {
		i := int(pi) & (blockSize - 1)
		h := his[i*w : i*w+w : i*w+w]
		l := los[i*w : i*w+w : i*w+w][:len(h)]
		var sh, sl int
		for j, x := range h {
			u := (*[queryPlanes]uint64)(planes[j*queryPlanes:])
			y := l[j]
			sh += bits.OnesCount64(x&u[0]) + bits.OnesCount64(x&u[1])<<1 + bits.OnesCount64(x&u[2])<<2 + bits.OnesCount64(x&u[3])<<3
			sl += bits.OnesCount64(y&u[0]) + bits.OnesCount64(y&u[1])<<1 + bits.OnesCount64(y&u[2])<<2 + bits.OnesCount64(y&u[3])<<3
		}
		out[k] = 4*int64(sh) + 2*int64(sl)
	}
}

// tailMask selects the words of a row's last group of kernelGroup.
func tailMask(w int) uint64 { return 1<<((w-1)%kernelGroup+1) - 1 }

// b2i is 1 for true: the compiler makes it a SETcc, not a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parallel runs fn over [0, n) in chunks taken from a shared counter by
// parts goroutines, the caller's among them; p tells fn which goroutine
// runs it.
func parallel(parts, n, chunk int, fn func(p, lo, hi int)) {
	if parts <= 1 || n <= chunk {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var next atomic.Int64
	work := func(p int) {
		for {
			hi := int(next.Add(int64(chunk)))
			lo := hi - chunk
			if lo >= n {
				return
			}
			fn(p, lo, min(hi, n))
		}
	}
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Go(func() { work(p) })
	}
	work(0)
	wg.Wait()
}

// better orders scored values best first, ties by slot, so that a
// selection does not depend on the order it saw its values in.
func better(a, b scored) bool {
	return a.score > b.score || a.score == b.score && a.slot < b.slot
}

// topBuf keeps the c best scores offered, or more: it takes whatever beats
// its threshold and, when it holds 2c, keeps the c best and raises the
// threshold to the worst of them. Most offers are one comparison; a heap
// would sift on each of the thousands that get in.
type topBuf struct {
	items []scored
	c     int
	full  bool
	thr   scored
}

func (t *topBuf) reset(c int) {
	t.items, t.c, t.full = t.items[:0], c, false
}

func (t *topBuf) offer(s scored) {
	if t.full && !better(s, t.thr) {
		return
	}
	t.items = append(t.items, s)
	if len(t.items) >= 2*t.c {
		selectTop(t.items, t.c)
		t.items = t.items[:t.c]
		t.thr, t.full = t.items[t.c-1], true
	}
}

// selectTop reorders list so that its first c are its c best (better),
// the c-th best at c−1.
func selectTop(list []scored, c int) {
	lo, hi := 0, len(list)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		if better(list[mid], list[lo]) {
			list[mid], list[lo] = list[lo], list[mid]
		}
		if better(list[hi], list[lo]) {
			list[hi], list[lo] = list[lo], list[hi]
		}
		if better(list[hi], list[mid]) {
			list[hi], list[mid] = list[mid], list[hi]
		}
		pivot := list[mid]
		i, j := lo, hi
		for i <= j {
			for better(list[i], pivot) {
				i++
			}
			for better(pivot, list[j]) {
				j--
			}
			if i <= j {
				list[i], list[j] = list[j], list[i]
				i++
				j--
			}
		}
		switch {
		case c-1 <= j:
			hi = j
		case c-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// codeBias is added to the high bytes in cols to store them unsigned.
const codeBias = 128

// sparseMax is the largest quantised weight of a sparse query: twelve bits
// keep the query's own rounding small, while a sum of sparseMaxDims
// products of a weight and a biased code (255) stays inside the 32-bit
// lanes of sparseScan.
const (
	sparseMax     = 2047
	sparseMaxDims = 2048
)

// queryDim is one non-zero dimension of a sparse query.
type queryDim struct {
	offset int // d × blockSize: where the dimension starts in a block
	weight int64
}

// sparseScan offers the live slots of [lo, hi) to fin, the f best by the
// dot product of the query with their int8 codes (the low bytes taken as
// their middle, 128).
//
// It multiplies eight codes at a time: one 64-bit load holds the biased
// codes of eight neighbouring slots for one dimension, and four masks
// spread them into the two 32-bit lanes of four words, so one 64-bit
// multiplication by the query weight does two slots' work. The lanes are
// the two halves of one integer, lo + hi×2³², so sums of signed products
// stay exact as long as each lane's total fits in 32 bits, which
// sparseMax and sparseMaxDims ensure. Summing over the query's dimensions
// in the inner loop keeps the four words in registers.
func (v *vectors) sparseScan(q query, f, lo, hi int, fin minHeap) minHeap {
	const lanes = 0x000000FF000000FF
	// With c = biased code − 128: Σw×hi×256 + Σw×128 = 256×(a − 128×sSum) + 128×sSum.
	bias := 256*codeBias*q.sSum - codeBias*q.sSum
	var acc [8]int64
	for b := lo / blockSize; b*blockSize < hi; b++ {
		block := v.cols[b]
		first, last := max(lo, b*blockSize), min(hi, (b+1)*blockSize)
		for g := (first - b*blockSize) &^ 7; b*blockSize+g < last; g += 8 {
			var a0, a1, a2, a3 int64
			for _, qd := range q.sdims {
				x := binary.LittleEndian.Uint64(block[qd.offset+g:])
				w := qd.weight
				a0 += int64(x&lanes) * w
				a1 += int64(x>>8&lanes) * w
				a2 += int64(x>>16&lanes) * w
				a3 += int64(x>>24&lanes) * w
			}
			acc[0], acc[4] = splitLanes(a0)
			acc[1], acc[5] = splitLanes(a1)
			acc[2], acc[6] = splitLanes(a2)
			acc[3], acc[7] = splitLanes(a3)
			for j, a := range acc {
				slot := b*blockSize + g + j
				sc := v.scales[slot]
				if sc == 0 || slot < first || slot >= last {
					continue
				}
				score := float32(256*a-bias) * q.sScale * sc
				if len(fin) < f || score > fin[0].score {
					fin.offer(scored{int32(slot), score}, f)
				}
			}
		}
	}
	return fin
}

// splitLanes returns the two signed 32-bit lanes of x = lo + hi×2³².
func splitLanes(x int64) (lo, hi int64) {
	lo = int64(int32(x))
	return lo, (x - lo) >> 32
}

// dotHi is the dot product of a float32 query with int8 codes, unrolled
// by eight with independent accumulators so that the additions pipeline.
func dotHi(a []float32, b []int8) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += aa[0] * float32(bb[0])
		s1 += aa[1] * float32(bb[1])
		s2 += aa[2] * float32(bb[2])
		s3 += aa[3] * float32(bb[3])
		s4 += aa[4] * float32(bb[4])
		s5 += aa[5] * float32(bb[5])
		s6 += aa[6] * float32(bb[6])
		s7 += aa[7] * float32(bb[7])
	}
	for ; i < len(a); i++ {
		s0 += a[i] * float32(b[i])
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}

// dotInt is the dot product of a quantised query with int8 codes.
func dotInt(a []int32, b []int8) int64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa, bb := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += int64(aa[0] * int32(bb[0]))
		s1 += int64(aa[1] * int32(bb[1]))
		s2 += int64(aa[2] * int32(bb[2]))
		s3 += int64(aa[3] * int32(bb[3]))
	}
	for ; i < len(a); i++ {
		s0 += int64(a[i] * int32(b[i]))
	}
	return (s0 + s1) + (s2 + s3)
}

// dotLo is dotHi for the low bytes.
func dotLo(a []float32, b []uint8) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa, bb := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += aa[0] * float32(bb[0])
		s1 += aa[1] * float32(bb[1])
		s2 += aa[2] * float32(bb[2])
		s3 += aa[3] * float32(bb[3])
	}
	for ; i < len(a); i++ {
		s0 += a[i] * float32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}
