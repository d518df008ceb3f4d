// AVX-512F GEMM microkernel: a 12 x 32 register tile (24 zmm accumulators, 2 B vectors, 1
// broadcast out of 32 registers; 14 rows made GCC spill a B vector), enough independent FMAs to
// cover two 512-bit FMA pipes.
// Tile: C[r][0..32) = alpha * sum_k a[k*12 + r] * b[k*32 + 0..32) (+ C). Compiled with
// -mavx512f... (CMakeLists.txt), only called after cpu_has_avx512(); empty off x86-64.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fused_act_simd.h"
#include "gemm_internal.h"
#include "gemm_pack_avx.h"
#include "kernels.h"

namespace sp {
namespace {

constexpr int MR = 12, NR = 32;
// Tiles of at most this many columns go through narrow_tile (its 32-bit row offsets: ldc small
// enough that 15 rows of it stay below 2^31).
constexpr int kNarrowCols = 8;
constexpr int64_t kNarrowMaxLdc = ((int64_t)1 << 31) / 16;

// The first R rows (R = MR for a whole tile) and nb columns of the tile; Full: all NR columns
// (plain loads and stores), else the columns past nb masked off (the edge tiles of C, with the
// same products and epilogue lane by lane). Direct: B is read where it lies, row k at b + k*ldb
// (columns past nb never read), and, ones, a last row of ones follows the kc rows (the bias row
// a packed sliver carries): the same products in the same order as the packed sliver's.
template <int R, bool Full, bool Direct = false>
inline void micro_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                       int act, float act_alpha, int nb, int64_t ldb = NR, bool ones = false) {
  const int64_t bstep = Direct ? ldb : NR;
  const __mmask16 m0 = Full || nb >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nb) - 1);
  const __mmask16 m1 = Full ? (__mmask16)0xFFFF : nb <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nb - 16)) - 1);
  __m512 acc[R][2];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {  // every line of each row (the later ones were left to the store)
    _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
    if (Full || nb > 16) {
      // 128 bytes span 3 lines unless they start on one (a row of C whose length is not a
      // multiple of 16 floats, or a caller's array that does not start on a line)
      _mm_prefetch((const char*)(c + r * ldc + 16), _MM_HINT_T0);
      _mm_prefetch((const char*)(c + r * ldc + 31), _MM_HINT_T0);
    }
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    // B streams from L2 (gemm_macro keeps the A panel in L1): fetch 8 rows ahead
    _mm_prefetch((const char*)(b + 8 * bstep), _MM_HINT_T0);
    _mm_prefetch((const char*)(b + 8 * bstep + 16), _MM_HINT_T0);
    const __m512 b0 = Direct && !Full ? _mm512_maskz_loadu_ps(m0, b) : _mm512_loadu_ps(b);
    const __m512 b1 = Direct && !Full ? _mm512_maskz_loadu_ps(m1, b + 16) : _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += bstep;
  }
  if (Direct && ones) {
    const __m512 one = _mm512_set1_ps(1.f);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, one, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, one, acc[r][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vact = _mm512_set1_ps(act_alpha);
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(acc[r][0], va), x1 = _mm512_mul_ps(acc[r][1], va);
    if (accumulate) {
      x0 = _mm512_add_ps(Full ? _mm512_loadu_ps(cr) : _mm512_maskz_loadu_ps(m0, cr), x0);
      x1 = _mm512_add_ps(Full ? _mm512_loadu_ps(cr + 16) : _mm512_maskz_loadu_ps(m1, cr + 16), x1);
    }
    if (act >= 0) {
      x0 = act16(x0, act, vact);
      x1 = act16(x1, act, vact);
    }
    if (Full) {
      _mm512_storeu_ps(cr, x0);
      _mm512_storeu_ps(cr + 16, x1);
    } else {
      _mm512_mask_storeu_ps(cr, m0, x0);
      _mm512_mask_storeu_ps(cr + 16, m1, x1);
    }
  }
}

// The first R rows and nb <= 16 columns of a tile: the first 16-lane vector only (the second half
// of the tile is neither computed nor touched); the same products and epilogue as micro_tile's
// first vector, so the same bits. Direct and ones as for micro_tile.
template <int R, bool Direct = false>
inline void micro_tile_half(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                            int accumulate, int act, float act_alpha, int nb, int64_t ldb = NR, bool ones = false) {
  const int64_t bstep = Direct ? ldb : NR;
  const __mmask16 m0 = (__mmask16)((1u << nb) - 1);
  __m512 acc[R];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char*)(c + r * ldc + nb - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    _mm_prefetch((const char*)(b + 8 * bstep), _MM_HINT_T0);
    const __m512 b0 = Direct ? _mm512_maskz_loadu_ps(m0, b) : _mm512_loadu_ps(b);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, acc[r]);
    a += MR;
    b += bstep;
  }
  if (Direct && ones) {
    const __m512 one = _mm512_set1_ps(1.f);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), one, acc[r]);
  }
  const __m512 va = _mm512_set1_ps(alpha), vact = _mm512_set1_ps(act_alpha);
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(acc[r], va);
    if (accumulate) x0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), x0);
    if (act >= 0) x0 = act16(x0, act, vact);
    _mm512_mask_storeu_ps(cr, m0, x0);
  }
}

