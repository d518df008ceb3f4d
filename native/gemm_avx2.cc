// AVX2+FMA GEMM microkernel: a 6 x 16 register tile (12 ymm accumulators, 2 B vectors, 1
// broadcast), the classic shape for 16 ymm registers and two FMA pipes with 4-5 cycle latency.
// Tile: C[r][0..16) = alpha * sum_k a[k*6 + r] * b[k*16 + 0..16) (+ C). Compiled with -mavx2
// -mfma (CMakeLists.txt) and only called after cpu_has_avx2_fma(); empty off x86-64. Also the
// transposing packs (8x8 shuffle transposes) for A by rows and B by columns.
#if defined(__x86_64__)
#include <immintrin.h>

#include "gemm_internal.h"
#include "kernels.h"

namespace sp {
namespace {

constexpr int MR = 6, NR = 16;

// v after the fused activation `act` (fused_act.h's forms: NaN passes, -0 stays).
inline __m256 act8(__m256 v, int act, __m256 va) {
  const __m256 z = _mm256_setzero_ps();
  const __m256 neg = _mm256_cmp_ps(v, z, _CMP_LT_OQ);
  switch (act) {
    case ACT_RELU:
      return _mm256_blendv_ps(v, z, neg);
    case ACT_LEAKY_RELU:
      return _mm256_blendv_ps(v, _mm256_mul_ps(va, v), neg);
    case ACT_RELU6: {
      const __m256 six = _mm256_set1_ps(6.f), t = _mm256_blendv_ps(v, z, neg);
      return _mm256_blendv_ps(t, six, _mm256_cmp_ps(t, six, _CMP_GT_OQ));
    }
    default:
      return v;
  }
}

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

// 8x8 transpose: on return r[j] = (r_0[j], ..., r_7[j]).
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// dst[k*R + r] = rows[r][k] (zero for r >= nrows), in 8-row x 8-k transposed blocks; W (8 or 6)
// lanes of each block are stored.
template <int R>
void pack_rows(const float* const* rows, int nrows, int kc, float* dst) {
  static const float zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int kv = kc & ~7;
  for (int r0 = 0; r0 < R; r0 += 8) {
    const int w = R - r0 < 8 ? R - r0 : 8;
    const float* p[8];
    int step[8];
    for (int r = 0; r < 8; ++r) {
      const bool live = r0 + r < nrows && r < w;
      p[r] = live ? rows[r0 + r] : zeros;
      step[r] = live ? 8 : 0;
    }
    for (int k = 0; k < kv; k += 8) {
      __m256 v[8];
      for (int r = 0; r < 8; ++r) v[r] = _mm256_loadu_ps(p[r] + (step[r] ? k : 0));
      transpose8(v);
      float* d = dst + (int64_t)k * R + r0;
      if (w == 8) {
        for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + (int64_t)j * R, v[j]);
      } else {
        for (int j = 0; j < 8; ++j) {
          _mm_storeu_ps(d + (int64_t)j * R, _mm256_castps256_ps128(v[j]));
          _mm_storel_pi((__m64*)(d + (int64_t)j * R + 4), _mm256_extractf128_ps(v[j], 1));
        }
      }
    }
  }
  for (int k = kv; k < kc; ++k) {
    float* d = dst + (int64_t)k * R;
    int r = 0;
    for (; r < nrows; ++r) d[r] = rows[r][k];
    for (; r < R; ++r) d[r] = 0.f;
  }
}

void pack_a_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows<MR>(rows, nrows, kc, dst); }
void pack_b_rows(const float* const* rows, int nrows, int kc, float* dst) { pack_rows<NR>(rows, nrows, kc, dst); }

}  // namespace

const GemmMicro& gemm_micro_avx2() {
  static const GemmMicro k{MR, NR, micro_6x16, "avx2", pack_a_rows, pack_b_rows};
  return k;
}

}  // namespace sp
#endif
