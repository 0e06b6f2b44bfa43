package knowledge

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestVectorKernelsMatchTheGoLoops(t *testing.T) {
	// The AVX-512 kernels must give exactly what the Go loops give, for
	// every row width: whole groups of eight words, a masked tail, both.
	if !hasPopcountKernels() {
		t.Skip("no AVX-512 VPOPCNTQ on this CPU")
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, dims := range []int{1, 63, 64, 200, 256, 384, 511, 512, 600, 768, 1000, 1536, 3072} {
		v := newVectors(dims)
		w := v.words
		his, los := make([]uint64, blockSize*w), make([]uint64, blockSize*w)
		for i := range his {
			his[i], los[i] = r.Uint64(), r.Uint64()
		}
		q := make([]float32, dims)
		for d := range q {
			q[d] = float32(r.NormFloat64())
		}
		sq := v.prepare(q, nil)
		sign := make([]uint64, w)
		for i := range sign {
			sign[i] = r.Uint64()
		}
		idx := []int32{0, 5, blockSize - 1, 17, 17, 300, 2}
		for _, n := range []int{1, 2, 7, blockSize} {
			var got, want [blockSize]int32
			signDistancesAVX512(&his[0], w, n, &sign[0], &got[0], tailMask(w))
			signDistancesGo(his, w, sign, want[:n])
			if got != want {
				t.Fatalf("%d dims, %d rows: sign distances %v, want %v", dims, n, got[:n], want[:n])
			}
		}
		got, want := make([]int64, len(idx)), make([]int64, len(idx))
		sketchDotsAVX512(&his[0], &los[0], &sq.byPlane[0], w, &idx[0], len(idx), &got[0], tailMask(w))
		sketchDotsGo(his, los, w, sq.planes, idx, want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d dims: sketch dots %v, want %v", dims, got, want)
		}

		codes := make([]int8, 3*dims)
		for i := range codes {
			codes[i] = int8(r.IntN(256) - 128)
		}
		var qq query
		vs := &vecScratch{}
		qq = v.prepareQuery(q, vs)
		for row := range 3 {
			c := codes[row*dims : (row+1)*dims]
			got := dotCodesAVX512(&qq.qi16[0], &c[0], dims, codeTail(dims), &codes[0])
			if want := dotInt(qq.qi, c); got != want {
				t.Fatalf("%d dims row %d: code dot %d, want %d", dims, row, got, want)
			}
		}
	}
}

func TestVectorSearchIsTheSameWithoutTheKernels(t *testing.T) {
	// The Go loops are what other CPUs run: a search must return the same
	// slots and scores either way.
	if !hasPopcountKernels() {
		t.Skip("no AVX-512 VPOPCNTQ on this CPU")
	}
	for _, dims := range []int{256, 1536} {
		set := uniformSet(51, 20_000, dims, 20)
		v := newVectors(dims)
		for i := range set.len() {
			v.set(int32(i), set.row(i))
		}
		s := &scratch{}
		for _, q := range set.queries {
			v.simd = true
			with := fmt.Sprint(v.nearest(q, 10, s))
			v.simd = false
			without := fmt.Sprint(v.nearest(q, 10, s))
			if with != without {
				t.Fatalf("%d dims: with the kernels %s\nwithout %s", dims, with, without)
			}
		}
	}
}