// A tile of mb rows and nb <= 8 columns with the rows in the lanes: one vector of the A panel's
// k-th row (mb of its MR lanes) times a broadcast of each of the nb values of B's k-th row, so a
// column costs one FMA per k where micro_tile_half spends MR of them on 16 lanes mostly past nb
// (the 4 columns left after the whole slivers of a 10x10 map, 9 of a 19x19 one). Each element is
// the same FMA chain over k, then the same alpha, C and activation steps, as in micro_tile: the
// same bits. C is read and written by row-strided gathers and scatters (the lanes are its rows).
template <int NB, bool Direct = false>
inline void narrow_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                        int accumulate, int act, float act_alpha, int mb, int64_t ldb = NR, bool ones = false) {
  const int64_t bstep = Direct ? ldb : NR;
  const __mmask16 mr = (__mmask16)((1u << mb) - 1);
  __m512 acc[NB];
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) acc[j] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 va = _mm512_maskz_loadu_ps(mr, a);
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) acc[j] = _mm512_fmadd_ps(va, _mm512_set1_ps(b[j]), acc[j]);
    a += MR;
    b += bstep;
  }
  if (Direct && ones) {
    const __m512 va = _mm512_maskz_loadu_ps(mr, a), one = _mm512_set1_ps(1.f);
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) acc[j] = _mm512_fmadd_ps(va, one, acc[j]);
  }
  const __m512 valpha = _mm512_set1_ps(alpha), vact = _mm512_set1_ps(act_alpha);
  const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32((int)ldc));
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) {
    __m512 x = _mm512_mul_ps(acc[j], valpha);
    if (accumulate) x = _mm512_add_ps(_mm512_mask_i32gather_ps(_mm512_setzero_ps(), mr, rows, c + j, 4), x);
    if (act >= 0) x = act16(x, act, vact);
    _mm512_mask_i32scatter_ps(c + j, mr, rows, x, 4);
  }
}

void micro_12x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                 int act, float act_alpha) {
  micro_tile<MR, true>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, NR);
}

// A tile of mb rows and nb columns: the whole-tile code, the rows in the lanes when nb <= 8
// (narrow_tile: measured 1.03-1.06x on 1x1 layers of 10x10 maps, whose 100 columns leave 4), the
// first vector only when nb <= 16, else both vectors masked past nb; Direct and ones as for
// micro_tile.
template <bool Direct>
void any_tile(int64_t kc, const float* a, const float* b, int64_t ldb, bool ones, float* c, int64_t ldc, float alpha,
              int accumulate, int act, float act_alpha, int mb, int nb) {
  if (mb == MR && nb == NR)
    return micro_tile<MR, true, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, NR, ldb, ones);
  if (nb <= kNarrowCols && ldc <= kNarrowMaxLdc) {
    switch (nb) {
#define SP_NARROW_CASE(NB) \
  case NB:                 \
    return narrow_tile<NB, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, mb, ldb, ones);
      SP_NARROW_CASE(1) SP_NARROW_CASE(2) SP_NARROW_CASE(3) SP_NARROW_CASE(4)
      SP_NARROW_CASE(5) SP_NARROW_CASE(6) SP_NARROW_CASE(7) SP_NARROW_CASE(8)
#undef SP_NARROW_CASE
      default:
        break;
    }
  }
  switch (nb <= 16 ? mb : mb + MR) {
#define SP_TILE_CASE(R)                                                                                       \
  case R:                                                                                                     \
    return micro_tile_half<R, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb, ldb, ones);   \
  case R + MR:                                                                                                \
    return micro_tile<R, false, Direct>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb, ldb, ones);
    SP_TILE_CASE(1) SP_TILE_CASE(2) SP_TILE_CASE(3) SP_TILE_CASE(4) SP_TILE_CASE(5) SP_TILE_CASE(6)
    SP_TILE_CASE(7) SP_TILE_CASE(8) SP_TILE_CASE(9) SP_TILE_CASE(10) SP_TILE_CASE(11) SP_TILE_CASE(12)
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
      _mm512_storeu_ps(d, _mm512_loadu_ps(s));
      _mm512_storeu_ps(d + 16, _mm512_loadu_ps(s + 16));
    }
  }
}

// gemm_fma_rate's loop: 24 chains of __m512 (gemm_pack_avx.h).
float fma_chains(int64_t iters) {
  return fma_chains_loop<24, __m512>(
      iters, [](float v) { return _mm512_set1_ps(v); },
      [](__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); },
      [](__m512 a, __m512 b) { return _mm512_add_ps(a, b); });
}

}  // namespace

const GemmMicro& gemm_micro_avx512() {
  static const GemmMicro k{MR,         NR,          micro_12x32, "avx512",   pack_a_rows, pack_b_rows,
                           edge_tile,  direct_tile, copy_b,      fma_chains, 16,          24};
  return k;
}

}  // namespace sp
#endif
