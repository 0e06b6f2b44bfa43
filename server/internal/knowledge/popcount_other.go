//go:build !amd64 || purego

package knowledge

func hasPopcountKernels() bool { return false }

func signDistancesAVX512(rows *uint64, w, n int, sign *uint64, out *int32, tail uint64) {
	panic("knowledge: no vector kernels on this platform")
}

func sketchDotsAVX512(his, los, planes *uint64, w int, idx *int32, n int, out *int64, tail uint64) {
	panic("knowledge: no vector kernels on this platform")
}

func dotCodesAVX512(q *int16, code *int8, n int, tail uint64, next *int8) int64 {
	panic("knowledge: no vector kernels on this platform")
}
