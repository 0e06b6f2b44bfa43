//go:build amd64 && !purego

#include "textflag.h"

// func signDistancesAVX512(rows *uint64, w, n int, sign *uint64, out *int32, tail uint64)
TEXT ·signDistancesAVX512(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), SI
	MOVQ w+8(FP), R9
	MOVQ n+16(FP), R11
	MOVQ sign+24(FP), R8
	MOVQ out+32(FP), R12
	MOVQ tail+40(FP), AX
	KMOVW AX, K1
	MOVQ R9, R14
	DECQ R14
	SHRQ $3, R14 // full groups of 8 words before the last, masked one

	// The last group of the sign, masked, stays in Z7.
	MOVQ R14, AX
	SHLQ $6, AX
	VMOVDQU64.Z (R8)(AX*1), K1, Z7

sdrow:
	TESTQ R11, R11
	JZ sddone
	VPXORQ Z0, Z0, Z0
	MOVQ R8, DX
	MOVQ R14, AX

sdgroup:
	TESTQ AX, AX
	JZ sdtail
	VMOVDQU64 (SI), Z1
	VPXORQ (DX), Z1, Z1
	VPOPCNTQ Z1, Z1
	VPADDQ Z1, Z0, Z0
	ADDQ $64, SI
	ADDQ $64, DX
	DECQ AX
	JMP sdgroup

sdtail:
	VMOVDQU64.Z (SI), K1, Z1
	VPXORQ Z7, Z1, Z1
	VPOPCNTQ Z1, Z1
	VPADDQ Z1, Z0, Z0
	// The rest of the row after the tail group.
	MOVQ R9, AX
	ANDQ $7, AX
	JNZ sdpartial
	ADDQ $64, SI
	JMP sdsum

sdpartial:
	LEAQ (SI)(AX*8), SI

sdsum:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDQ Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	MOVL AX, (R12)
	ADDQ $4, R12
	DECQ R11
	JMP sdrow

sddone:
	VZEROUPPER
	RET

// func sketchDotsAVX512(his, los, planes *uint64, w int, idx *int32, n int, out *int64, tail uint64)
TEXT ·sketchDotsAVX512(SB), NOSPLIT, $0-64
	MOVQ his+0(FP), SI
	MOVQ los+8(FP), DI
	MOVQ planes+16(FP), R8
	MOVQ w+24(FP), R9
	MOVQ idx+32(FP), R10
	MOVQ n+40(FP), R11
	MOVQ out+48(FP), R12
	MOVQ tail+56(FP), AX
	KMOVW AX, K1
	MOVQ R9, R13
	SHLQ $3, R13 // bytes per row, and between the query's planes
	MOVQ R9, R14
	DECQ R14
	SHRQ $3, R14 // full groups before the last, masked one
	LEAQ (R13)(R13*2), R9 // three planes' bytes

sdrow:
	TESTQ R11, R11
	JZ sddone
	MOVLQSX (R10), AX
	IMULQ R13, AX
	LEAQ (SI)(AX*1), CX
	LEAQ (DI)(AX*1), DX
	// The slots are in no order the hardware would guess: each group
	// prefetches the same group of the slot two ahead (or this one's, at
	// the end), whose rows BX points into.
	MOVQ R10, BX
	CMPQ R11, $2
	JLE sdahead
	ADDQ $8, BX

sdahead:
	MOVLQSX (BX), BX
	IMULQ R13, BX
	MOVQ R8, R15
	VPXORQ Z0, Z0, Z0
	MOVQ R14, AX

sdgroup:
	TESTQ AX, AX
	JZ sdtail
	VMOVDQU64 (CX), Z1
	VMOVDQU64 (DX), Z2
	JMP sdplanes

sdtail:
	VMOVDQU64.Z (CX), K1, Z1
	VMOVDQU64.Z (DX), K1, Z2

sdplanes:
	PREFETCHT0 (SI)(BX*1)
	PREFETCHT0 (DI)(BX*1)
	ADDQ $64, BX

	// Σ_p 2^p × (4 popcount(h & u_p) + 2 popcount(l & u_p)).
	VMOVDQU64 (R15), Z3
	VPANDQ Z1, Z3, Z4
	VPANDQ Z2, Z3, Z5
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPADDQ Z4, Z4, Z4
	VPADDQ Z5, Z4, Z6 // weight 2

	VMOVDQU64 (R15)(R13*1), Z3
	VPANDQ Z1, Z3, Z4
	VPANDQ Z2, Z3, Z5
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPADDQ Z4, Z4, Z4
	VPADDQ Z5, Z4, Z4
	VPSLLQ $1, Z4, Z4
	VPADDQ Z4, Z6, Z6

	VMOVDQU64 (R15)(R13*2), Z3
	VPANDQ Z1, Z3, Z4
	VPANDQ Z2, Z3, Z5
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPADDQ Z4, Z4, Z4
	VPADDQ Z5, Z4, Z4
	VPSLLQ $2, Z4, Z4
	VPADDQ Z4, Z6, Z6

	VMOVDQU64 (R15)(R9*1), Z3
	VPANDQ Z1, Z3, Z4
	VPANDQ Z2, Z3, Z5
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPADDQ Z4, Z4, Z4
	VPADDQ Z5, Z4, Z4
	VPSLLQ $3, Z4, Z4
	VPADDQ Z4, Z6, Z6

	VPSLLQ $1, Z6, Z6
	VPADDQ Z6, Z0, Z0
	ADDQ $64, CX
	ADDQ $64, DX
	ADDQ $64, R15
	TESTQ AX, AX
	JZ sdsum
	DECQ AX
	JMP sdgroup

sdsum:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDQ Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	MOVQ AX, (R12)
	ADDQ $4, R10
	ADDQ $8, R12
	DECQ R11
	JMP sdrow

sddone:
	VZEROUPPER
	RET

// func dotCodesAVX512(q *int16, code *int8, n int, tail uint64, next *int8) int64
TEXT ·dotCodesAVX512(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), SI
	MOVQ code+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ tail+24(FP), AX
	KMOVD AX, K1
	MOVQ next+32(FP), DX
	DECQ CX
	SHRQ $5, CX // full groups of 32 codes before the last, masked one
	VPXORD Z0, Z0, Z0

dcgroup:
	TESTQ CX, CX
	JZ dctail
	// The next candidate's row is prefetched, as the candidates come in
	// no order the hardware would guess.
	PREFETCHT0 (DX)
	VPMOVSXBW (DI), Z1
	VPMADDWD (SI), Z1, Z1
	VPADDD Z1, Z0, Z0
	ADDQ $32, DI
	ADDQ $64, SI
	ADDQ $32, DX
	DECQ CX
	JMP dcgroup

dctail:
	PREFETCHT0 (DX)
	VPMOVSXBW.Z (DI), K1, Z1
	VPMADDWD (SI), Z1, Z1
	VPADDD Z1, Z0, Z0

	VEXTRACTI64X4 $1, Z0, Y1
	VPMOVSXDQ Y0, Z2
	VPMOVSXDQ Y1, Z3
	VPADDQ Z3, Z2, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDQ Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	MOVQ AX, ret+40(FP)
	VZEROUPPER
	RET
