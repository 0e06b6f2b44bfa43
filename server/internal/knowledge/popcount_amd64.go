//go:build amd64 && !purego

package knowledge

import "golang.org/x/sys/cpu"

// hasPopcountKernels reports whether the CPU and OS run the AVX-512
// kernels (and dotCodesAVX512 beside them): eight 64-bit popcounts per instruction (VPOPCNTQ), where Go's
// bits.OnesCount64 does one, behind a feature check, under the default
// GOAMD64=v1.
func hasPopcountKernels() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VPOPCNTDQ
}

// signDistancesAVX512 is signDistancesGo for n rows of w words at rows;
// tail is tailMask(w).
//
//go:noescape
func signDistancesAVX512(rows *uint64, w, n int, sign *uint64, out *int32, tail uint64)

// sketchDotsAVX512 is sketchDotsGo for the n slots at idx, with the query's
// planes plane after plane (sketchQuery.byPlane, padded by kernelGroup).
//
//go:noescape
func sketchDotsAVX512(his, los, planes *uint64, w int, idx *int32, n int, out *int64, tail uint64)

// dotCodesAVX512 is dotInt for the n codes at code with the query as
// int16 (query.qi16, padded by codeGroup); tail selects the codes of the
// last group of codeGroup. next is prefetched: the following candidate's
// codes.
//
//go:noescape
func dotCodesAVX512(q *int16, code *int8, n int, tail uint64, next *int8) int64
