// AVX2+FMA GEMM microkernel: a 6 x 16 register tile (12 ymm accumulators, 2 B vectors, 1
// broadcast), the classic shape for 16 ymm registers and two FMA pipes with 4-5 cycle latency.
// Tile: C[r][0..16) = alpha * sum_k a[k*6 + r] * b[k*16 + 0..16) (+ C). Compiled with -mavx2
// -mfma (CMakeLists.txt) and only called after cpu_has_avx2_fma(); empty off x86-64. Its packs by
// rows are gemm_pack_avx.h's.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fused_act_simd.h"
#include "gemm_internal.h"
#include "gemm_pack_avx.h"
#include "kernels.h"

namespace sp {
namespace {

constexpr int MR = 6, NR = 16;

// The first R rows (R = MR for a whole tile) and nb columns of the tile: 2*R ymm accumulators
// (12 of the 16 registers for a whole tile), 2 B vectors, 1 broadcast. Full: all NR columns
// (plain loads and stores), else vmaskmov past nb (the edge tiles of C, with the same products and
// epilogue lane by lane). Direct: B is read where it lies, row k at b + k*ldb (columns past nb
// never read), and, ones, a last row of ones follows the kc rows (the bias row a packed sliver
// carries): the same products in the same order as the packed sliver's.
template <int R, bool Full, bool Direct = false>
inline void micro_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                       int act, float act_alpha, int nb, int64_t ldb = NR, bool ones = false) {
  const int64_t bstep = Direct ? ldb : NR;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb - 8), lane);
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  if (Full)
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {  // 64 bytes span 2 lines unless they start on one
      _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch((const char*)(c + r * ldc + 15), _MM_HINT_T0);
    }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = Direct && !Full ? _mm256_maskload_ps(b, m0) : _mm256_loadu_ps(b);
    const __m256 b1 = Direct && !Full ? _mm256_maskload_ps(b + 8, m1) : _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += bstep;
  }
  if (Direct && ones) {
    const __m256 one = _mm256_set1_ps(1.f);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, one, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, one, acc[r][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vact = _mm256_set1_ps(act_alpha);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(acc[r][0], va), x1 = _mm256_mul_ps(acc[r][1], va);
    if (accumulate) {
      x0 = _mm256_add_ps(Full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0), x0);
      x1 = _mm256_add_ps(Full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1), x1);
    }
    if (act >= 0) {
      x0 = act8(x0, act, vact);
      x1 = act8(x1, act, vact);
    }
    if (Full) {
      _mm256_storeu_ps(cr, x0);
      _mm256_storeu_ps(cr + 8, x1);
    } else {
      _mm256_maskstore_ps(cr, m0, x0);
      _mm256_maskstore_ps(cr + 8, m1, x1);
    }
  }
}

// The first R rows and nb <= 8 columns of a tile: the first 8-lane vector only (the second half
// of the tile is neither computed nor touched); the same products and epilogue as micro_tile's
// first vector, so the same bits. Direct and ones as for micro_tile.
template <int R, bool Direct = false>
inline void micro_tile_half(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                            int accumulate, int act, float act_alpha, int nb, int64_t ldb = NR, bool ones = false) {
  const int64_t bstep = Direct ? ldb : NR;
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 acc[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = Direct ? _mm256_maskload_ps(b, m0) : _mm256_loadu_ps(b);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), b0, acc[r]);
    a += MR;
    b += bstep;
  }
  if (Direct && ones) {
    const __m256 one = _mm256_set1_ps(1.f);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), one, acc[r]);
  }
  const __m256 va = _mm256_set1_ps(alpha), vact = _mm256_set1_ps(act_alpha);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(acc[r], va);
    if (accumulate) x0 = _mm256_add_ps(_mm256_maskload_ps(cr, m0), x0);
    if (act >= 0) x0 = act8(x0, act, vact);
    _mm256_maskstore_ps(cr, m0, x0);
  }
}

void micro_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                int act, float act_alpha) {
  micro_tile<MR, true>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, NR);
}

// A tile of mb rows and nb columns: the whole-tile code, the first vector only when nb <= 8, else
// both vectors masked past nb; Direct and ones as for micro_tile.
template <bool Direct>
void any_tile(int64_t kc, const float* a, const float* b, int64_t ldb, bool ones, float* c, int64_t ldc, float alpha,
              int accumulate, int act, float act_alpha, int mb, int nb) {
  if (mb == MR && nb == NR)
    return micro_tile<MR, true, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, NR, ldb, ones);
  switch (nb <= 8 ? mb : mb + MR) {
#define SP_TILE_CASE(R)                                                                                       \
  case R:                                                                                                     \
    return micro_tile_half<R, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb, ldb, ones);   \
  case R + MR:                                                                                                \
    return micro_tile<R, false, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb, ldb, ones);
    SP_TILE_CASE(1) SP_TILE_CASE(2) SP_TILE_CASE(3) SP_TILE_CASE(4) SP_TILE_CASE(5) SP_TILE_CASE(6)
#undef SP_TILE_CASE
    default:
      break;
  }
}

void edge_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate, int act,
               float act_alpha, int mb, int nb) {
  any_tile<false>(kc, a, b, NR, false, c, ldc, alpha, accumulate, act, act_alpha, mb, nb);
}

// A tile with B read in place (GemmDirectFn).
void direct_tile(int64_t kc, const float* a, const float* b, int64_t ldb, bool ones, float* c, int64_t ldc,
                 int accumulate, int act, float act_alpha, int mb, int nb) {
  any_tile<true>(kc, a, b, ldb, ones, c, ldc, 1.f, accumulate, act, act_alpha, mb, nb);
}

void pack_a_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows_avx<MR>(rows, nrows, kc, dst); }
void pack_b_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows_avx<NR>(rows, nrows, kc, dst); }
void copy_b(const float* src, int64_t ldb, int kc, int ns, float* dst, int64_t sstride) {
  for (int k = 0; k < kc; ++k, src += ldb, dst += NR) {
    if (k + 4 < kc) prefetch_row(src + 4 * ldb, ns * NR);
    const float* s = src;
    float* d = dst;
    for (int j = 0; j < ns; ++j, s += NR, d += sstride) {
      _mm256_storeu_ps(d, _mm256_loadu_ps(s));
      _mm256_storeu_ps(d + 8, _mm256_loadu_ps(s + 8));
    }
  }
}

// gemm_fma_rate's loop: 12 chains of __m256 (gemm_pack_avx.h).
float fma_chains(int64_t iters) {
  return fma_chains_loop<12, __m256>(
      iters, [](float v) { return _mm256_set1_ps(v); },
      [](__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); },
      [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); });
}

}  // namespace

const GemmMicro& gemm_micro_avx2() {
  static const GemmMicro k{MR,         NR,          micro_6x16, "avx2",     pack_a_rows, pack_b_rows,
                           edge_tile,  direct_tile, copy_b,     fma_chains, 8,           12};
  return k;
}

}  // namespace sp
#endif
