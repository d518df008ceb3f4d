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

void micro_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                int act, float act_alpha) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int r = 0; r < MR; ++r) _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 ar;
    ar = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ar, b0, c00);
    c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ar, b0, c10);
    c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ar, b0, c20);
    c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ar, b0, c30);
    c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ar, b0, c40);
    c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ar, b0, c50);
    c51 = _mm256_fmadd_ps(ar, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha), vact = _mm256_set1_ps(act_alpha);
  auto store = [&](int r, __m256 x0, __m256 x1) {
    float* cr = c + r * ldc;
    x0 = _mm256_mul_ps(x0, va);
    x1 = _mm256_mul_ps(x1, va);
    if (accumulate) {
      x0 = _mm256_add_ps(_mm256_loadu_ps(cr), x0);
      x1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), x1);
    }
    if (act >= 0) {
      x0 = act8(x0, act, vact);
      x1 = act8(x1, act, vact);
    }
    _mm256_storeu_ps(cr, x0);
    _mm256_storeu_ps(cr + 8, x1);
  };
  store(0, c00, c01);
  store(1, c10, c11);
  store(2, c20, c21);
  store(3, c30, c31);
  store(4, c40, c41);
  store(5, c50, c51);
}

// micro_6x16's first R rows and nb columns for the edge tiles of C (vmaskmov past nb): the same
// products and epilogue lane by lane, the same bits.
template <int R>
void micro_edge(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate,
                int act, float act_alpha, int nb) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb - 8), lane);
  const __m256 va = _mm256_set1_ps(alpha), vact = _mm256_set1_ps(act_alpha);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(acc[r][0], va), x1 = _mm256_mul_ps(acc[r][1], va);
    if (accumulate) {
      x0 = _mm256_add_ps(_mm256_maskload_ps(cr, m0), x0);
      x1 = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), x1);
    }
    if (act >= 0) {
      x0 = act8(x0, act, vact);
      x1 = act8(x1, act, vact);
    }
    _mm256_maskstore_ps(cr, m0, x0);
    _mm256_maskstore_ps(cr + 8, m1, x1);
  }
}

void edge_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, int accumulate, int act,
               float act_alpha, int mb, int nb) {
  switch (mb) {
    case 1:
      return micro_edge<1>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
    case 2:
      return micro_edge<2>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
    case 3:
      return micro_edge<3>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
    case 4:
      return micro_edge<4>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
    case 5:
      return micro_edge<5>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
    default:
      return micro_edge<MR>(kc, a, b, c, ldc, alpha, accumulate, act, act_alpha, nb);
  }
}

void pack_a_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows_avx<MR>(rows, nrows, kc, dst); }
void pack_b_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows_avx<NR>(rows, nrows, kc, dst); }

}  // namespace

const GemmMicro& gemm_micro_avx2() {
  static const GemmMicro k{MR, NR, micro_6x16, "avx2", pack_a_rows, pack_b_rows, edge_tile};
  return k;
}

}  // namespace sp
#endif
