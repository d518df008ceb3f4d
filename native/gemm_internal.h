// Internal GEMM building blocks shared by gemm.cc and the convolution kernels.
//
// Packed layouts (what the register-tiled microkernels read):
//   A panel: MR rows of op(A), stored k-major: panel[k*MR + r]; rows past M are zero.
//   B sliver: NR columns of op(B), stored k-major: sliver[k*NR + c]; columns past N are zero.
// A packed matrix is a sequence of panels (slivers) with a fixed stride between them, so a
// K-block [k0, k0+kc) of panel i starts at base + i*stride + k0*MR.
// A microkernel computes one MR x NR tile: C = alpha * sum_k a[k] b[k]^T (+ C when accumulate),
// then, act >= 0, the fused activation of fused_act.h (same selects, same values) on the tile
// while it is in registers.
// The per-element summation order is fixed by K and the K-blocking alone (never by threads).
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

using GemmMicroFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                             int accumulate, int act, float act_alpha);

// Interleaves rows: dst[k*R + r] = rows[r][k] for r < nrows, 0 for nrows <= r < R, k < kc
// (R = MR for A panels, NR for B slivers). Packing op(A) by rows and op(B) by columns is a
// transpose; ISAs with vector shuffles provide a blocked version.
using GemmPackRowsFn = void (*)(const float* const* rows, int nrows, int kc, float* dst);

// A partial tile: the first mb rows (1..mr) and nb columns (1..nr) of what GemmMicroFn computes
// (the same sums, the same bits), written straight to C: the rows past mb are not computed and no
// column past nb is touched.
using GemmEdgeFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                            int accumulate, int act, float act_alpha, int mb, int nb);

// A tile of mb rows and nb columns whose B is read where it lies: row k of op(B) at b + k*ldb
// (columns past nb never read) for k < kc, then, ones, a row of ones (the bias row of a packed
// sliver); alpha 1. The same products in the same order as packing those rows into a sliver and
// running the tile: the same bits.
using GemmDirectFn = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb, bool ones, float* c,
                              int64_t ldc, int accumulate, int act, float act_alpha, int mb, int nb);

// ns whole slivers of kc rows of B as they lie: sliver s at dst + s*sstride, dst[k*NR + c] =
// src[k*ldb + s*NR + c] for c < NR (the copy gemm_pack_b makes of full slivers, in each build's
// widest moves; every microkernel has one). Row by row, each row's slivers in turn: B is read
// in order, which measured 1.35-1.45x faster than sliver by sliver on operands out of cache (384
// rows of 40x40 maps, 128 of 80x80), the same on those in L2.
using GemmCopyRowsFn = void (*)(const float* src, int64_t ldb, int kc, int ns, float* dst, int64_t sstride);

// A register-only loop of independent FMA chains in the build's widest vectors, `iters` rounds
// (each round one FMA per chain): the machine's FMA rate without memory, for the benchmarks'
// share-of-peak figures. Returns a value of the sums so that nothing is optimised away.
using GemmFmaChainsFn = float (*)(int64_t iters);

struct GemmMicro {
  int mr, nr;
  GemmMicroFn fn;
  const char* isa;
  GemmPackRowsFn pack_a_rows = nullptr;  // R = mr; null: the portable loop
  GemmPackRowsFn pack_b_rows = nullptr;  // R = nr
  GemmEdgeFn edge = nullptr;  // null: partial tiles go through a full tile in scratch
  GemmDirectFn direct = nullptr;  // null: B is always packed (gemm_direct declines)
  GemmCopyRowsFn copy_b = nullptr;
  GemmFmaChainsFn fma_chains = nullptr;  // null: no FMA instructions in this build
  int fma_lanes = 0, fma_chain_count = 0;  // fp32 lanes per vector and chains of fma_chains
};

// The FMA rate of gemm_micro()'s build in GFLOP/s (2 flops per lane per FMA), measured with
// fma_chains for about `seconds` (best of three runs): on the calling thread alone (one_thread)
// and on every pool thread at once (all_threads). False (outputs untouched) where the build has no
// FMA loop (the portable one).
bool gemm_fma_rate(double seconds, double& one_thread, double& all_threads);

const GemmMicro& gemm_micro_generic();
#if defined(__x86_64__)
const GemmMicro& gemm_micro_avx2();
const GemmMicro& gemm_micro_avx512();
#endif
// The microkernel chosen for this CPU (honours SLIMPRUNE_ISA through cpu.h).
const GemmMicro& gemm_micro();

constexpr int kGemmKC = 256;  // K-block: an A panel + a B sliver stay in L1
constexpr int kGemmMaxMR = 16, kGemmMaxNR = 32;

// Split K into equal blocks of at most kGemmKC (depends on K only).
inline int gemm_k_blocks(int K) { return K <= 0 ? 0 : (K + kGemmKC - 1) / kGemmKC; }
inline int gemm_k_begin(int K, int nb, int i) { return (int)((int64_t)K * i / nb); }

// Pack rows [i0, i0+m) x cols [k0, k0+kc) of op(A) into ceil(m/MR) panels, panel stride
// `pstride` floats (>= kc*MR). op(A)[i][k] = trans ? A[k*lda + i] : A[i*lda + k].
void gemm_pack_a(const GemmMicro& uk, bool trans, const float* A, int64_t lda, int i0, int m, int k0, int kc,
                 float* dst, int64_t pstride);
// Pack rows [k0, k0+kc) x cols [j0, j0+n) of op(B) into ceil(n/NR) slivers, sliver stride
// `sstride`. op(B)[k][j] = trans ? B[j*ldb + k] : B[k*ldb + j].
void gemm_pack_b(const GemmMicro& uk, bool trans, const float* B, int64_t ldb, int k0, int kc, int j0, int n,
                 float* dst, int64_t sstride);

// One A panel (B sliver) from up to MR (NR) row pointers, each read over [0, kc).
void gemm_pack_rows_a(const GemmMicro& uk, const float* const* rows, int nrows, int kc, float* dst);
void gemm_pack_rows_b(const GemmMicro& uk, const float* const* rows, int nrows, int kc, float* dst);

// C[m x n] (ldc) = alpha * Apacked * Bpacked (+ C when accumulate), single thread.
// Ap: panels with stride aps, already offset to the K-block start; Bp likewise (stride bss).
// Loops: j-sliver outer (B sliver stays in L1), i-panel inner; edge tiles go through a buffer.
// act >= 0: the fused activation applied to each finished tile (the block's K is the last one).
// stream_a: A is read once from memory (a filter out of cache, few columns per panel), so the next
// panel is prefetched into L2 while this one's tiles run.
void gemm_macro(const GemmMicro& uk, int m, int n, int kc, const float* Ap, int64_t aps, const float* Bp,
                int64_t bss, float* C, int64_t ldc, float alpha, bool accumulate, int act = -1, float act_alpha = 0.f,
                bool stream_a = false);

// Full-K product of pre-packed operands (panels/slivers packed over all K with strides
// aps >= K*MR, bss >= K*NR): blocks K by gemm_k_blocks and M by an L2-sized MC.
// act >= 0: the fused activation, applied with the last K-block. stream_a: as gemm_macro's.
void gemm_packed(const GemmMicro& uk, int m, int n, int K, const float* Ap, int64_t aps, const float* Bp,
                 int64_t bss, float* C, int64_t ldc, float alpha, bool accumulate, int act = -1, float act_alpha = 0.f,
                 bool stream_a = false);

// One K-block of a product whose B is not packed: C[m x n] (ldc) = Ap (panels, stride aps, kc
// rows, the bias column after them when ones) * B (row k of op(B) at B + k*ldb, then a row of
// ones when ones) (+ C when accumulate), act as gemm_macro's. The tiles, sums and bits of packing
// B (gemm_pack_b plus fill_bias_row) and running gemm_macro, without the pack: for operands read
// once per panel sweep, such as a pointwise layer's input. False, doing nothing, when the CPU's
// microkernel has no direct form.
bool gemm_direct(const GemmMicro& uk, int m, int n, int kc, bool ones, const float* Ap, int64_t aps, const float* B,
                 int64_t ldb, float* C, int64_t ldc, bool accumulate, int act = -1, float act_alpha = 0.f);

// Single-threaded sgemm (beta 0 or 1 only) for use inside parallel tasks.
void sgemm_serial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int64_t lda,
                  const float* B, int64_t ldb, bool accumulate, float* C, int64_t ldc);

// A growable 64-byte aligned float buffer (thread_local instances serve as scratch).
class AlignedBuf {
 public:
  AlignedBuf() = default;
  AlignedBuf(const AlignedBuf&) = delete;
  AlignedBuf& operator=(const AlignedBuf&) = delete;
  ~AlignedBuf();
  float* get(size_t n);  // at least n floats; contents unspecified
  void release_if_over(size_t n);  // free when holding more than n floats
 private:
  float* p_ = nullptr;
  size_t n_ = 0;
};

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// A stride of at least `floats` that is an odd number of 64-byte lines: blocks read or written
// together (B slivers packed row by row, Winograd's position planes) then fall in different sets
// of the L1, where a multiple of 4 KiB would put them all in one.
inline int64_t odd_line_stride(int64_t floats) {
  const int64_t r = round_up(floats, 16);
  return r / 16 % 2 ? r : r + 16;
}

}  // namespace sp
